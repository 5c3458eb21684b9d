// The chair's list of speakers (a moderator panel, see static/moderator.js): the order with group, delegation,
// language and waiting time; move up, down, to the top (buttons, or Alt+arrows / Alt+Home on an entry); give the
// floor, end, remove; drag an entry onto another to take its place; the clock (pause, resume, +1 min); open or close the list; order policy; speaking time.
import { $, h, reconcile, setText } from "./ui.js";
import { clock, languageName, nt, t } from "./i18n.js";
import { confirmable } from "./mod-context.js";
import { clockText, groupName, kindName, ordered, speakerError } from "./speakers-common.js";

export function mount(ctx) {
  const els = {
    card: $("#sp-chair"), count: $("#spc-count"), openState: $("#spc-open-state"), open: $("#spc-open"),
    order: $("#spc-order"), time: $("#spc-time"), speaking: $("#spc-speaking"), who: $("#spc-who"),
    meta: $("#spc-meta"), clock: $("#spc-clock"), pause: $("#spc-pause"), extend: $("#spc-extend"),
    done: $("#spc-done"), overlayState: $("#spc-overlay-state"), overlay: $("#spc-overlay"), list: $("#spc-list"),
    empty: $("#spc-empty"), record: $("#spc-record"), recordSummary: $("#spc-record-summary"),
    doneList: $("#spc-done-list"),
  };
  if (!els.card) return {};
  const rows = new Map();
  let dragged = null; // the id of the entry being dragged
  let refocus = null; // [id, action] to focus after the next render

  async function act(id, action, extra = {}) {
    const r = await ctx.quiet("POST", `/speakers/${id}/moderate`, { action, ...extra });
    if (!r.ok) ctx.toast(speakerError(r), { detail: r.data?.error?.message || "" });
    return r;
  }

  async function move(s, position, waitingCount) {
    const to = Math.max(1, Math.min(position, waitingCount));
    if (to === s.position) return;
    refocus = [s.id, "item"];
    const r = await act(s.id, "move", { position: to });
    if (r.ok) ctx.say(t("{name} moved to number {n}.", { name: s.delegation, n: to }));
  }

  function row(s, waitingCount) {
    let el = rows.get(s.id);
    if (!el) {
      const btn = (action, label, cls = "btn btn-small btn-quiet") =>
        h("button", { type: "button", class: cls, "data-action": action }, label);
      el = h("li", { class: "sp-item", tabindex: "0", "data-id": String(s.id) },
        h("span", { class: "sp-pos" }),
        h("span", { class: "sp-main" }, h("span", { class: "sp-who", dir: "auto" }), h("span", { class: "sp-meta" })),
        h("span", { class: "sp-actions" }, btn("give", t("Give the floor"), "btn btn-small"),
          btn("up", t("Up")), btn("down", t("Down")), btn("top", t("To top")), btn("remove", t("Remove"))));
      confirmable(el.querySelector('[data-action="remove"]'), t("Remove"), t("Remove? Click again"), () => {
        const cur = ctx.live.speakers.get(Number(el.dataset.id));
        if (cur) act(cur.id, "remove").then((r) => { if (r.ok) ctx.say(t("{name} removed from the list.", { name: cur.delegation })); });
      });
      el.addEventListener("click", (e) => {
        const action = e.target.closest("[data-action]")?.dataset.action;
        const cur = ctx.live.speakers.get(Number(el.dataset.id));
        if (!cur || !action || action === "remove") return;
        const n = ordered(ctx.live).waiting.length;
        if (action === "give") {
          act(cur.id, "give").then((r) => { if (r.ok) ctx.say(t("{name} has the floor.", { name: cur.delegation })); });
        } else if (action === "up") move(cur, cur.position - 1, n);
        else if (action === "down") move(cur, cur.position + 1, n);
        else if (action === "top") move(cur, 1, n);
        if (action !== "give") refocus = [cur.id, action];
      });
      el.addEventListener("keydown", (e) => {
        if (!e.altKey) return;
        const cur = ctx.live.speakers.get(Number(el.dataset.id));
        if (!cur) return;
        const n = ordered(ctx.live).waiting.length;
        if (e.key === "ArrowUp") move(cur, cur.position - 1, n);
        else if (e.key === "ArrowDown") move(cur, cur.position + 1, n);
        else if (e.key === "Home") move(cur, 1, n);
        else return;
        e.preventDefault();
      });
      // Drag and drop (pointer users; the buttons and Alt+arrows do the same): dropping an entry onto another
      // moves it to that entry's place.
      el.draggable = true;
      el.addEventListener("dragstart", (e) => {
        if (e.target !== el) return;
        dragged = Number(el.dataset.id);
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", el.dataset.id);
        el.dataset.dragging = "true";
      });
      el.addEventListener("dragend", () => {
        dragged = null;
        delete el.dataset.dragging;
        for (const r of rows.values()) delete r.dataset.dropTarget;
      });
      el.addEventListener("dragover", (e) => {
        if (dragged === null || dragged === Number(el.dataset.id)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        el.dataset.dropTarget = "true";
      });
      el.addEventListener("dragleave", (e) => {
        if (!el.contains(e.relatedTarget)) delete el.dataset.dropTarget;
      });
      el.addEventListener("drop", (e) => {
        e.preventDefault();
        delete el.dataset.dropTarget;
        const from = ctx.live.speakers.get(dragged);
        const onto = ctx.live.speakers.get(Number(el.dataset.id));
        dragged = null;
        if (!from || !onto || from.id === onto.id) return;
        move(from, onto.position, ordered(ctx.live).waiting.length);
      });
      rows.set(s.id, el);
    }
    setText(el.querySelector(".sp-pos"), String(s.position));
    setText(el.querySelector(".sp-who"), `${s.name}, ${s.delegation}`);
    const waited = Math.max(0, (Date.now() - Date.parse(s.requested_at)) / 1000);
    setText(el.querySelector(".sp-meta"), [groupName(s.group), languageName(s.language), kindName(s.kind),
      t("waiting {time}", { time: clock(waited) })].join(" · "));
    el.setAttribute("aria-label", t("Number {n}: {name}, {delegation}", { n: s.position, name: s.name,
      delegation: s.delegation }));
    el.querySelector('[data-action="up"]').disabled = s.position <= 1;
    el.querySelector('[data-action="top"]').disabled = s.position <= 1;
    el.querySelector('[data-action="down"]').disabled = s.position >= waitingCount;
    return el;
  }

  function render() {
    const live = ctx.live;
    const ev = live?.event;
    if (!ev) return;
    const { speaking, waiting, rest } = ordered(live);
    setText(els.count, String(waiting.length));
    const open = ev.speakers_open !== false;
    setText(els.openState, open ? t("The list is open.") : t("The list is closed."));
    setText(els.open, open ? t("Close the list") : t("Open the list"));
    if (document.activeElement !== els.order) els.order.value = ev.speakers_order || "first_come";
    if (document.activeElement !== els.time) els.time.value = String((ev.speaking_time ?? 180) / 60);
    const hidden = !!ev.speaker_overlay_hidden;
    setText(els.overlayState, hidden ? t("Speaker lower third hidden.") : t("Speaker lower third shown."));
    setText(els.overlay, hidden ? t("Show the speaker on the stream") : t("Hide the speaker from the stream"));
    els.speaking.hidden = !speaking;
    if (speaking) {
      setText(els.who, `${speaking.name}, ${speaking.delegation}`);
      setText(els.meta, [groupName(speaking.group), languageName(speaking.language), kindName(speaking.kind)].join(" · "));
      tick();
      setText(els.pause, speaking.clock?.running ? t("Pause") : t("Resume"));
    }
    const seen = new Set(waiting.map((s) => s.id));
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
    reconcile(els.list, waiting.map((s) => row(s, waiting.length)));
    els.empty.hidden = waiting.length > 0 || !!speaking;
    const spoke = rest.filter((s) => s.status === "done");
    els.record.hidden = !spoke.length;
    setText(els.recordSummary, nt("{n} intervention so far", "{n} interventions so far", spoke.length));
    els.doneList.replaceChildren(...spoke.map((s) => h("li", { dir: "auto" },
      `${s.delegation} · ${groupName(s.group)} · ${clock(s.duration ?? 0)}`)));
    if (refocus) {
      const [id, action] = refocus;
      const el = rows.get(id);
      if (el) {
        const target = action === "item" ? el : el.querySelector(`[data-action="${action}"]`);
        (target && !target.disabled ? target : el).focus();
        refocus = null;
      }
    }
  }

  function tick() {
    const { speaking } = ordered(ctx.live);
    if (!speaking) return;
    setText(els.clock, clockText(speaking));
    els.clock.dataset.over = String(speaking.clock?.limit > 0 && speaking.clock.limit - speaking.clock.elapsed
      - (speaking.clock.running ? Date.now() / 1000 - speaking.clock.since : 0) <= 0);
  }
  setInterval(() => { if (ctx.live?.event) tick(); }, 1000);

  const current = () => ordered(ctx.live).speaking;
  els.pause.addEventListener("click", () => {
    const s = current();
    if (s) act(s.id, s.clock?.running ? "pause" : "resume");
  });
  els.extend.addEventListener("click", () => {
    const s = current();
    if (s) act(s.id, "extend").then((r) => { if (r.ok) ctx.say(t("One more minute.")); });
  });
  els.done.addEventListener("click", () => {
    const s = current();
    if (s) act(s.id, "done");
  });
  els.open.addEventListener("click", () => {
    ctx.call("PATCH", "", { speakers_open: ctx.live.event.speakers_open === false });
  });
  els.overlay.addEventListener("click", () => {
    ctx.call("PATCH", "", { speaker_overlay_hidden: !ctx.live.event.speaker_overlay_hidden });
  });
  els.order.addEventListener("change", () => ctx.call("PATCH", "", { speakers_order: els.order.value }));
  els.time.addEventListener("change", () => {
    const minutes = Number(els.time.value);
    if (!Number.isFinite(minutes) || minutes < 0 || minutes > 60) return;
    ctx.call("PATCH", "", { speaking_time: Math.round(minutes * 60) });
  });

  return { render };
}
