// Live-stream lower third: the highlighted question or the poll on screen, nothing else; transparent (or the
// chroma colour) everywhere else. Options come validated from the server and are applied as CSS custom
// properties only, never as markup.
import { Live } from "./live.js";
import { $, scheduler, setText } from "./ui.js";
import { resultsView } from "./polls.js";
import { t } from "./i18n.js";
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
if (options.chroma) {
  style.setProperty("--o-backdrop", options.chroma);
  document.documentElement.style.setProperty("--o-backdrop", options.chroma);
  document.body.dataset.chroma = "true";
}

function render() {
  const ev = live.event;
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
    setText($("#o-who"), "");
    $("#o-poll").hidden = !poll.results;
    if (poll.results) results.update(poll);
  } else if (shownQuestion) {
    third.dataset.kind = "question";
    setText($("#o-tag"), t("Question"));
    setText($("#o-text"), q.text);
    setText($("#o-who"), [q.name, q.affiliation].filter(Boolean).join(" · "));
    $("#o-poll").hidden = true;
  }
}

live.subscribe(scheduler(render));
render();
mountStage(live);
live.start();
