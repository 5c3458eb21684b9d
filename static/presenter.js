// Presenter (projector) screen: the highlighted question, the top questions, the poll on screen,
// and backstage notes when opened with the presenter's (or a moderator's) token.
import { Live, bindIndicator } from "./live.js";
import { $, api, announcer, h, percent, prefersReducedMotion, reconcile, scheduler, setLang, setText, store,
  takeFragmentToken } from "./ui.js";
import { rowLabels, scalePoint } from "./polls.js";
import { clock, lang, languageName, num, nt, pct, t, timerLeft } from "./i18n.js";
import { languageFilter } from "./langfilter.js";
import { mountStage } from "./speakers-stage.js";

const TOP_ALONE = 5; // top questions shown when nothing is highlighted
const TOP_WITH_HIGHLIGHT = 3;
const CLOUD_MAX_WORDS = 60;
const CLOUD_RELAYOUT_MS = 900;

const snapshot = JSON.parse($("#floor-state").textContent);
const code = snapshot.event.code;
const session = store("session");
const TOKEN_KEY = `floor:present:${code}`;
const fragment = takeFragmentToken();
if (fragment) session.set(TOKEN_KEY, fragment);
let token = fragment || session.get(TOKEN_KEY);
const live = new Live({ code, snapshot, token });
const say = announcer($("#announcer"), 3000);
const local = store("local");
const filter = languageFilter($("#lang-filter"), "floor:present:lang-filter", () => schedule());

const els = {
  body: document.body,
  stage: $("#stage"),
  qView: $("#q-view"),
  highlight: $("#p-highlight"),
  hqText: $("#p-hq-text"),
  hqWho: $("#p-hq-who"),
  list: $("#p-list"),
  empty: $("#p-empty"),
  pollView: $("#poll-view"),
  pollTitle: $("#p-poll-title"),
  pollBody: $("#p-poll-body"),
  pollMeta: $("#p-poll-meta"),
  segment: $("#p-segment"),
  timer: $("#p-timer"),
  notes: $("#notes"),
  noteText: $("#note-text"),
  noteMore: $("#notes-more"),
  noteAck: $("#note-ack"),
  noteMsg: $("#note-msg"),
  presence: $("#presence"),
  ended: $("#ended"),
};

function who(q) {
  return [q.name, q.affiliation].filter(Boolean).join(" · ");
}

// -- fitting: nothing leaves the stage ------------------------------------------------------------

const HQ_SIZES = [3.4, 3.1, 2.8, 2.5]; // rem; 2.5rem is 48 px at 1080p, 96 px at 4K
const FIT_STEPS = [1, 0.9, 0.8, 0.7, 0.62, 0.55];

function overflows(el) {
  return el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
}

/** The highlighted question steps down in size, then the list loses its last rows, then the question is clamped. */
function fitQuestions() {
  const view = els.qView;
  if (view.hidden) return;
  const items = [...els.list.children];
  for (const li of items) li.hidden = false;
  $("#p-top").hidden = !!els.list.dataset.none;
  els.hqText.removeAttribute("data-clamp");
  for (const tr of els.highlight.querySelectorAll(".p-hq-text")) tr.removeAttribute("data-clamp");
  for (const size of HQ_SIZES) {
    els.highlight.style.setProperty("--hq-size", String(size));
    if (!overflows(view)) return;
  }
  // Keep one top question if the highlighted one can give up lines for it, else none.
  for (let i = items.length - 1; i >= 1 && overflows(view); i--) items[i].hidden = true;
  // Still too long: clamp the question to the lines that fit (the moderator console keeps the full text).
  const texts = [...els.highlight.querySelectorAll(".p-hq-text")];
  const clamp = (lines) => {
    for (const el of texts) {
      el.dataset.clamp = "";
      el.style.setProperty("--hq-lines", String(lines));
    }
  };
  for (let lines = 12; lines >= 5 && overflows(view); lines--) clamp(lines);
  if (overflows(view) && items[0]) items[0].hidden = true;
  for (let lines = 12; lines >= 2 && overflows(view); lines--) clamp(lines);
  $("#p-top").hidden = $("#p-top").hidden || (items.length > 0 && items.every((li) => li.hidden));
}

function fitPoll() {
  if (els.pollView.hidden) return;
  for (const step of FIT_STEPS) {
    els.pollView.style.setProperty("--fit", String(step));
    if (!overflows(els.pollView) && !overflows(els.pollBody)) return;
  }
}

function fit() {
  fitQuestions();
  fitPoll();
}
addEventListener("resize", () => fit());

// -- questions -----------------------------------------------------------------------------------

const rows = new Map();

function row(q) {
  let r = rows.get(q.id);
  if (!r) {
    const count = h("span", { class: "p-votes-n" });
    const unit = h("small");
    const text = h("p", { class: "p-item-text user-text", dir: "auto" });
    const byline = h("p", { class: "p-item-who", dir: "auto" });
    const li = h("li", { class: "p-item", "data-qid": q.id },
      h("div", { class: "p-votes" }, count, unit), h("div", {}, text, byline));
    r = { li, count, unit, text, byline };
    rows.set(q.id, r);
  }
  setText(r.count, num(q.votes || 0));
  // Translators: the unit under a vote count on the projector ("12 / votes"); {n} is not shown.
  setText(r.unit, nt("vote", "votes", q.votes || 0));
  setText(r.text, q.text);
  setLang(r.text, q.language);
  setText(r.byline, who(q));
  return r.li;
}

function renderQuestions() {
  const ev = live.event;
  const qs = [...live.questions.values()].filter((q) => q.status === "approved" && inSegment(q, ev));
  const hq = qs.find((q) => q.id === ev.highlighted);
  els.highlight.hidden = !hq;
  if (hq) {
    setText(els.hqText, hq.text);
    setLang(els.hqText, hq.language);
    setText(els.hqWho, who(hq));
  }
  renderTranslation(hq, ev);
  const top = filter.apply(qs.filter((q) => q !== hq)
    .sort((a, b) => (b.votes || 0) - (a.votes || 0) || (a.created_at || "").localeCompare(b.created_at || "")))
    .slice(0, hq ? TOP_WITH_HIGHLIGHT : TOP_ALONE);
  reconcile(els.list, top.map(row));
  for (const id of [...rows.keys()]) if (!top.some((q) => q.id === id)) rows.delete(id);
  els.qView.classList.toggle("with-highlight", !!hq);
  $("#p-top").hidden = !!hq && top.length === 0;
  els.list.dataset.none = $("#p-top").hidden ? "true" : "";
  els.empty.hidden = top.length > 0 || !!hq;
}

/** Bilingual screen: the event's screen_translation beside the original, when the question has one. */
const hqPair = $("#p-hq-pair");
const hqTr = $("#p-hq-tr");
function renderTranslation(hq, ev) {
  const want = ev.screen_translation;
  const text = hq && want && hq.translations && typeof hq.translations === "object" ? hq.translations[want] : null;
  const show = !!text && (hq.language || "").split("-")[0] !== want;
  hqTr.hidden = !show;
  hqPair.classList.toggle("p-hq-pair", show);
  if (!show) return;
  setText($("#p-hq-tr-from"), languageName(want));
  const el = $("#p-hq-tr-text");
  setText(el, text);
  setLang(el, want);
}

// -- agenda: the active segment and its timer ----------------------------------------------------

/** The screen follows the moderator's active segment (questions asked before any segment stay with it). */
function inSegment(q, ev) {
  return !ev.active_segment || q.segment == null || q.segment === ev.active_segment || q.id === ev.highlighted;
}

function renderSegment() {
  const ev = live.event;
  const seg = (ev.segments || []).find((s) => s.id === ev.active_segment);
  setText(els.segment, seg ? seg.title : "");
  els.segment.hidden = !seg;
  const left = timerLeft(ev.timer);
  // Public screens show the timer only when the organiser says so; the presenter's own screen always does.
  const mayShow = !!token || !!ev.public_timer;
  els.timer.hidden = left == null || !mayShow;
  if (left != null) {
    setText(els.timer, clock(Math.ceil(left)));
    els.timer.dataset.state = left <= 0 ? "over" : left <= 60 ? "low" : ev.timer.running ? "running" : "paused";
  }
}
setInterval(() => { if (live.event.timer?.running) renderSegment(); }, 500);

// -- poll on screen ------------------------------------------------------------------------------

let pollShape = "";
let pollParts = null;

function renderPoll() {
  const pid = live.event.presenting_poll;
  const poll = pid ? live.polls.get(pid) : null;
  els.pollView.hidden = !poll;
  els.qView.hidden = !!poll;
  els.body.classList.toggle("polling", !!poll);
  if (!poll) {
    pollShape = "";
    return;
  }
  setText(els.pollTitle, poll.title);
  setText($("#p-poll-kicker"), poll.status === "open" ? t("Live poll") : t("Poll results"));
  const shape = JSON.stringify([poll.id, poll.kind, poll.options, poll.scale, poll.labels]);
  if (shape !== pollShape) {
    pollShape = shape;
    pollParts = buildPoll(poll);
    els.pollBody.replaceChildren(pollParts.el);
    els.pollView.style.setProperty("--fit", "1");
  }
  if (!poll.results) {
    setText(els.pollMeta, t("Results are hidden for this poll."));
    return;
  }
  pollParts.update(poll);
  setText(els.pollMeta, poll.voters ? nt("{n} answer", "{n} answers", poll.voters) : t("Waiting for the first answers…"));
}

function buildPoll(poll) {
  if (poll.kind === "rating") return ratingView(poll);
  if (poll.kind === "wordcloud") return cloudView();
  return barsView(poll);
}

function barsView(poll) {
  const items = poll.options.map((label) => {
    const share = h("span", { class: "p-bar-pct" }, pct(0));
    const fill = h("div", { class: "p-bar-fill" });
    const li = h("li", {}, h("div", { class: "p-bar-label" }, h("span", { dir: "auto" }, label), share),
      h("div", { class: "p-bar-track", "aria-hidden": "true" }, fill));
    return { li, pct: share, fill };
  });
  const el = h("ol", { class: "p-bars", "data-many": poll.options.length > 6 ? "" : null }, items.map((i) => i.li));
  return {
    el,
    update(p) {
      const counts = p.results.counts || [];
      const lead = Math.max(0, ...counts);
      items.forEach((it, i) => {
        const v = percent(counts[i] || 0, p.voters || 0);
        setText(it.pct, pct(v));
        it.fill.style.setProperty("--pct", `${v}%`);
        it.li.classList.toggle("p-bar-lead", lead > 0 && counts[i] === lead);
      });
    },
  };
}

function ratingView(poll) {
  const n = poll.scale || 5;
  const labels = rowLabels(poll);
  const mean = h("strong");
  const cols = Array.from({ length: n }, (_, i) => {
    const count = h("span", { class: "p-hist-count" }, num(0));
    const fill = h("div", { class: "p-hist-fill" });
    const li = h("li", { "aria-label": labels[i] }, count, h("div", { class: "p-hist-col", "aria-hidden": "true" }, fill),
      h("span", { class: "p-hist-point", "aria-hidden": "true" }, num(i + 1)));
    return { li, count, fill };
  });
  const ends = poll.labels
    ? h("div", { class: "p-hist-ends" }, h("span", { dir: "auto" }, scalePoint(1, poll.labels[0])),
      h("span", { dir: "auto" }, scalePoint(n, poll.labels[1])))
    : null;
  const [before, after] = t("Average {mean} out of {max}", { max: n }).split("{mean}");
  const el = h("div", { class: "p-rating" },
    h("p", { class: "p-mean" }, before, mean, after),
    h("ol", { class: "p-hist" }, cols.map((c) => c.li)), ends);
  return {
    el,
    update(p) {
      const counts = p.results.counts || [];
      const max = Math.max(0, ...counts);
      setText(mean, p.results.mean === null || p.results.mean === undefined ? "–" : num(p.results.mean));
      cols.forEach((c, i) => {
        setText(c.count, num(counts[i] || 0));
        c.fill.style.setProperty("--pct", `${max ? percent(counts[i] || 0, max) : 0}%`);
      });
    },
  };
}

/** Word cloud: sizes by frequency, placed on an Archimedean spiral with no overlaps, measured with canvas. */
function cloudView() {
  const el = h("div", { class: "p-cloud" });
  const spans = new Map();
  const ctx = document.createElement("canvas").getContext("2d");
  let lastKey = "";
  let timer = null;
  let latest = null;

  function colour(text) {
    let x = 0;
    for (const ch of text) x = (x * 31 + ch.codePointAt(0)) >>> 0;
    return `c${x % 5}`;
  }

  function layout(words) {
    const W = el.clientWidth;
    const H = el.clientHeight;
    if (!W || !H) return [];
    const family = getComputedStyle(el).fontFamily;
    const max = words[0].count;
    const min = words[words.length - 1].count;
    const big = Math.min(H / 4, W / 8);
    const small = Math.max(18, big / 5);
    for (let scale = 1; scale > 0.2; scale *= 0.85) {
      const placed = [];
      let ok = true;
      for (const [index, w] of words.entries()) {
        const t = max === min ? 1 : (w.count - min) / (max - min);
        const size = Math.round((small + (big - small) * t ** 0.7) * scale);
        ctx.font = `750 ${size}px ${family}`;
        const bw = ctx.measureText(w.text).width + size * 0.5;
        const bh = size * 1.2;
        const spot = findSpot(placed, bw, bh, W, H);
        if (!spot) {
          // The most frequent words must fit (up to 30 of them): shrink and retry.
          if (index < Math.min(30, words.length)) { ok = false; break; }
          continue;
        }
        placed.push({ ...spot, w: bw, h: bh, size, word: w });
      }
      if (ok) return placed;
    }
    return [];
  }

  function findSpot(placed, w, h, W, H) {
    const cx = W / 2;
    const cy = H / 2;
    const stretch = W / H; // an elliptical spiral fills a wide screen
    for (let i = 0; i < 3000; i++) {
      const a = i * 0.3;
      const r = 3 * a;
      const x = cx + r * Math.cos(a) * stretch - w / 2;
      const y = cy + r * Math.sin(a) - h / 2;
      if (r * Math.min(1, stretch) > Math.hypot(W, H)) return null;
      if (x < 0 || y < 0 || x + w > W || y + h > H) continue;
      if (!placed.some((p) => x < p.x + p.w && x + w > p.x && y < p.y + p.h && y + h > p.y)) return { x, y };
    }
    return null;
  }

  function draw() {
    timer = null;
    const words = (latest?.results?.words || []).slice(0, CLOUD_MAX_WORDS);
    const key = JSON.stringify(words) + el.clientWidth + "x" + el.clientHeight;
    if (key === lastKey) return;
    lastKey = key;
    if (!words.length) {
      el.replaceChildren(h("p", { class: "p-cloud-empty" }, t("Words will appear here as people answer.")));
      spans.clear();
      return;
    }
    el.querySelector(".p-cloud-empty")?.remove();
    const placed = layout(words);
    const keep = new Set();
    for (const p of placed) {
      let span = spans.get(p.word.text);
      if (!span) {
        span = h("span", { class: `p-word ${colour(p.word.text)}`, dir: "auto" }, p.word.text);
        spans.set(p.word.text, span);
        el.append(span);
      }
      keep.add(p.word.text);
      span.style.fontSize = `${p.size}px`;
      span.style.transform = `translate(${Math.round(p.x + p.size * 0.25)}px, ${Math.round(p.y)}px)`;
      span.title = num(p.word.count);
    }
    for (const [text, span] of spans) {
      if (!keep.has(text)) {
        span.remove();
        spans.delete(text);
      }
    }
  }

  addEventListener("resize", () => {
    lastKey = "";
    if (latest) draw();
  });

  return {
    el,
    update(p) {
      latest = p;
      // Answers arrive several times a second: re-layout at most about once a second.
      if (!timer) timer = setTimeout(draw, lastKey ? (prefersReducedMotion() ? 2000 : CLOUD_RELAYOUT_MS) : 0);
    },
  };
}

// -- backstage notes -----------------------------------------------------------------------------

let shownNote = null;

function renderNotes() {
  const open = [...live.notes.values()].filter((n) => !n.acked_at).sort((a, b) => a.id - b.id);
  els.notes.hidden = !token || open.length === 0;
  if (!open.length) {
    shownNote = null;
    return;
  }
  const note = open[0];
  if (shownNote !== note.id) {
    shownNote = note.id;
    setText(els.noteMsg, "");
    say(t("New note from the moderator."));
  }
  setText(els.noteText, note.text);
  setText(els.noteMore, open.length > 1 ? nt("(+{n} more)", "(+{n} more)", open.length - 1) : "");
}

els.noteAck.addEventListener("click", async () => {
  if (!shownNote) return;
  const id = shownNote;
  els.noteAck.disabled = true;
  const r = await api("POST", `/api/events/${encodeURIComponent(code)}/notes/${id}/ack`, { token });
  els.noteAck.disabled = false;
  if (r.ok) {
    live.notes.set(id, r.data);
    live.notify(r.data);
  } else {
    setText(els.noteMsg, r.message || t("Could not acknowledge the note. Try again."));
  }
});

// -- screen --------------------------------------------------------------------------------------

function render() {
  renderSegment();
  renderQuestions();
  renderPoll();
  renderNotes();
  fit();
}
const schedule = scheduler(render);

// Announced to screen readers: what goes on screen (a question, a poll), never each vote.
let wasHighlighted = live.event.highlighted;
let wasPresenting = live.event.presenting_poll;

live.subscribe((type, data) => {
  if (type === "event.deleted") {
    els.stage.hidden = true;
    els.notes.hidden = true;
    els.ended.hidden = false;
    return;
  }
  if (type === "auth.failed") {
    token = null;
    session.remove(TOKEN_KEY);
  }
  if (type === "event.updated") {
    const ev = live.event;
    if (ev.highlighted && ev.highlighted !== wasHighlighted) {
      const q = live.questions.get(ev.highlighted);
      if (q) say(t("On screen now: {question}", { question: q.text }));
    }
    if (ev.presenting_poll && ev.presenting_poll !== wasPresenting) {
      const p = live.polls.get(ev.presenting_poll);
      if (p) say(t("Poll on screen: {title}", { title: p.title }));
    }
    wasHighlighted = ev.highlighted;
    wasPresenting = ev.presenting_poll;
    // The organiser changed the screen's language: follow, unless this screen was given one in its address.
    if (data?.language && data.language !== lang && !new URLSearchParams(location.search).has("lang")) {
      location.reload();
      return;
    }
  }
  schedule();
});

// -- projector settings: high contrast and text size, remembered on this device ------------------

const CONTRAST_KEY = "floor:present:contrast";
const SCALE_KEY = "floor:present:scale";
const SCALES = [0.85, 1, 1.2, 1.45, 1.75];
let scaleIndex = Math.max(0, SCALES.indexOf(local.get(SCALE_KEY, 1)));
const contrastButton = $("#contrast");

function applyContrast(on) {
  document.documentElement.classList.toggle("high-contrast", on);
  contrastButton.setAttribute("aria-pressed", String(on));
  local.set(CONTRAST_KEY, on);
}

function applyScale(i) {
  scaleIndex = Math.min(SCALES.length - 1, Math.max(0, i));
  document.documentElement.style.setProperty("--p-scale", String(SCALES[scaleIndex]));
  local.set(SCALE_KEY, SCALES[scaleIndex]);
  $("#text-smaller").disabled = scaleIndex === 0;
  $("#text-larger").disabled = scaleIndex === SCALES.length - 1;
  dispatchEvent(new Event("resize")); // the word cloud lays itself out again, and the stage is fitted again
}

contrastButton.addEventListener("click", () => applyContrast(contrastButton.getAttribute("aria-pressed") !== "true"));
$("#text-smaller").addEventListener("click", () => applyScale(scaleIndex - 1));
$("#text-larger").addEventListener("click", () => applyScale(scaleIndex + 1));
applyContrast(local.get(CONTRAST_KEY, false) === true);
applyScale(scaleIndex);

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest?.("input, textarea, select, [contenteditable]")) return;
  if (e.key === "f" || e.key === "F") {
    e.preventDefault();
    toggleFullscreen();
  } else if (e.key === "c" || e.key === "C") {
    e.preventDefault();
    contrastButton.click();
  } else if (e.key === "+" || e.key === "=") {
    e.preventDefault();
    applyScale(scaleIndex + 1);
  } else if (e.key === "-" || e.key === "_") {
    e.preventDefault();
    applyScale(scaleIndex - 1);
  }
});
$("#fullscreen").addEventListener("click", toggleFullscreen);

// Hide the pointer (and the full-screen hint) after a few seconds without mouse movement.
let idleTimer = null;
addEventListener("mousemove", () => {
  els.body.classList.remove("idle");
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => els.body.classList.add("idle"), 3000);
});

bindIndicator(live, $("#live"), { presenceEl: els.presence,
  presenceText: (n) => nt("{n} connected", "{n} connected", n) });
render();
mountStage(live);
live.start();
