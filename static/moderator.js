// Moderator console: incoming queue, live list and status tabs, keyboard moderation, bans and the activity log,
// polls, notes.
import { Live, bindIndicator } from "./live.js";
import { $, announcer, api, copyText, h, reconcile, scheduler, setLang, setText, store, takeFragmentToken } from "./ui.js";
import { pollKind, resultsView } from "./polls.js";
import { clock, dateTime, eventTime, languageName, num, nt, pt, t, time, timerLeft } from "./i18n.js";
import { languageFilter } from "./langfilter.js";


const page = JSON.parse($("#floor-page").textContent);
const code = page.code;
const session = store("session");
const TOKEN_KEY = `floor:moderate:${code}`;
const say = announcer($("#announcer"), 2500);
const base = `/api/events/${encodeURIComponent(code)}`;

const els = {
  console: $("#console"),
  needToken: $("#need-token"),
  tokenForm: $("#token-form"),
  tokenInput: $("#token-input"),
  tokenMsg: $("#token-msg"),
  ended: $("#ended"),
  incoming: $("#incoming"),
  incomingEmpty: $("#incoming-empty"),
  incomingCount: $("#incoming-count"),
  tabList: $("#tab-list"),
  tabEmpty: $("#tab-empty"),
  tabPanel: $("#tab-panel"),
  toggleOpen: $("#toggle-open"),
  openState: $("#open-state"),
  toast: $("#toast"),
  dialog: $("#shortcuts-dialog"),
  pollForm: $("#poll-form"),
  pollList: $("#poll-list"),
  pollsEmpty: $("#polls-empty"),
  newPoll: $("#new-poll"),
  bannedList: $("#banned-list"),
  activity: $("#activity-dialog"),
  activityList: $("#activity-list"),
};

let token = takeFragmentToken();
if (token) session.set(TOKEN_KEY, token);
else token = session.get(TOKEN_KEY);
let live = null;
let tab = "approved";
let selected = null; // question id
const editing = new Set();

// -- helpers -------------------------------------------------------------------------------------

let toastTimer = null;
/** `detail` is the server's own words (English), shown under ours when they say more; stays up at least `seconds`. */
function toast(message, { detail = "", seconds = 6 } = {}) {
  const extra = detail && detail !== message
    ? [h("br"), h("span", { class: "c-toast-detail", lang: "en", dir: "auto" }, detail)] : [];
  els.toast.replaceChildren(message, ...extra);
  els.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { els.toast.hidden = true; }, Math.max(6, seconds) * 1000);
}

/** A refused call, said in the page's language; over a rate limit also the server's reason and how long to wait. */
function refused(r) {
  if (r.status === 429) toast(r.message, { detail: r.data?.error?.message || "", seconds: r.retryAfter || 0 });
  else toast(r.message);
}

async function call(method, path, body) {
  const r = await api(method, `${base}${path}`, { body, token });
  if (!r.ok) {
    refused(r);
    if (r.status === 401) showTokenForm(t("That token is not valid for this event."));
  }
  return r;
}

function moderate(id, action, extra = {}) {
  return call("POST", `/questions/${id}/moderate`, { action, ...extra });
}

// -- question cards ------------------------------------------------------------------------------

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
    const r = await moderate(id, "move", { segment: Number(value) });
    if (!r.ok) moveTo.value = String(live.questions.get(id)?.segment ?? "");
  });
  const li = h("li", { class: "c-q", tabindex: "-1", "data-qid": id }, badges, text, original, similar, meta, editBox,
    h("div", { class: "c-q-foot" }, actions, moveTo));
  meta.prepend(ref);
  li.addEventListener("focusin", () => select(id, { focus: false }));
  li.addEventListener("click", (e) => {
    if (!e.target.closest("button, textarea, input")) select(id);
  });
  c = { li, badges, text, original, who, org, votes, lang: langBadge, when, actions, editBox, similar, moveTo, asker,
    sig: "", simSig: "", moveSig: "", askerSig: "" };
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
  return (live.event?.banned || []).includes(tag);
}

function updateCard(c, q) {
  setText(c.text, q.text);
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
  const target = q.similar_to ? live.questions.get(q.similar_to) : null;
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
  merge.addEventListener("click", () => moderate(q.id, "merge", { into: target.id }));
  c.similar.replaceChildren(
    h("span", { class: "badge badge-warn" }, t("Similar to #{id}", { id: target.id })), " ",
    h("span", { class: "c-similar-text user-text", dir: "auto" }, target.text), " ", merge);
}

function updateMove(c, q) {
  const segs = live.event.segments || [];
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
  const q = live.questions.get(id);
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
    const r = await moderate(id, "edit", { text: area.value });
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

const byVotes = (a, b) => (b.votes || 0) - (a.votes || 0) || a.id - b.id;
const byAge = (a, b) => a.id - b.id;
const byRecent = (a, b) => b.id - a.id;

const filter = languageFilter($("#lang-filter"), "floor:moderate:lang-filter", () => render());

function columns() {
  const qs = [...live.questions.values()].filter((q) => q.status !== "merged");
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
  const q = live.questions.get(id);
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
  const q = live.questions.get(id);
  if (!q) return;
  if (action === "edit") {
    startEdit(id);
    return;
  }
  if (!actionsFor(q).some(([a]) => a === action) && askerAction(q)?.[0] !== action) return;
  if (selected === id) {
    const next = neighbourAfter(id, action);
    if (next !== id) pendingSelect = next;
  }
  await moderate(id, action);
}
let pendingSelect = undefined;

// -- polls ---------------------------------------------------------------------------------------

const pollCards = new Map();
let editingPoll = null;

function pollCard(poll) {
  let pc = pollCards.get(poll.id);
  if (pc) return pc;
  const title = h("h3", { class: "c-poll-title", dir: "auto" });
  const kind = h("span", { class: "badge" });
  const status = h("span", { class: "badge" });
  const screen = h("span", { class: "badge badge-live" }, t("On screen"));
  const results = resultsView();
  const buttons = {
    toggle: h("button", { type: "button", class: "btn btn-small" }),
    show: h("button", { type: "button", class: "btn btn-small btn-quiet" }),
    edit: h("button", { type: "button", class: "btn btn-small btn-quiet" }, t("Edit")),
    reset: h("button", { type: "button", class: "btn btn-small btn-quiet" }, t("Reset")),
    del: h("button", { type: "button", class: "btn btn-small btn-quiet c-danger" }, t("Delete")),
  };
  const msg = h("p", { class: "hint" });
  const el = h("li", { class: "card c-poll", "data-poll": poll.id },
    h("div", { class: "c-poll-head" }, title, h("div", { class: "c-badges" }, kind, status, screen)),
    results.el, msg, h("div", { class: "row c-poll-actions" }, ...Object.values(buttons)));
  pc = { el, title, kind, status, screen, results, buttons, msg };
  const id = poll.id;
  buttons.toggle.addEventListener("click", () => {
    const p = live.polls.get(id);
    call("POST", `/polls/${id}/${p.status === "open" ? "close" : "open"}`);
  });
  buttons.show.addEventListener("click", () => {
    const on = live.event.presenting_poll === id;
    call("POST", "/present", { poll: on ? null : id });
  });
  buttons.edit.addEventListener("click", () => openPollForm(live.polls.get(id)));
  confirmable(buttons.reset, t("Reset"), t("Confirm reset"), () => call("POST", `/polls/${id}/reset`));
  confirmable(buttons.del, t("Delete"), t("Confirm delete"), () => call("DELETE", `/polls/${id}`));
  pollCards.set(id, pc);
  return pc;
}

/** Destructive buttons ask once more in place instead of a modal: click again within 4 s. */
function confirmable(button, label, confirmLabel, run) {
  let armed = null;
  button.addEventListener("click", () => {
    if (armed) {
      clearTimeout(armed);
      armed = null;
      setText(button, label);
      button.classList.remove("is-armed");
      run();
      return;
    }
    setText(button, confirmLabel);
    button.classList.add("is-armed");
    armed = setTimeout(() => {
      armed = null;
      setText(button, label);
      button.classList.remove("is-armed");
    }, 4000);
  });
}

function renderPolls() {
  const polls = [...live.polls.values()].sort((a, b) => b.id - a.id);
  const nodes = polls.map((p) => {
    const pc = pollCard(p);
    setText(pc.title, p.title);
    setText(pc.kind, pollKind(p.kind));
    const open = p.status === "open";
    setText(pc.status, open ? pt("poll status", "Open") : pt("poll status", "Closed"));
    pc.status.className = `badge ${open ? "badge-ok" : ""}`;
    const onScreen = live.event.presenting_poll === p.id;
    pc.screen.hidden = !onScreen;
    pc.el.classList.toggle("is-onscreen", onScreen);
    setText(pc.buttons.toggle, open ? t("Close") : t("Open"));
    setText(pc.buttons.show, onScreen ? t("Stop showing") : t("Show on screen"));
    const answered = (p.voters || 0) > 0;
    pc.buttons.edit.disabled = answered;
    pc.buttons.edit.title = answered ? t("Reset the answers before editing.") : "";
    pc.results.update(p);
    return pc.el;
  });
  for (const id of [...pollCards.keys()]) if (!live.polls.has(id)) pollCards.delete(id);
  reconcile(els.pollList, nodes);
  els.pollsEmpty.hidden = nodes.length > 0;
}

const pf = {
  title: $("#pf-title"),
  kind: $("#pf-kind"),
  options: $("#pf-options"),
  max: $("#pf-max"),
  scale: $("#pf-scale"),
  low: $("#pf-low"),
  high: $("#pf-high"),
  results: $("#pf-results"),
  submit: $("#pf-submit"),
  msg: $("#pf-msg"),
  heading: $("#poll-form-h"),
};

function syncKind() {
  for (const el of els.pollForm.querySelectorAll("[data-for]")) {
    el.hidden = !el.dataset.for.split(" ").includes(pf.kind.value);
  }
}

function openPollForm(poll = null) {
  editingPoll = poll ? poll.id : null;
  els.pollForm.reset();
  pf.title.value = poll?.title || "";
  pf.kind.value = poll?.kind || "single";
  pf.options.value = (poll?.options || []).join("\n");
  pf.max.value = poll?.max_choices ?? "";
  pf.scale.value = poll?.scale ?? 5;
  pf.low.value = poll?.labels?.[0] || "";
  pf.high.value = poll?.labels?.[1] || "";
  pf.results.value = poll?.results_visibility || "live";
  setText(pf.heading, poll ? t("Edit poll") : t("New poll"));
  setText(pf.submit, poll ? t("Save changes") : t("Create poll"));
  setText(pf.msg, "");
  syncKind();
  els.pollForm.hidden = false;
  els.newPoll.setAttribute("aria-expanded", "true");
  pf.title.focus();
}

function closePollForm() {
  els.pollForm.hidden = true;
  els.newPoll.setAttribute("aria-expanded", "false");
  editingPoll = null;
  els.newPoll.focus();
}

function pollBody() {
  const kind = pf.kind.value;
  const body = { title: pf.title.value.trim(), kind, results: pf.results.value };
  if (!body.title) throw new Error(t("Write the poll question."));
  if (kind === "single" || kind === "multiple") {
    body.options = pf.options.value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (body.options.length < 2 || body.options.length > 12) throw new Error(t("Write 2 to 12 options, one per line."));
    if (kind === "multiple" && pf.max.value) body.max_choices = Number(pf.max.value);
  } else if (kind === "rating") {
    body.scale = Number(pf.scale.value) || 5;
    const low = pf.low.value.trim();
    const high = pf.high.value.trim();
    if (low || high) body.labels = [low, high];
  }
  return body;
}

els.newPoll.addEventListener("click", () => (els.pollForm.hidden ? openPollForm() : closePollForm()));
$("#pf-cancel").addEventListener("click", closePollForm);
pf.kind.addEventListener("change", syncKind);
els.pollForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  let body;
  try {
    body = pollBody();
  } catch (err) {
    setText(pf.msg, err.message);
    return;
  }
  pf.submit.disabled = true;
  const r = editingPoll
    ? await api("PATCH", `${base}/polls/${editingPoll}`, { body, token })
    : await api("POST", `${base}/polls`, { body, token });
  pf.submit.disabled = false;
  if (!r.ok) {
    setText(pf.msg, r.message);
    return;
  }
  live.upsertPoll(r.data);
  closePollForm();
});

// -- notes ---------------------------------------------------------------------------------------

$("#note-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const area = $("#note-text");
  const text = area.value.trim();
  if (!text) return;
  const r = await call("POST", "/notes", { text });
  if (r.ok) {
    area.value = "";
    setText($("#note-status"), t("Sent to the panel."));
  }
});

// -- agenda, timer, overlay ----------------------------------------------------------------------

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
    activate.addEventListener("click", () => call("POST", `/segments/${seg.id}/activate`));
    const li = h("li", { class: "c-seg", "data-segment": seg.id },
      h("div", { class: "c-seg-main" }, title, when, speakers), h("div", { class: "c-seg-side" }, count, state, activate));
    it = { li, title, when, speakers, count, state, activate };
    segmentItems.set(seg.id, it);
  }
  return it;
}

function renderSegments() {
  const ev = live.event;
  const segs = ev.segments || [];
  const counts = new Map();
  for (const q of live.questions.values()) if (q.status !== "merged") counts.set(q.segment, (counts.get(q.segment) || 0) + 1);
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
  const r = await api("POST", `${base}/segments`, { body, token });
  if (!r.ok) {
    setText($("#seg-msg"), r.message);
    return;
  }
  for (const id of ["#seg-title", "#seg-start", "#seg-speakers"]) $(id).value = "";
  setText($("#seg-msg"), "");
  $("#seg-title").focus();
});

function renderTimer() {
  const timer = live.event.timer;
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
  const timer = live.event.timer;
  const seconds = timerSeconds();
  if (timer?.running) call("PATCH", "", { timer: { seconds: timer.seconds, running: false } });
  else if (timer && timer.seconds === seconds) call("PATCH", "", { timer: { seconds, running: true } });
  else call("PATCH", "", { timer: { seconds, remaining: seconds, running: true } });
});
$("#timer-reset").addEventListener("click", () => {
  const seconds = timerSeconds();
  call("PATCH", "", { timer: { seconds, remaining: seconds, running: false } });
});
setInterval(() => { if (live?.event?.timer?.running) renderTimer(); }, 500);

function renderOverlay() {
  const hidden = !!live.event.overlay_hidden;
  setText($("#overlay-state"), hidden ? t("Overlay cleared") : t("Overlay live"));
  $("#overlay-state").dataset.open = String(!hidden);
  setText($("#overlay-toggle"), hidden ? t("Show overlay") : t("Clear overlay"));
  $("#overlay-toggle").classList.toggle("btn-quiet", hidden);
}
$("#overlay-toggle").addEventListener("click", () => call("PATCH", "", { overlay_hidden: !live.event.overlay_hidden }));

// -- bans ----------------------------------------------------------------------------------------

const bannedItems = new Map();

function bannedItem(tag) {
  let it = bannedItems.get(tag);
  if (!it) {
    const who = h("span", { class: "c-banned-tag", dir: "ltr" }, tag);
    const count = h("span", { class: "c-banned-count" });
    const latest = h("span", { class: "c-banned-text user-text", dir: "auto" });
    const unban = h("button", { type: "button", class: "btn btn-small btn-quiet", "data-action": "unban" }, t("Unban"));
    unban.addEventListener("click", async () => {
      unban.disabled = true;
      const r = await call("DELETE", `/bans/${encodeURIComponent(tag)}`);
      unban.disabled = false;
      if (r.ok) say(t("Ban lifted."));
    });
    const li = h("li", { class: "c-banned-item", "data-tag": tag },
      h("div", { class: "c-banned-main" }, h("span", {}, t("Participant"), " ", who, " · ", count), latest), unban);
    it = { li, count, latest, unban };
    bannedItems.set(tag, it);
  }
  return it;
}

/** Banned participants (tags from the moderator's event view), each with what they asked last. */
function renderBanned() {
  const banned = live.event.banned || [];
  const asked = new Map();
  for (const q of live.questions.values()) {
    if (!q.participant || !banned.includes(q.participant)) continue;
    const list = asked.get(q.participant) || [];
    list.push(q);
    asked.set(q.participant, list);
  }
  reconcile(els.bannedList, banned.map((tag) => {
    const it = bannedItem(tag);
    const theirs = (asked.get(tag) || []).sort(byRecent);
    setText(it.count, nt("{n} question", "{n} questions", theirs.length));
    setText(it.latest, theirs[0]?.text || "");
    it.latest.hidden = !theirs.length;
    setLang(it.latest, theirs[0]?.language);
    return it.li;
  }));
  for (const tag of [...bannedItems.keys()]) if (!banned.includes(tag)) bannedItems.delete(tag);
  setText($("#banned-count"), num(banned.length));
  $("#banned-empty").hidden = banned.length > 0;
}

// -- activity (audit log) ------------------------------------------------------------------------

/** What one audit record says happened, in the page's language; unknown actions show as recorded. */
function auditWhat(action, target = {}) {
  const id = target.question ?? target.poll ?? target.segment ?? target.note;
  switch (action) {
    case "event.create": return t("Created the event");
    case "event.update": return t("Changed the event settings");
    case "token.rotate": return target.which === "presenter" ? t("Issued a new presenter link") : t("Issued a new moderator link");
    case "question.approve": return t("Approved question #{id}", { id });
    case "question.reject": return t("Rejected question #{id}", { id });
    case "question.highlight": return t("Put question #{id} on screen", { id });
    case "question.unhighlight": return t("Took question #{id} off screen", { id });
    case "question.answer": return t("Marked question #{id} as answered", { id });
    case "question.archive": return t("Archived question #{id}", { id });
    case "question.restore": return t("Restored question #{id}", { id });
    case "question.edit": return t("Edited question #{id}", { id });
    case "question.merge": return t("Merged question #{id} into #{into}", { id, into: target.into });
    case "question.move": return t("Moved question #{id} to another segment", { id });
    case "participant.ban": return id == null ? t("Banned a participant") : t("Banned the asker of question #{id}", { id });
    case "participant.unban": return t("Lifted a ban");
    case "poll.create": return t("Created poll #{id}", { id });
    case "poll.open": return t("Opened poll #{id}", { id });
    case "poll.close": return t("Closed poll #{id}", { id });
    case "poll.reset": return t("Reset poll #{id}", { id });
    case "poll.edit": return t("Edited poll #{id}", { id });
    case "poll.delete": return t("Deleted poll #{id}", { id });
    case "segment.create": return t("Added a segment");
    case "segment.activate": return t("Made a segment active");
    case "note.create": return t("Sent a note to the panel");
    case "note.ack": return t("Acknowledged a note");
    default: return action || "";
  }
}

/** The user text an audit record is about, when this screen still knows it (a question, poll or segment). */
function auditSubject(target = {}) {
  if (target.question != null) return live?.questions.get(target.question)?.text || "";
  if (target.poll != null) return live?.polls.get(target.poll)?.title || "";
  if (target.segment != null) return (live?.event?.segments || []).find((s) => s.id === target.segment)?.title || "";
  return "";
}

function auditWho(who) {
  switch (who) {
    case "admin": return pt("who acted", "Organiser");
    case "moderator": return pt("who acted", "Moderator");
    case "presenter": return pt("who acted", "Presenter");
    default: return who || "";
  }
}

let myKey = null;
/** The first 12 hex digits of SHA-256 of this tab's token: how the log names it (needs a secure context). */
async function ownKey() {
  if (!token || !crypto.subtle) return null;
  try {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("").slice(0, 12);
  } catch {
    return null;
  }
}

function auditEntry(entry) {
  const target = entry.target && typeof entry.target === "object" ? entry.target : {};
  const when = h("time", { class: "c-audit-when", datetime: entry.at || "" }, dateTime(entry.at));
  const who = h("span", { class: "c-audit-who" }, auditWho(entry.who));
  if (entry.key) who.append(" ", h("span", { class: "c-audit-key", dir: "ltr" }, entry.key));
  if (entry.key && entry.key === myKey) who.append(" ", t("(you)"));
  const what = h("p", { class: "c-audit-what" }, auditWhat(entry.action, target));
  const subject = auditSubject(target);
  const tag = typeof target.participant === "string" ? target.participant : "";
  const details = [];
  if (subject) details.push(h("span", { class: "user-text", dir: "auto" }, subject));
  if (tag) details.push(h("span", {}, t("Participant"), " ", h("span", { class: "c-banned-tag", dir: "ltr" }, tag)));
  if (Array.isArray(target.fields) && target.fields.length) {
    details.push(h("span", { dir: "ltr" }, target.fields.join(", ")));
  }
  return h("li", { class: "c-audit-item", "data-action": entry.action || "" },
    h("p", { class: "c-audit-meta" }, when, " · ", who), what,
    details.length ? h("p", { class: "c-audit-detail" }, ...details.flatMap((d, i) => (i ? [" · ", d] : [d]))) : null);
}

let activityBusy = false;
let activityAgain = false;
async function loadActivity() {
  if (activityBusy) {
    activityAgain = true;
    return;
  }
  activityBusy = true;
  const msg = $("#activity-msg");
  els.activity.setAttribute("aria-busy", "true");
  myKey ??= await ownKey();
  const r = await api("GET", `${base}/audit`, { token });
  els.activity.removeAttribute("aria-busy");
  activityBusy = false;
  if (!r.ok) {
    msg.dataset.kind = "error";
    setText(msg, r.message);
  } else {
    setText(msg, "");
    const entries = (Array.isArray(r.data) ? r.data : [])
      .map((e, i) => ({ e, i, at: Date.parse(e.at) || 0 }))
      .sort((a, b) => b.at - a.at || b.i - a.i)
      .map(({ e }) => e);
    els.activityList.replaceChildren(...entries.map(auditEntry));
    $("#activity-empty").hidden = entries.length > 0;
  }
  if (activityAgain) {
    activityAgain = false;
    loadActivity();
  }
}

let activityTimer = null;
/** While the log is open, changes that other moderators make show up in it too (fetched at most once a second). */
function refreshActivitySoon() {
  if (!els.activity.open || activityTimer) return;
  activityTimer = setTimeout(() => {
    activityTimer = null;
    if (els.activity.open) loadActivity();
  }, 1000);
}

$("#activity-open").addEventListener("click", () => {
  els.activityList.replaceChildren();
  $("#activity-empty").hidden = true;
  els.activity.showModal();
  loadActivity();
});
$("#activity-refresh").addEventListener("click", () => loadActivity());

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
  for (const q of live.questions.values()) {
    if (q.status === "merged") continue;
    counts.received += 1;
    if (q.status in counts) counts[q.status] += 1;
  }
  for (const k of ["received", "pending", "approved", "answered", "rejected"]) setText($(`#n-${k}`), num(counts[k]));
  // Held (a banned participant's, rejected for all but its asker): shown when this server counts it too.
  $("#held-stat").hidden = !(live.stats && "held" in live.stats);
  setText($("#n-held"), num([...live.questions.values()].filter((q) => q.held && q.status === "rejected").length));
  for (const badge of document.querySelectorAll("[data-count]")) setText(badge, num(counts[badge.dataset.count] ?? 0));

  if (pendingSelect !== undefined) {
    const target = pendingSelect;
    pendingSelect = undefined;
    if (target !== null && cards.has(target)) select(target);
  }
  if (selected !== null && !used.has(selected)) selected = null;
}

function renderEvent() {
  const ev = live.event;
  const open = !!ev.questions_open;
  setText(els.openState, open ? t("Questions are open") : t("Questions are paused"));
  els.openState.dataset.open = String(open);
  setText(els.toggleOpen, open ? t("Pause new questions") : t("Resume new questions"));
  els.toggleOpen.classList.toggle("btn-quiet", open);
  const origin = location.origin;
  if (ev.presenter_token) $("#link-presenter").value = `${origin}/e/${code}/present#token=${ev.presenter_token}`;
  $("#link-public").value = `${origin}/e/${code}/present`;
  $("#link-overlay").value = `${origin}/e/${code}/overlay`;
  const evLang = $("#event-language");
  if (ev.language && document.activeElement !== evLang) evLang.value = ev.language;
}

function render() {
  if (!live || live.viewer?.role !== "moderator") return;
  els.console.hidden = false;
  els.needToken.hidden = true;
  renderEvent();
  renderSegments();
  renderTimer();
  renderOverlay();
  renderQuestions();
  renderBanned();
  renderPolls();
}
const schedule = scheduler(render);

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
  render();
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
  if (els.dialog.open || els.activity.open || !live || els.console.hidden) return;
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
  const q = live.questions.get(selected);
  if (!q) return;
  e.preventDefault();
  act(q.id, action === "highlight" && q.highlighted ? "unhighlight" : action);
});
$("#help").addEventListener("click", () => els.dialog.showModal());

// -- pause, links --------------------------------------------------------------------------------

els.toggleOpen.addEventListener("click", async () => {
  els.toggleOpen.disabled = true;
  await call("PATCH", "", { questions_open: !live.event.questions_open });
  els.toggleOpen.disabled = false;
});

$("#event-language").addEventListener("change", async (e) => {
  const select = e.target;
  const r = await call("PATCH", "", { language: select.value });
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

// -- start ---------------------------------------------------------------------------------------

function showTokenForm(message = "") {
  els.needToken.hidden = false;
  els.console.hidden = true;
  setText(els.tokenMsg, message);
  els.tokenInput.focus();
}

els.tokenForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const value = els.tokenInput.value.trim();
  if (!value) return;
  token = value;
  session.set(TOKEN_KEY, token);
  els.tokenInput.value = "";
  setText(els.tokenMsg, "");
  start();
});

let known = new Set();
let fresh = 0;
let freshTimer = null;

function start() {
  if (live) {
    live.setToken(token);
    return;
  }
  live = new Live({ code, token });
  bindIndicator(live, $("#live"), { presenceEl: $("#presence"),
    presenceText: (n) => nt("{n} connected", "{n} connected", n) });
  live.subscribe((type, data) => {
    if (type === "event.deleted") {
      els.console.hidden = true;
      els.ended.hidden = false;
      return;
    }
    if (type === "auth.failed") {
      session.remove(TOKEN_KEY);
      token = null;
      showTokenForm(t("That token is not valid for this event."));
      return;
    }
    if (type === "snapshot") known = new Set([...live.questions.keys()]);
    if (type !== "votes" && type !== "presence" && type !== "poll.results" && type !== "status") refreshActivitySoon();
    if (type === "question.created" && data.status === "pending" && !known.has(data.id)) {
      known.add(data.id);
      fresh += 1;
      if (!freshTimer) {
        freshTimer = setTimeout(() => {
          say(nt("{n} new question waiting.", "{n} new questions waiting.", fresh));
          fresh = 0;
          freshTimer = null;
        }, 3000);
      }
    }
    if (type === "note.updated" || type === "note.created") {
      const acked = [...live.notes.values()].filter((n) => n.acked_at).length;
      setText($("#note-status"), acked ? nt("{n} acknowledged", "{n} acknowledged", acked) : "");
    }
    schedule();
  });
  live.start();
}

if (token) start();
else showTokenForm();
