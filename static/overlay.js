// Live-stream lower third: the highlighted question or the poll on screen, nothing else; transparent (or the
// chroma colour) everywhere else. Options come validated from the server and are applied as CSS custom
// properties only, never as markup.
import { Live } from "./live.js";
import { $, scheduler, setLang, setText } from "./ui.js";
import { resultsView } from "./polls.js";
import { languageName, t } from "./i18n.js";
import { screenPair } from "./translations.js";
import { mountStage } from "./speakers-stage.js";

const snapshot = JSON.parse($("#floor-state").textContent);
const options = JSON.parse($("#floor-overlay").textContent);
const live = new Live({ code: snapshot.event.code, snapshot });
const third = $("#third");
const results = resultsView();
$("#o-poll").append(results.el);

const style = document.body.style;
style.setProperty("--o-scale", String(options.scale));
style.setProperty("--o-safe", `${options.safe}vmin`);

/** The event's overlay_position / overlay_theme / overlay_chroma, live; what the address sets wins. */
function applySettings(ev) {
  const body = document.body;
  if (!options.position_set && ev.overlay_position) body.dataset.position = ev.overlay_position;
  if (!options.theme_set && ev.overlay_theme) body.dataset.theme = ev.overlay_theme;
  const chroma = options.chroma_set ? options.chroma : (ev.overlay_chroma ?? null);
  for (const target of [style, document.documentElement.style]) {
    if (chroma) target.setProperty("--o-backdrop", chroma);
    else target.removeProperty("--o-backdrop");
  }
  if (chroma) body.dataset.chroma = "true";
  else delete body.dataset.chroma;
}

const RTL = new Set(["ar", "he", "fa", "ur"]);
/** lang and dir for one text: right to left for Arabic, left to right for another known language, else auto. */
function tagText(el, code) {
  setLang(el, code || null);
  const base = (code || "").toLowerCase().split("-")[0];
  el.setAttribute("dir", !base || base === "und" ? "auto" : RTL.has(base) ? "rtl" : "ltr");
}

/** Bilingual screen: the event's screen_translation under the original, when the question has one. */
function renderTranslation(q, ev) {
  const pair = q ? screenPair(q, ev.screen_translation) : { translation: null };
  $("#o-tr").hidden = !pair.translation;
  third.dataset.bilingual = String(!!pair.translation);
  if (!pair.translation) return;
  setText($("#o-tr-lang"), languageName(pair.translation.lang));
  const el = $("#o-tr-text");
  setText(el, pair.translation.text);
  tagText(el, pair.translation.lang);
}

const FIT_STEPS = [1, 0.9, 0.8, 0.72];
/** The lower third never takes more than a third of the frame: smaller type first, then fewer lines. */
function fit() {
  const limit = innerHeight / 3;
  // The original and, on a bilingual screen, its translation share the third: both give up lines together.
  const texts = [$("#o-text"), ...($("#o-tr").hidden ? [] : [$("#o-tr-text")])];
  for (const el of [$("#o-text"), $("#o-tr-text")]) el.removeAttribute("data-clamp");
  const clamp = (lines) => {
    for (const el of texts) {
      el.dataset.clamp = "";
      el.style.setProperty("--o-lines", String(lines));
    }
  };
  for (const step of FIT_STEPS) {
    third.style.setProperty("--o-fit", String(step));
    if (third.scrollHeight <= limit + 1) return;
  }
  const over = () => third.scrollHeight > limit + 1;
  for (let lines = 4; lines >= 2 && over(); lines--) clamp(lines);
  // A word cloud shows its most frequent words, as many as fit; then the title gives up its last line.
  const chips = [...third.querySelectorAll(".word-chips > li")];
  for (const li of chips) li.hidden = false;
  for (let i = chips.length - 1; i >= 1 && over(); i--) chips[i].hidden = true;
  if (over()) clamp(1);
}
addEventListener("resize", () => fit());

function render() {
  const ev = live.event;
  applySettings(ev);
  const ended = live.state === "ended";
  const poll = ev.presenting_poll ? live.polls.get(ev.presenting_poll) : null;
  const q = !poll && ev.highlighted ? live.questions.get(ev.highlighted) : null;
  const shownPoll = !!poll && !ev.overlay_hidden && !ended;
  const shownQuestion = !!q && q.status === "approved" && !ev.overlay_hidden && !ended;
  third.dataset.shown = String(shownPoll || shownQuestion);
  if (shownPoll) {
    third.dataset.kind = "poll";
    setText($("#o-tag"), t("Poll"));
    setText($("#o-text"), poll.title);
    tagText($("#o-text"), null);
    renderTranslation(null, ev);
    setText($("#o-who"), "");
    $("#o-poll").hidden = !poll.results;
    if (poll.results) results.update(poll);
  } else if (shownQuestion) {
    third.dataset.kind = "question";
    setText($("#o-tag"), t("Question"));
    setText($("#o-text"), q.text);
    tagText($("#o-text"), q.language);
    renderTranslation(q, ev);
    setText($("#o-who"), [q.name, q.affiliation].filter(Boolean).join(" · "));
    $("#o-poll").hidden = true;
  }
  third.dataset.poll = shownPoll ? poll.kind : "";
  fit();
}

live.subscribe(scheduler(render));
render();
mountStage(live);
live.start();
