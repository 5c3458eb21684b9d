// Interpretation booth: the question on screen (original and the booth's language), the questions lined up,
// who has the floor and who comes next, and the backstage notes. Nothing shows until the presenter's (or a
// moderator's) token is accepted over the WebSocket: without it the page is only a prompt.
import { Live, bindIndicator } from "./live.js";
import { $, h, reconcile, scheduler, setLang, setText, store, takeFragmentToken } from "./ui.js";
import { lang, languageName, t, time } from "./i18n.js";
import { screenPair } from "./translations.js";

const SIZES = [0.8, 0.9, 1, 1.15, 1.3, 1.5, 1.75];
const code = $("#b-state").dataset.code;
const session = store("session");
const local = store("local");
const TOKEN_KEY = `floor:booth:${code}`;
const fragment = takeFragmentToken();
if (fragment) session.set(TOKEN_KEY, fragment);
const token = fragment || session.get(TOKEN_KEY);

const els = {
  locked: $("#b-locked"),
  error: $("#b-error"),
  board: $("#b-board"),
  live: $("#live"),
  lang: $("#booth-lang"),
  theme: $("#b-theme"),
  smaller: $("#b-smaller"),
  larger: $("#b-larger"),
  now: $("#b-now"),
  nowEmpty: $("#b-now-empty"),
  next: $("#b-next"),
  nextEmpty: $("#b-next-empty"),
  speaker: $("#b-speaker"),
  speakerEmpty: $("#b-speaker-empty"),
  speakers: $("#b-speakers"),
  notes: $("#b-notes"),
  notesEmpty: $("#b-notes-empty"),
};

// -- the booth's own settings, remembered on this device -------------------------------------------
const saved = local.get("floor:booth:lang", lang);
if ([...els.lang.options].some((o) => o.value === saved)) els.lang.value = saved;
els.lang.addEventListener("change", () => {
  local.set("floor:booth:lang", els.lang.value);
  schedule();
});

function applyTheme(theme) {
  document.body.dataset.theme = theme;
  els.theme.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
}
applyTheme(local.get("floor:booth:theme", "dark") === "light" ? "light" : "dark");
els.theme.addEventListener("click", () => {
  const theme = document.body.dataset.theme === "dark" ? "light" : "dark";
  local.set("floor:booth:theme", theme);
  applyTheme(theme);
});

let size = Math.max(0, SIZES.indexOf(Number(local.get("floor:booth:size", 1))));
function applySize() {
  document.body.style.setProperty("--b-scale", String(SIZES[size]));
  els.smaller.disabled = size === 0;
  els.larger.disabled = size === SIZES.length - 1;
}
applySize();
for (const [button, step] of [[els.smaller, -1], [els.larger, 1]]) {
  button.addEventListener("click", () => {
    size = Math.min(SIZES.length - 1, Math.max(0, size + step));
    local.set("floor:booth:size", SIZES[size]);
    applySize();
  });
}

// -- rendering -------------------------------------------------------------------------------------
function who(q) {
  return [q.name, q.affiliation].filter(Boolean).join(" · ");
}

/** One question: the original (always), and the booth language's translation when there is one. */
function questionBlock(q, tag = "div") {
  const pair = screenPair(q, els.lang.value);
  const original = h("p", { class: "b-text user-text", dir: "auto" }, pair.original.text);
  setLang(original, pair.original.lang);
  const label = h("p", { class: "b-label" }, pair.original.lang
    ? t("Original ({language})", { language: languageName(pair.original.lang) }) : t("Original"));
  const parts = [label, original];
  if (pair.translation) {
    const translated = h("p", { class: "b-text b-translation user-text", dir: "auto" }, pair.translation.text);
    setLang(translated, pair.translation.lang);
    parts.push(h("p", { class: "b-label" }, t("Translation ({language})",
      { language: languageName(pair.translation.lang) })), translated);
  }
  const by = who(q);
  if (by) parts.push(h("p", { class: "b-who user-text", dir: "auto" }, by));
  return h(tag, { class: "b-q", "data-qid": q.id }, ...parts);
}

function speakerLine(s) {
  const details = [s.delegation, s.language ? languageName(s.language) : null].filter(Boolean).join(" · ");
  return [h("span", { class: "b-speaker-name user-text", dir: "auto" }, s.name || ""),
    details ? h("span", { class: "b-speaker-meta user-text", dir: "auto" }, details) : null];
}

function render() {
  const open = Boolean(live.viewer?.backstage) && live.event !== null;
  els.board.hidden = !open;
  els.locked.hidden = open;
  els.live.hidden = !open;
  if (!open) return;
  const ev = live.event;
  const current = ev.highlighted ? live.questions.get(ev.highlighted) : null;
  reconcile(els.now, current ? [questionBlock(current)] : []);
  els.nowEmpty.hidden = Boolean(current);
  const lined = (ev.up_next || []).map((id) => live.questions.get(id)).filter(Boolean);
  reconcile(els.next, lined.map((q) => questionBlock(q, "li")));
  els.nextEmpty.hidden = lined.length > 0;

  const speakers = [...live.speakers.values()];
  const speaking = speakers.find((s) => s.status === "speaking");
  const waiting = speakers.filter((s) => s.status === "waiting")
    .sort((a, b) => (a.position ?? 1e9) - (b.position ?? 1e9));
  els.speaker.replaceChildren(...(speaking ? speakerLine(speaking) : []));
  els.speaker.hidden = !speaking;
  els.speakerEmpty.hidden = Boolean(speaking);
  reconcile(els.speakers, waiting.map((s) => h("li", { class: "b-speaker-item" }, ...speakerLine(s))));

  const notes = [...live.notes.values()].sort((a, b) => b.id - a.id);
  reconcile(els.notes, notes.map((n) => h("li", { class: n.acked_at ? "b-note b-note-acked" : "b-note" },
    h("span", { class: "b-note-time" }, time(n.created_at)), " ",
    h("span", { class: "user-text", dir: "auto" }, n.text))));
  els.notesEmpty.hidden = notes.length > 0;
}
const schedule = scheduler(render);

const live = new Live({ code, token });
if (token) {
  bindIndicator(live, els.live);
  live.subscribe((type) => {
    if (type === "auth.failed") {
      session.remove(TOKEN_KEY);
      els.error.hidden = false;
    }
    schedule();
  });
  live.start();
}
render();
