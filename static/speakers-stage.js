// Shared screens: the presenter's "Now speaking: name, delegation" with time left and the next two, and the
// overlay's speaker lower third (shown unless the moderator hides it; animates in, or not with reduced motion).
// Public screens only ever receive who speaks and who waits.
import { $, setText } from "./ui.js";
import { t } from "./i18n.js";
import { clockText, ordered, secondsLeft } from "./speakers-common.js";

export function mountStage(live) {
  const stage = $("#sp-stage");
  const third = $("#sp-third");
  if (!stage && !third) return;
  let shownId = null;

  function clockOf(el, s) {
    if (!el) return;
    setText(el, s ? clockText(s) : "");
    const left = secondsLeft(s);
    el.dataset.over = String(left !== null && left <= 0);
  }

  function render() {
    const ev = live.event || {};
    const { speaking, waiting } = ordered(live);
    const ended = live.state === "ended";
    if (stage) {
      stage.hidden = ended || (!speaking && !waiting.length);
      setText($("#sps-who"), speaking ? t("{name}, {delegation}", { name: speaking.name, delegation: speaking.delegation }) : "");
      $("#sps-h").hidden = !speaking;
      clockOf($("#sps-clock"), speaking);
      const next = waiting.slice(0, 2).map((s) => t("{name}, {delegation}", { name: s.name, delegation: s.delegation }));
      setText($("#sps-next"), next.length ? t("Next: {names}", { names: next.join(" · ") }) : "");
    }
    if (third) {
      const show = !!speaking && !ev.speaker_overlay_hidden && !ended;
      if (show && speaking.id !== shownId) third.dataset.shown = "false"; // a new speaker: animate in afresh
      shownId = show ? speaking.id : null;
      if (show) {
        setText($("#spo-name"), speaking.name);
        setText($("#spo-delegation"), speaking.delegation);
        clockOf($("#spo-clock"), speaking);
        requestAnimationFrame(() => { third.dataset.shown = "true"; });
      } else {
        third.dataset.shown = "false";
      }
    }
  }

  live.subscribe(render);
  setInterval(() => {
    const { speaking } = ordered(live);
    if (!speaking) return;
    clockOf($("#sps-clock"), speaking);
    clockOf($("#spo-clock"), speaking);
  }, 1000);
  render();
}
