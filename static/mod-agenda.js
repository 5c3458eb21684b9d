// Moderator run of show: agenda segments, the segment timer and the live-stream overlay switch.
import { $, api, h, reconcile, setText } from "./ui.js";
import { clock, eventTime, nt, t, timerLeft } from "./i18n.js";
import { ctx } from "./mod-context.js";

const segmentItems = new Map();

function segmentItem(seg) {
  let it = segmentItems.get(seg.id);
  if (!it) {
    const title = h("span", { class: "c-seg-title", dir: "auto" });
    const when = h("span", { class: "c-seg-when" });
    const speakers = h("span", { class: "c-seg-speakers", dir: "auto" });
    const count = h("span", { class: "badge" });
    const state = h("span", { class: "badge badge-live" }, t("Now"));
    const activate = h("button", { type: "button", class: "btn btn-small btn-quiet" }, t("Make active"));
    activate.addEventListener("click", () => ctx.call("POST", `/segments/${seg.id}/activate`));
    const li = h("li", { class: "c-seg", "data-segment": seg.id },
      h("div", { class: "c-seg-main" }, title, when, speakers), h("div", { class: "c-seg-side" }, count, state, activate));
    it = { li, title, when, speakers, count, state, activate };
    segmentItems.set(seg.id, it);
  }
  return it;
}

function renderSegments() {
  const ev = ctx.live.event;
  const segs = ev.segments || [];
  const counts = new Map();
  for (const q of ctx.live.questions.values()) if (q.status !== "merged") counts.set(q.segment, (counts.get(q.segment) || 0) + 1);
  reconcile($("#segment-list"), segs.map((seg) => {
    const it = segmentItem(seg);
    const active = ev.active_segment === seg.id;
    setText(it.title, seg.title);
    setText(it.when, seg.starts_at ? eventTime(seg.starts_at, ev.timezone) : "");
    it.when.hidden = !seg.starts_at;
    setText(it.speakers, seg.speakers || "");
    it.speakers.hidden = !seg.speakers;
    setText(it.count, nt("{n} question", "{n} questions", counts.get(seg.id) || 0));
    it.state.hidden = !active;
    it.activate.hidden = active;
    it.li.classList.toggle("is-active", active);
    it.li.setAttribute("aria-current", active ? "step" : "false");
    return it.li;
  }));
  $("#segments-empty").hidden = segs.length > 0;
}

$("#segment-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const title = $("#seg-title").value.trim();
  if (!title) {
    setText($("#seg-msg"), t("Give the segment a title."));
    return;
  }
  const body = { title };
  if ($("#seg-start").value) body.starts_at = $("#seg-start").value;
  if ($("#seg-speakers").value.trim()) body.speakers = $("#seg-speakers").value.trim();
  const r = await api("POST", `${ctx.base}/segments`, { body, token: ctx.token });
  if (!r.ok) {
    setText($("#seg-msg"), r.message);
    return;
  }
  for (const id of ["#seg-title", "#seg-start", "#seg-speakers"]) $(id).value = "";
  setText($("#seg-msg"), "");
  $("#seg-title").focus();
});

function renderTimer() {
  const timer = ctx.live.event.timer;
  const left = timerLeft(timer);
  const clockEl = $("#timer-clock");
  setText(clockEl, left == null ? "--:--" : clock(Math.ceil(left)));
  clockEl.dataset.over = String(left != null && left <= 0);
  const running = !!timer?.running;
  setText($("#timer-start"), running ? t("Pause") : (timer && timer.remaining < timer.seconds ? t("Resume") : t("Start")));
  $("#timer-minutes").disabled = running;
  if (timer && document.activeElement !== $("#timer-minutes")) $("#timer-minutes").value = String(Math.round(timer.seconds / 60));
}

function timerSeconds() {
  const minutes = Math.round(Number($("#timer-minutes").value));
  return Math.min(600, Math.max(1, Number.isFinite(minutes) ? minutes : 10)) * 60;
}

$("#timer-start").addEventListener("click", () => {
  const timer = ctx.live.event.timer;
  const seconds = timerSeconds();
  if (timer?.running) ctx.call("PATCH", "", { timer: { seconds: timer.seconds, running: false } });
  else if (timer && timer.seconds === seconds) ctx.call("PATCH", "", { timer: { seconds, running: true } });
  else ctx.call("PATCH", "", { timer: { seconds, remaining: seconds, running: true } });
});
$("#timer-reset").addEventListener("click", () => {
  const seconds = timerSeconds();
  ctx.call("PATCH", "", { timer: { seconds, remaining: seconds, running: false } });
});
setInterval(() => { if (ctx.live?.event?.timer?.running) renderTimer(); }, 500);

function renderOverlay() {
  const hidden = !!ctx.live.event.overlay_hidden;
  setText($("#overlay-state"), hidden ? t("Overlay cleared") : t("Overlay live"));
  $("#overlay-state").dataset.open = String(!hidden);
  setText($("#overlay-toggle"), hidden ? t("Show overlay") : t("Clear overlay"));
  $("#overlay-toggle").classList.toggle("btn-quiet", hidden);
}
$("#overlay-toggle").addEventListener("click", () => ctx.call("PATCH", "", { overlay_hidden: !ctx.live.event.overlay_hidden }));

export function mount() {
  return {
    render() {
      renderSegments();
      renderTimer();
      renderOverlay();
    },
  };
}
