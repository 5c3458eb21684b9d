// Moderator notes to the panel: shown on the presenter screen until acknowledged.
import { $, setText } from "./ui.js";
import { nt, t } from "./i18n.js";
import { ctx } from "./mod-context.js";

$("#note-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const area = $("#note-text");
  const text = area.value.trim();
  if (!text) return;
  const r = await ctx.call("POST", "/notes", { text });
  if (r.ok) {
    area.value = "";
    setText($("#note-status"), t("Sent to the panel."));
  }
});

function onEvent(type) {
  if (type === "note.updated" || type === "note.created") {
    const acked = [...ctx.live.notes.values()].filter((n) => n.acked_at).length;
    setText($("#note-status"), acked ? nt("{n} acknowledged", "{n} acknowledged", acked) : "");
  }
}

export function mount() {
  return { onEvent };
}
