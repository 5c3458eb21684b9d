// Live-stream lower third: the highlighted question, nothing else; transparent everywhere else.
import { Live } from "./live.js";
import { $, scheduler, setText } from "./ui.js";

const snapshot = JSON.parse($("#floor-state").textContent);
const live = new Live({ code: snapshot.event.code, snapshot });
const third = $("#third");

function render() {
  const ev = live.event;
  const q = ev.highlighted ? live.questions.get(ev.highlighted) : null;
  const shown = !!q && q.status === "approved" && !ev.overlay_hidden && live.state !== "ended";
  third.dataset.shown = String(shown);
  if (shown) {
    setText($("#o-text"), q.text);
    setText($("#o-who"), [q.name, q.affiliation].filter(Boolean).join(" · "));
  }
}

live.subscribe(scheduler(render));
render();
live.start();
