// Moderator notes to the panel: shown on the presenter screen until acknowledged; the notes sent so far, each with
// when the panel acknowledged it.
import { $, h, reconcile, setText } from "./ui.js";
import { t, time } from "./i18n.js";
import { ctx } from "./mod-context.js";

let lastSent = null; // the id of the note this console sent last: the status line is about that note only

$("#note-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const area = $("#note-text");
  const text = area.value.trim();
  if (!text) return;
  const r = await ctx.call("POST", "/notes", { text });
  if (r.ok) {
    area.value = "";
    lastSent = r.data?.id ?? null;
    if (r.data?.id != null && !ctx.live.notes.has(r.data.id)) ctx.live.notes.set(r.data.id, r.data);
    renderNotes();
  }
});

const items = new Map();

function item(note) {
  let it = items.get(note.id);
  if (!it) {
    const text = h("span", { class: "user-text", dir: "auto" });
    const when = h("span", { class: "c-note-when" });
    it = { li: h("li", { "data-note": note.id }, text, when), text, when };
    items.set(note.id, it);
  }
  setText(it.text, note.text);
  setText(it.when, note.acked_at ? t("Acknowledged at {time}", { time: time(note.acked_at) })
    : t("Sent at {time}, not acknowledged yet", { time: time(note.created_at) }));
  it.li.dataset.acked = String(!!note.acked_at);
  return it.li;
}

function renderNotes() {
  const notes = [...ctx.live.notes.values()].sort((a, b) => b.id - a.id);
  reconcile($("#notes-sent"), notes.map(item));
  for (const id of [...items.keys()]) if (!ctx.live.notes.has(id)) items.delete(id);
  const mine = lastSent == null ? null : ctx.live.notes.get(lastSent);
  setText($("#note-status"), !mine ? "" : mine.acked_at
    ? t("The panel acknowledged your note at {time}.", { time: time(mine.acked_at) }) : t("Sent to the panel."));
}

export function mount() {
  return { render: renderNotes };
}
