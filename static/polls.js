// Poll results as compact bars (attendee cards, moderator panel). Updated in place so bars animate.
import { h, percent, setText } from "./ui.js";
import { num, nt, pct, t } from "./i18n.js";

export function pollKind(kind) {
  switch (kind) {
    case "single": return t("Single choice");
    case "multiple": return t("Multiple choice");
    case "rating": return t("Rating");
    case "wordcloud": return t("Word cloud");
    default: return kind;
  }
}

/** "3", or "3 — Fully" when the scale point has a label. */
export function scalePoint(i, label) {
  return label ? t("{point} — {label}", { point: num(i), label }) : num(i);
}

/** Labels of a poll's rows: options for choice polls, 1..N for rating. */
export function rowLabels(poll) {
  if (poll.kind === "rating") {
    const n = poll.scale || 5;
    return Array.from({ length: n }, (_, i) => {
      const label = i === 0 ? poll.labels?.[0] : i === n - 1 ? poll.labels?.[1] : "";
      return scalePoint(i + 1, label);
    });
  }
  return poll.options || [];
}

/** Per-row percentages: of voters for choice polls (multiple may exceed 100 in total), of ratings for rating. */
export function rowPercents(poll) {
  const counts = poll.results?.counts || [];
  const base = poll.kind === "rating" ? counts.reduce((a, b) => a + b, 0) : poll.voters || 0;
  return counts.map((c) => percent(c, base));
}

function shape(poll) {
  return `${poll.kind}|${JSON.stringify(rowLabels(poll))}`;
}

/** A results block for one poll; call update(poll) on every change. */
export function resultsView() {
  const el = h("div", { class: "results-wrap" });
  let current = "";
  let rows = [];
  let list = null;
  let foot = null;

  function build(poll) {
    el.replaceChildren();
    rows = [];
    if (poll.kind === "wordcloud") {
      list = h("ul", { class: "word-chips" });
    } else {
      list = h("ul", { class: "results" });
      for (const label of rowLabels(poll)) {
        const share = h("span", { class: "result-pct" }, pct(0));
        const fill = h("div", { class: "bar-fill" });
        const li = h("li", {},
          h("div", { class: "result-label" }, h("span", { dir: "auto" }, label), share),
          h("div", { class: "bar", "aria-hidden": "true" }, fill));
        list.append(li);
        rows.push({ li, pct: share, fill });
      }
    }
    foot = h("p", { class: "hint" });
    el.append(list, foot);
    current = shape(poll);
  }

  function update(poll) {
    if (!poll.results) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    if (shape(poll) !== current) build(poll);
    if (poll.kind === "wordcloud") {
      const words = (poll.results.words || []).slice(0, 30);
      list.replaceChildren(...words.map((w) => h("li", {}, h("span", { dir: "auto" }, w.text),
        h("span", { class: "n" }, num(w.count)))));
      if (!words.length) list.replaceChildren(h("li", {}, t("No words yet.")));
    } else {
      const pcts = rowPercents(poll);
      const mine = new Set(poll.kind === "rating"
        ? (poll.my_answer?.rating ? [poll.my_answer.rating - 1] : [])
        : poll.my_answer?.choices || []);
      rows.forEach((row, i) => {
        const p = pcts[i] || 0;
        setText(row.pct, pct(p));
        row.fill.style.setProperty("--pct", `${p}%`);
        row.li.classList.toggle("mine", mine.has(i));
      });
    }
    const voters = poll.voters ?? 0;
    let summary = nt("{n} answer", "{n} answers", voters);
    if (poll.kind === "rating" && poll.results.mean !== null && poll.results.mean !== undefined) {
      summary = t("{answers} · average {mean}", { answers: summary, mean: num(poll.results.mean) });
    }
    setText(foot, summary);
  }

  return { el, update };
}
