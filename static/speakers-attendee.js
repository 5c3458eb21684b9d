// Attendee: request the floor (name, delegation, group, language, kind; remembered on the device), follow your
// place in the list live, withdraw; told politely when you are next, when you have the floor, when removed.
import { $, api, setText, store } from "./ui.js";
import { lang, nt, t } from "./i18n.js";
import { clockText, ordered, speakerError } from "./speakers-common.js";

const KEY = "floor:speaker";
const PROFILE_KEY = "floor:profile"; // the question form's name and affiliation, as a first guess

export function mountSpeakers(live) {
  const local = store("local");
  const els = {
    card: $("#speakers"), now: $("#sp-now"), closed: $("#sp-closed"), mine: $("#sp-mine"), state: $("#sp-state"),
    clock: $("#sp-clock"), withdraw: $("#sp-withdraw"), form: $("#sp-form"), name: $("#sp-name"),
    delegation: $("#sp-delegation"), group: $("#sp-group"), language: $("#sp-language"), kind: $("#sp-kind"),
    send: $("#sp-send"), msg: $("#sp-msg"), live: $("#sp-live"),
  };
  if (!els.card) return;
  const base = `/api/events/${encodeURIComponent(live.code)}/speakers`;
  let myId = null;
  let lastState = null; // what was last announced: "waiting:3", "next", "speaking"

  const saved = local.get(KEY, null) || {};
  const profile = local.get(PROFILE_KEY, {}) || {};
  els.name.value = saved.name || profile.name || "";
  els.delegation.value = saved.delegation || profile.affiliation || "";
  if (saved.group) els.group.value = saved.group;
  if (saved.kind) els.kind.value = saved.kind;
  els.language.value = saved.language || lang;

  function announce(text) {
    els.live.textContent = "";
    requestAnimationFrame(() => { els.live.textContent = text; });
  }

  function mine() {
    for (const s of live.speakers.values()) if (s.mine && (s.status === "waiting" || s.status === "speaking")) return s;
    return null;
  }

  function render() {
    const ev = live.event || {};
    const { speaking, waiting } = ordered(live);
    const own = mine();
    myId = own ? own.id : myId;
    els.closed.hidden = ev.speakers_open !== false;
    els.now.hidden = !speaking && !waiting.length;
    const parts = [];
    if (speaking) parts.push(t("Now speaking: {name}, {delegation}", { name: speaking.name, delegation: speaking.delegation }));
    if (waiting.length) parts.push(nt("{n} delegate waiting", "{n} delegates waiting", waiting.length));
    setText(els.now, parts.join(" · "));
    els.form.hidden = !!own || ev.speakers_open === false;
    els.mine.hidden = !own;
    if (!own) {
      els.clock.hidden = true;
      lastState = null;
      return;
    }
    let state;
    let text;
    if (own.status === "speaking") {
      state = "speaking";
      text = t("You have the floor.");
    } else if (own.position === 1) {
      state = "next";
      text = speaking ? t("You are next.") : t("You are first on the list.");
    } else {
      state = `waiting:${own.position}`;
      text = t("You are number {n} on the list.", { n: own.position });
    }
    setText(els.state, text);
    els.card.dataset.speaking = String(own.status === "speaking");
    els.withdraw.hidden = own.status !== "waiting";
    els.clock.hidden = own.status !== "speaking";
    if (own.status === "speaking") setText(els.clock, clockText(own));
    if (state !== lastState) {
      lastState = state;
      announce(text); // on a change of place only, never per tick
    }
  }

  els.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: els.name.value.trim(), delegation: els.delegation.value.trim(), group: els.group.value,
      language: els.language.value, kind: els.kind.value };
    if (!body.name || !body.delegation) {
      (body.name ? els.delegation : els.name).setAttribute("aria-invalid", "true");
      setText(els.msg, t("Please give your name and delegation."));
      els.msg.dataset.kind = "error";
      (body.name ? els.delegation : els.name).focus();
      return;
    }
    els.name.removeAttribute("aria-invalid");
    els.delegation.removeAttribute("aria-invalid");
    local.set(KEY, { name: body.name, delegation: body.delegation, group: body.group, language: body.language,
      kind: body.kind });
    els.send.disabled = true;
    const r = await api("POST", base, { body });
    els.send.disabled = false;
    if (r.ok) {
      setText(els.msg, "");
      myId = r.data.id;
      live.upsertSpeaker(r.data);
      els.withdraw.focus();
    } else {
      setText(els.msg, speakerError(r));
      els.msg.dataset.kind = "error";
    }
  });

  els.withdraw.addEventListener("click", async (e) => {
    e.preventDefault(); // the button is also the page's plain form, for before and without the script
    const own = mine();
    if (!own) return;
    const r = await api("DELETE", `${base}/${own.id}`);
    if (r.ok) {
      live.speakers.delete(own.id);
      myId = null;
      setText(els.msg, t("Your request was withdrawn."));
      els.msg.dataset.kind = "ok";
      live.notify({});
      els.send.focus();
    } else {
      setText(els.msg, speakerError(r));
      els.msg.dataset.kind = "error";
    }
  });

  live.subscribe((type, data) => {
    if (type === "speaker.removed" && data && data.id === myId) {
      myId = null;
      const text = data.status === "removed" ? t("The chair removed your request from the list.")
        : data.status === "done" ? t("Thank you. Your intervention is over.") : "";
      if (text) {
        setText(els.msg, text);
        els.msg.dataset.kind = "ok";
        announce(text);
      }
    }
    render();
  });
  setInterval(() => {
    const own = mine();
    if (own && own.status === "speaking") setText(els.clock, clockText(own));
  }, 1000);
  render();
}
