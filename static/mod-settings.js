// Moderator event settings: pause/resume new questions, the event language, and the links to every screen.
import { $, copyText, setText } from "./ui.js";
import { t } from "./i18n.js";
import { ctx } from "./mod-context.js";

const els = {
  toggleOpen: $("#toggle-open"),
  openState: $("#open-state"),
};

function renderEvent() {
  const ev = ctx.live.event;
  const open = !!ev.questions_open;
  setText(els.openState, open ? t("Questions are open") : t("Questions are paused"));
  els.openState.dataset.open = String(open);
  setText(els.toggleOpen, open ? t("Pause new questions") : t("Resume new questions"));
  els.toggleOpen.classList.toggle("btn-quiet", open);
  const origin = location.origin;
  if (ev.presenter_token) $("#link-presenter").value = `${origin}/e/${ctx.code}/present#token=${ev.presenter_token}`;
  $("#link-public").value = `${origin}/e/${ctx.code}/present`;
  $("#link-overlay").value = `${origin}/e/${ctx.code}/overlay`;
  const evLang = $("#event-language");
  if (ev.language && document.activeElement !== evLang) evLang.value = ev.language;
}

els.toggleOpen.addEventListener("click", async () => {
  els.toggleOpen.disabled = true;
  await ctx.call("PATCH", "", { questions_open: !ctx.live.event.questions_open });
  els.toggleOpen.disabled = false;
});

$("#event-language").addEventListener("change", async (e) => {
  const select = e.target;
  const r = await ctx.call("PATCH", "", { language: select.value });
  const name = select.selectedOptions[0]?.textContent || select.value;
  setText($("#event-language-msg"), r.ok ? t("Saved: the presenter screen now shows {language}.", { language: name }) : "");
});

for (const b of document.querySelectorAll("[data-copy]")) {
  b.addEventListener("click", async () => {
    const input = document.getElementById(b.dataset.copy);
    const ok = await copyText(input.value);
    if (!ok) input.select();
    setText($("#copy-msg"), ok ? t("Copied.") : t("Copy failed: select the text and copy it."));
  });
}

export function mount() {
  return { render: renderEvent };
}
