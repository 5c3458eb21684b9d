// Moderator questions: the incoming queue, the status tabs, question cards with their actions, keyboard moderation
// and the counters.
import { $, h, reconcile, setLang, setText } from "./ui.js";
import { languageName, nt, num, t, time } from "./i18n.js";
import { languageFilter } from "./langfilter.js";
import { byAge, byRecent, byVotes, confirmable, ctx } from "./mod-context.js";
import { questionExtras } from "./mod-translations.js";

const els = {
  incoming: $("#incoming"),
  incomingEmpty: $("#incoming-empty"),
  incomingCount: $("#incoming-count"),
  tabList: $("#tab-list"),
  tabEmpty: $("#tab-empty"),
  tabPanel: $("#tab-panel"),
  dialog: $("#shortcuts-dialog"),
  console: $("#console"),
};

let tab = "approved";
let selected = null; // question id
const editing = new Set();

const cards = new Map();

function card(id) {
  let c = cards.get(id);
  if (c) return c;
  const badges = h("div", { class: "c-badges" });
  const text = h("p", { class: "c-q-text user-text", dir: "auto" });
  const original = h("p", { class: "c-q-original" }, h("span", { class: "c-q-original-label" }, t("Original:"), " "),
    h("span", { class: "user-text", dir: "auto" }));
  const who = h("span", { dir: "auto" });
  const org = h("span", { dir: "auto" });
  const votes = h("span", { class: "c-votes" });
  const langBadge = h("span", { class: "badge c-lang" });
  const when = h("time", { class: "c-when" });
  const byline = h("span", { dir: "auto" }, who, h("span", { class: "sep", "aria-hidden": "true" }, " · "), org);
  const asker = h("span", { class: "c-asker" });
  const meta = h("p", { class: "c-q-meta" }, byline, asker, h("span", { class: "spacer" }), langBadge, when, votes);
  const actions = h("div", { class: "c-actions", role: "group", "aria-label": t("Actions") });
  const editBox = h("div", { class: "c-edit" });
  const ref = h("span", { class: "c-ref", dir: "ltr" }, `#${id}`);
  const similar = h("p", { class: "c-similar" });
  const moveTo = h("select", { class: "c-move", "aria-label": t("Move to segment") });
  moveTo.addEventListener("change", async () => {
    const value = moveTo.value;
    if (value === "") return;
    const r = await ctx.moderate(id, "move", { segment: Number(value) });
    if (!r.ok) moveTo.value = String(ctx.live.questions.get(id)?.segment ?? "");
  });
  const langs = questionExtras(id); // languages and translations (issue 14)
  const li = h("li", { class: "c-q", tabindex: "-1", "data-qid": id }, badges, text, original, similar, meta, editBox,
    langs.el, h("div", { class: "c-q-foot" }, actions, moveTo));
  meta.prepend(ref);
  li.addEventListener("focusin", () => select(id, { focus: false }));
  li.addEventListener("click", (e) => {
    if (!e.target.closest("button, textarea, input")) select(id);
  });
  c = { li, badges, text, original, who, org, votes, lang: langBadge, when, actions, editBox, similar, moveTo, asker,
    langs, sig: "", simSig: "", moveSig: "", askerSig: "" };
  cards.set(id, c);
  return c;
}

function actionsFor(q) {
  const list = [];
  const s = q.status;
  if (s === "pending" || s === "rejected") list.push(["approve", t("Approve"), "a"]);
  if (s === "pending" || s === "approved") {
    list.push(q.highlighted ? ["unhighlight", t("Take off screen"), "h"] : ["highlight", t("Put on screen"), "h"]);
  }
  if (s === "approved") list.push(["answer", t("Done"), "d"]);
  if (s === "pending" || s === "approved") list.push(["edit", t("Edit"), "e"]);
  if (s === "pending" || s === "approved") list.push(["merge-pick", t("Merge…"), null]);
  if (s === "pending" || s === "approved") list.push(["reject", t("Reject"), "r"]);
  if (s === "approved" || s === "answered") list.push(["archive", t("Archive"), null]);
  if (s === "answered" || s === "archived" || s === "rejected") list.push(["restore", t("Restore"), null]);
  return list;
}

/** Ban or unban whoever asked this question (moderators see a one-way tag of the asker, never who it is). */
function askerAction(q) {
  if (q.status === "merged" || !q.participant) return null;
  return isBanned(q.participant) ? ["unban", t("Unban")] : ["ban", t("Ban asker")];
}

function isBanned(tag) {
  return (ctx.live.event?.banned || []).includes(tag);
}

function updateCard(c, q) {
  setText(c.text, q.text);
  c.langs.update(q);
  c.original.hidden = !q.original_text;
  setText(c.original.lastChild, q.original_text || "");
  const name = q.name || (q.affiliation ? "" : t("Anonymous"));
  setText(c.who, name);
  setText(c.org, q.affiliation || "");
  c.org.previousSibling.hidden = !(name && q.affiliation);
  setText(c.votes, nt("{n} vote", "{n} votes", q.votes || 0));
  setText(c.when, time(q.created_at));
  c.when.dateTime = q.created_at || "";
  setLang(c.text, q.language);
  setText(c.lang, q.language ? languageName(q.language) : "");
  c.lang.hidden = !q.language;
  const badges = [];
  if (q.highlighted) badges.push(["badge-live", t("On screen")]);
  if (q.flagged) badges.push(["badge-danger", t("Flagged")]);
  if (q.held) badges.push(["badge-warn", t("Held: banned participant")]);
  if (q.original_text) badges.push(["", t("Edited")]);
  const bsig = JSON.stringify(badges);
  if (c.badges.dataset.sig !== bsig) {
    c.badges.dataset.sig = bsig;
    c.badges.replaceChildren(...badges.map(([cls, label]) => h("span", { class: `badge ${cls}` }, label)));
  }
  updateSimilar(c, q);
  updateMove(c, q);
  c.li.classList.toggle("is-flagged", !!q.flagged);
  c.li.classList.toggle("is-held", !!q.held);
  c.li.classList.toggle("is-onscreen", !!q.highlighted);
  const acts = actionsFor(q);
  const sig = JSON.stringify(acts);
  if (c.sig !== sig) {
    c.sig = sig;
    c.actions.replaceChildren(...acts.map(([action, label, key]) => {
      const b = h("button", { type: "button", class: `btn btn-small ${action === "approve" || action === "highlight" ? "" : "btn-quiet"}`,
        "data-action": action, "aria-keyshortcuts": key || null }, label);
      b.addEventListener("click", () => act(q.id, action));
      return b;
    }));
  }
  const who = askerAction(q);
  const askerSig = JSON.stringify(who);
  if (c.askerSig !== askerSig) {
    c.askerSig = askerSig;
    c.asker.replaceChildren();
    if (who) {
      const [action, label] = who;
      const b = h("button", { type: "button", class: `btn btn-small btn-quiet${action === "ban" ? " c-danger" : ""}`,
        "data-action": action }, label);
      if (action === "ban") confirmable(b, label, t("Confirm ban"), () => act(q.id, action));  // two clicks, like delete
      else b.addEventListener("click", () => act(q.id, action));
      c.asker.append(b);
    }
  }
  c.li.classList.toggle("is-selected", selected === q.id);
  c.li.setAttribute("aria-current", selected === q.id ? "true" : "false");
}

/** "Similar to #N" with a one-click merge, while both questions are still in play. */
function updateSimilar(c, q) {
  const target = q.similar_to ? ctx.live.questions.get(q.similar_to) : null;
  const show = !!target && target.status !== "merged" && target.status !== "rejected"
    && (q.status === "pending" || q.status === "approved");
  const sig = show ? `${target.id}:${target.text}` : "";
  if (c.simSig === sig) return;
  c.simSig = sig;
  c.similar.hidden = !show;
  if (!show) {
    c.similar.replaceChildren();
    return;
  }
  const merge = h("button", { type: "button", class: "btn btn-small btn-quiet", "data-action": "merge" },
    t("Merge into #{id}", { id: target.id }));
  merge.addEventListener("click", () => ctx.moderate(q.id, "merge", { into: target.id }));
  c.similar.replaceChildren(
    h("span", { class: "badge badge-warn" }, t("Similar to #{id}", { id: target.id })), " ",
    h("span", { class: "c-similar-text user-text", dir: "auto" }, target.text), " ", merge);
}

function updateMove(c, q) {
  const segs = ctx.live.event.segments || [];
  const sig = JSON.stringify([segs.map((s) => [s.id, s.title]), q.segment]);
  if (c.moveSig === sig) return;
  c.moveSig = sig;
  c.moveTo.hidden = segs.length < 2 || q.status === "merged";
  const options = [h("option", { value: "", disabled: "" }, t("Segment…"))];
  for (const seg of segs) options.push(h("option", { value: String(seg.id) }, seg.title));
  c.moveTo.replaceChildren(...options);
  c.moveTo.value = q.segment == null ? "" : String(q.segment);
}

function startEdit(id) {
  const q = ctx.live.questions.get(id);
  const c = cards.get(id);
  if (!q || !c || editing.has(id)) return;
  editing.add(id);
  const area = h("textarea", { rows: "3", maxlength: "500", dir: "auto", "aria-label": t("Edit question text") });
  area.value = q.text;
  const save = h("button", { type: "submit", class: "btn btn-small" }, t("Save"));
  const cancel = h("button", { type: "button", class: "btn btn-quiet btn-small" }, t("Cancel"));
  const form = h("form", { class: "c-edit-form" }, area, h("div", { class: "row" }, save, cancel));
  const stop = () => {
    editing.delete(id);
    c.editBox.replaceChildren();
    c.text.hidden = false;
    c.actions.hidden = false;
    c.li.focus();
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    save.disabled = true;
    const r = await ctx.moderate(id, "edit", { text: area.value });
    save.disabled = false;
    if (r.ok) stop();
  });
  cancel.addEventListener("click", stop);
  area.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      stop();
    } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  c.text.hidden = true;
  c.actions.hidden = true;
  c.editBox.replaceChildren(form);
  area.focus();
}

// -- ordering and selection ----------------------------------------------------------------------

const filter = languageFilter($("#lang-filter"), "floor:moderate:lang-filter", () => ctx.render());

function columns() {
  const qs = [...ctx.live.questions.values()].filter((q) => q.status !== "merged");
  const incoming = filter.apply(qs.filter((q) => q.status === "pending").sort(byAge));
  const tabbed = filter.apply(qs.filter((q) => q.status === tab).sort(tab === "approved" ? byVotes : byRecent));
  if (tab === "approved") {
    const hq = tabbed.findIndex((q) => q.highlighted);
    if (hq > 0) tabbed.unshift(...tabbed.splice(hq, 1));
  }
  return { incoming, tabbed };
}

function order() {
  const { incoming, tabbed } = columns();
  return [...incoming, ...tabbed].map((q) => q.id);
}

function select(id, { focus = true } = {}) {
  if (selected !== id) {
    const prev = cards.get(selected);
    if (prev) {
      prev.li.classList.remove("is-selected");
      prev.li.setAttribute("aria-current", "false");
    }
    selected = id;
    const c = cards.get(id);
    if (c) {
      c.li.classList.add("is-selected");
      c.li.setAttribute("aria-current", "true");
    }
  }
  if (focus) {
    const c = cards.get(id);
    if (c && document.activeElement !== c.li && !c.li.contains(document.activeElement)) {
      c.li.focus({ preventScroll: true });
      c.li.scrollIntoView({ block: "nearest" });
    }
  }
}

function move(step) {
  const ids = order();
  if (!ids.length) return;
  const i = ids.indexOf(selected);
  const next = i === -1 ? (step > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, i + step));
  select(ids[next]);
}

/** After an action moves the selected question elsewhere, keep the keyboard in the list it was in. */
function neighbourAfter(id, action) {
  const q = ctx.live.questions.get(id);
  if (!q) return null;
  const { incoming, tabbed } = columns();
  const list = q.status === "pending" ? incoming : tabbed;
  const leaves = (q.status === "pending" && ["approve", "reject", "answer", "highlight", "ban"].includes(action))
    || (q.status === "approved" && ["answer", "reject", "archive"].includes(action))
    || (q.status !== "approved" && q.status !== "pending" && ["approve", "restore"].includes(action));
  if (!leaves) return id;
  const i = list.findIndex((x) => x.id === id);
  const rest = list.filter((x) => x.id !== id);
  return rest.length ? rest[Math.min(i, rest.length - 1)].id : null;
}

async function act(id, action) {
  const q = ctx.live.questions.get(id);
  if (!q) return;
  if (action === "edit") {
    startEdit(id);
    return;
  }
  if (action === "merge-pick") {
    startMerge(id);
    return;
  }
  if (!actionsFor(q).some(([a]) => a === action) && askerAction(q)?.[0] !== action) return;
  if (selected === id) {
    const next = neighbourAfter(id, action);
    if (next !== id) pendingSelect = next;
  }
  const before = q.status;
  const onScreen = !!q.highlighted;
  const r = await ctx.moderate(id, action);
  if (r.ok && (action === "reject" || action === "archive")) offerUndo(id, action, before, onScreen);
}
let pendingSelect = undefined;

// The actions that take a rejected or archived question back to the status it had: a question rejected from the
// queue goes back to the queue, not to the public list.
const UNDO = { pending: ["requeue"], approved: ["restore"], answered: ["restore", "answer"] };

/** Reject and archive can be taken back for a few seconds, to the status the question had before; a question that
 * was on screen goes back on screen, unless another one has been put there since (Undo must not take it off). */
function offerUndo(id, action, before, onScreen) {
  const message = action === "reject" ? t("Question #{id} rejected.", { id }) : t("Question #{id} archived.", { id });
  ctx.toast(message, {
    seconds: 8,
    action: {
      label: t("Undo"),
      async run() {
        let r = { ok: true };
        for (const step of UNDO[before] || ["restore"]) {
          r = await ctx.moderate(id, step);
          if (!r.ok) break;
        }
        const screenFree = ![...ctx.live.questions.values()].some((x) => x.highlighted && x.id !== id);
        if (r.ok && onScreen && screenFree) r = await ctx.moderate(id, "highlight");
        if (r.ok) ctx.say(t("Undone."));
      },
    },
  });
}

// -- manual merge: pick the question to merge into by its number or by searching its text ------------

function mergeTargets(id, query) {
  const q = query.trim().replace(/^#/, "").toLocaleLowerCase();
  const all = [...ctx.live.questions.values()].filter((x) => x.id !== id
    && ["pending", "approved", "answered"].includes(x.status));
  if (!q) return all.sort(byVotes).slice(0, 5);
  if (/^\d+$/.test(q)) return all.filter((x) => String(x.id) === q);
  return all.filter((x) => (x.text || "").toLocaleLowerCase().includes(q)).sort(byVotes).slice(0, 8);
}

function startMerge(id) {
  const c = cards.get(id);
  if (!c || editing.has(id)) return;
  editing.add(id);
  const input = h("input", { type: "search", dir: "auto", "aria-label": t("Merge into: a question number or words from it"),
    placeholder: t("Number or words"), autocomplete: "off" });
  const results = h("ul", { "aria-live": "polite" });
  const cancel = h("button", { type: "button", class: "btn btn-quiet btn-small" }, t("Cancel"));
  const box = h("div", { class: "c-merge-pick", role: "group", "aria-label": t("Merge into another question") },
    input, cancel, results);
  const stop = () => {
    editing.delete(id);
    c.editBox.replaceChildren();
    c.actions.hidden = false;
    c.li.focus();
  };
  const list = () => {
    const found = mergeTargets(id, input.value);
    results.replaceChildren(...found.map((x) => {
      const b = h("button", { type: "button", class: "btn btn-quiet btn-small", "data-into": x.id },
        h("span", { dir: "ltr" }, `#${x.id} `), h("span", { class: "user-text", dir: "auto" }, x.text));
      b.addEventListener("click", async () => {
        const r = await ctx.moderate(id, "merge", { into: x.id });
        if (r.ok) {
          editing.delete(id);
          ctx.say(t("Merged into #{id}.", { id: x.id }));
        }
      });
      return h("li", {}, b);
    }));
    if (!found.length) results.replaceChildren(h("li", { class: "hint" }, t("No question matches.")));
  };
  input.addEventListener("input", list);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      stop();
    }
  });
  cancel.addEventListener("click", stop);
  c.actions.hidden = true;
  c.editBox.replaceChildren(box);
  list();
  input.focus();
}

// -- merged questions ------------------------------------------------------------------------------

function renderMerged() {
  const merged = [...ctx.live.questions.values()].filter((q) => q.status === "merged").sort(byRecent);
  setText($("#merged-count"), num(merged.length));
  $("#merged").hidden = merged.length === 0;
  $("#merged-list").replaceChildren(...merged.map((q) => h("li", { class: "c-merged-item", "data-qid": q.id },
    h("span", { dir: "ltr" }, t("#{id} into #{into}", { id: q.id, into: q.merged_into ?? "?" })), " · ",
    h("span", { class: "user-text", dir: "auto" }, q.text))));
}

// -- tabs ----------------------------------------------------------------------------------------

const tabs = [...document.querySelectorAll('[role="tab"]')];
function setTab(name, focus = false) {
  tab = name;
  for (const t of tabs) {
    const on = t.dataset.tab === name;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    if (on) {
      els.tabPanel.setAttribute("aria-labelledby", t.id);
      if (focus) t.focus();
    }
  }
  ctx.render();
}
for (const t of tabs) {
  t.addEventListener("click", () => setTab(t.dataset.tab));
  t.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(t);
    const rtl = getComputedStyle(t).direction === "rtl";
    const fwd = rtl ? "ArrowLeft" : "ArrowRight";
    const back = rtl ? "ArrowRight" : "ArrowLeft";
    if (e.key === fwd) setTab(tabs[(i + 1) % tabs.length].dataset.tab, true);
    else if (e.key === back) setTab(tabs[(i - 1 + tabs.length) % tabs.length].dataset.tab, true);
    else return;
    e.preventDefault();
  });
}

// -- keyboard ------------------------------------------------------------------------------------

const KEYS = { a: "approve", r: "reject", h: "highlight", d: "answer", e: "edit" };

addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  if (document.querySelector("dialog[open]") || !ctx.live || els.console.hidden) return;
  const t = e.target;
  if (t.closest?.("input, textarea, select, [contenteditable=''], [contenteditable='true']")) return;
  if (e.key === "?") {
    e.preventDefault();
    els.dialog.showModal();
    return;
  }
  if (e.key === "j" || e.key === "k") {
    e.preventDefault();
    move(e.key === "j" ? 1 : -1);
    return;
  }
  const action = KEYS[e.key];
  if (!action || selected === null) return;
  const q = ctx.live.questions.get(selected);
  if (!q) return;
  e.preventDefault();
  act(q.id, action === "highlight" && q.highlighted ? "unhighlight" : action);
});
$("#help").addEventListener("click", () => els.dialog.showModal());

// -- render --------------------------------------------------------------------------------------

function renderQuestions() {
  const { incoming, tabbed } = columns();
  const used = new Set();
  const nodes = (list) => list.map((q) => {
    used.add(q.id);
    const c = card(q.id);
    updateCard(c, q);
    return c.li;
  });
  reconcile(els.incoming, nodes(incoming));
  reconcile(els.tabList, nodes(tabbed));
  for (const id of [...cards.keys()]) if (!used.has(id) && !editing.has(id)) cards.delete(id);
  els.incomingEmpty.hidden = incoming.length > 0;
  els.tabEmpty.hidden = tabbed.length > 0;
  setText(els.incomingCount, num(incoming.length));

  const counts = { received: 0, pending: 0, approved: 0, answered: 0, rejected: 0, archived: 0 };
  for (const q of ctx.live.questions.values()) {
    counts.received += 1; // a merged question was received too: the count never drops after a merge
    if (q.status in counts) counts[q.status] += 1;
  }
  // and never after an erasure either: the server's total counts every question ever asked
  received = Math.max(received, counts.received, ctx.live.moderationCounts?.received ?? 0);
  counts.received = received;
  renderMerged();
  for (const k of ["received", "pending", "approved", "answered", "rejected"]) setText($(`#n-${k}`), num(counts[k]));
  // Held (a banned participant's, rejected for all but its asker): shown when this server counts it too.
  $("#held-stat").hidden = !(ctx.live.stats && "held" in ctx.live.stats);
  setText($("#n-held"), num([...ctx.live.questions.values()].filter((q) => q.held && q.status === "rejected").length));
  for (const badge of document.querySelectorAll("[data-count]")) setText(badge, num(counts[badge.dataset.count] ?? 0));

  if (pendingSelect !== undefined) {
    const target = pendingSelect;
    pendingSelect = undefined;
    if (target !== null && cards.has(target)) select(target);
  }
  if (selected !== null && !used.has(selected)) selected = null;
}

let received = 0;

export function mount() {
  return { render: renderQuestions };
}
