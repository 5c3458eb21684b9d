// Attendee screen: ask (with an offline-safe outbox), upvote, answer polls; all live.
import { Live, bindIndicator } from "./live.js";
import { $, announcer, api, h, randomId, reconcile, scheduler, setLang, setText, store } from "./ui.js";
import { resultsView, scalePoint } from "./polls.js";
import { eventTime, lang, num, nt, t } from "./i18n.js";
import { showQuestion, translationNote } from "./translations.js";
import { mountSpeakers } from "./speakers-attendee.js";
import { bindCounts } from "./mod-counts.js";

const OUTBOX_RETRY_MS = [2000, 5000, 10000, 30000, 60000];
const MAX_TEXT = 500;
// A send that hangs (a phone changing networks) is abandoned and retried: the same client_id makes it safe.
const SEND_TIMEOUT_MS = 6000;

/** "(3)" after a heading; nothing for none. */
function total(n) {
  return n ? t("({n})", { n }) : "";
}

const snapshot = JSON.parse($("#floor-state").textContent);
const code = snapshot.event.code;
const live = new Live({ code, snapshot });
// Only a proof-of-work event needs proof.js (which starts solving as it loads): fetched at once there, and not one
// of the modules every page waits for (over HTTP/1.1 six go at a time, so each one more can cost a round trip).
const proof = snapshot.event.integrity === "proof" ? import("./proof.js") : null;
/** Resolves once this device may write (proof.js; at once for open events; if it cannot load, the server refuses). */
const admitted = () => (proof ? proof.then((m) => m.admitted(), () => undefined) : Promise.resolve());
bindCounts(live); // open moderation counts, live
const local = store("local");
const say = announcer($("#announcer"));
const OUTBOX_KEY = `floor:outbox:${code}`;
const PROFILE_KEY = "floor:profile";
const SORT_KEY = "floor:sort";
const TOLD_KEY = `floor:told:${code}`; // own questions the moderator did not publish: told to their asker
const DISMISSED_KEY = `floor:dismissed:${code}`; // closed polls the attendee hid
const NAME_MAX = 90; // characters of a question kept in a vote button's accessible name

// After a plain-HTML send (?asked=...) the outcome is on the page: keep the address clean.
if (new URLSearchParams(location.search).has("asked")) {
  const params = new URLSearchParams(location.search);
  params.delete("asked");
  history.replaceState(null, "", location.pathname + (params.size ? `?${params}` : "") + location.hash);
}

const els = {
  app: $("#app"),
  ended: $("#ended"),
  polls: $("#polls"),
  pollList: $("#poll-list"),
  onscreen: $("#onscreen"),
  onscreenList: $("#onscreen-list"),
  paused: $("#paused"),
  form: $("#ask-form"),
  text: $("#q-text"),
  count: $("#q-count"),
  name: $("#q-name"),
  affiliation: $("#q-affiliation"),
  anon: $("#q-anon"),
  language: $("#q-lang"),
  send: $("#q-send"),
  msg: $("#ask-msg"),
  mine: $("#mine"),
  mineList: $("#mine-list"),
  list: $("#q-list"),
  empty: $("#q-empty"),
  total: $("#q-total"),
  answered: $("#answered"),
  answeredList: $("#answered-list"),
  answeredCount: $("#answered-count"),
  agenda: $("#agenda"),
  agendaNow: $("#agenda-now"),
  agendaWhen: $("#agenda-when"),
  agendaView: $("#agenda-view"),
  agendaPast: $("#agenda-past"),
  forgetStart: $("#forget-start"),
  forgetConfirm: $("#forget-confirm"),
  forgetYes: $("#forget-yes"),
  forgetNo: $("#forget-no"),
  forgetMsg: $("#forget-msg"),
};

// -- questions -----------------------------------------------------------------------------------

const items = new Map(); // question id -> rendered parts

function questionItem(id) {
  let it = items.get(id);
  if (it) return it;
  const flag = h("p", { class: "q-flag" }, t("On screen now"));
  const text = h("p", { class: "q-text user-text", dir: "auto" });
  const tr = translationNote();
  const who = h("span", { dir: "auto" });
  const org = h("span", { dir: "auto" });
  const sep = h("span", { class: "sep", "aria-hidden": "true" }, "·");
  const meta = h("p", { class: "q-meta", dir: "auto" }, who, sep, org);
  const count = h("span", { class: "vote-count" }, "0");
  const vote = h("button", { type: "button", class: "vote", "aria-pressed": "false", "data-qid": id },
    h("span", { class: "vote-icon", "aria-hidden": "true" }), count);
  vote.addEventListener("click", () => toggleVote(id));
  // The participant's own question takes no upvote from them: its count shows, named as theirs, without a button.
  const mineCount = h("span", { class: "vote-own-count", "aria-hidden": "true" }, "0");
  const mineLabel = h("span", { class: "sr-only" });
  const mineVotes = h("p", { class: "vote-own", hidden: true },
    h("span", { class: "vote-icon", "aria-hidden": "true" }), mineCount, mineLabel);
  const status = h("p", { class: "q-status" }, h("span", { class: "badge badge-warn" }));
  const note = h("p", { class: "form-msg q-note", "data-kind": "error", hidden: true });
  const own = h("div", { class: "row q-own", hidden: true });
  // The id is the address the page's own vote form comes back to (#question-12), before and without the script.
  const li = h("li", { class: "q", "data-qid": id, id: `question-${id}` }, flag, text, tr.el, meta, vote, mineVotes,
    status, note, own);
  it = { li, flag, text, tr, meta, who, org, sep, vote, count, mineVotes, mineCount, mineLabel, status, note, own,
    ownShown: "" };
  items.set(id, it);
  return it;
}

function updateItem(it, q, { onscreen = false } = {}) {
  showQuestion(it.text, it.tr, q); // the viewer's language when a reviewed translation exists
  const name = q.name || (q.affiliation ? "" : t("Anonymous"));
  setText(it.who, name);
  setText(it.org, q.affiliation || "");
  it.sep.hidden = !(name && q.affiliation);
  it.org.hidden = !q.affiliation;
  it.flag.hidden = !onscreen;
  it.li.classList.toggle("q-onscreen", onscreen);
  it.li.classList.toggle("q-pending", q.status === "pending");
  it.li.classList.toggle("q-answered", q.status === "answered");
  const votable = q.status === "approved" && !readOnly && !q.mine;
  const counted = q.status !== "pending" && q.status !== "merged";
  it.vote.hidden = !counted || Boolean(q.mine);
  it.mineVotes.hidden = !counted || !q.mine;
  if (q.mine) {
    const n = num(q.votes ?? 0);
    const said = t("Your question: {votes}", { votes: nt("{n} vote", "{n} votes", q.votes ?? 0) });
    setText(it.mineCount, n);
    setText(it.mineLabel, said.includes(n) ? said : `${said} ${n}`); // read as the number that shows
  }
  it.vote.disabled = !votable;
  it.vote.setAttribute("aria-pressed", q.voted ? "true" : "false");
  setText(it.count, num(q.votes ?? 0));
  const short = q.text.length > NAME_MAX ? `${q.text.slice(0, NAME_MAX - 1)}…` : q.text;
  let label = t("Upvote: {question}, {votes}", { question: short, votes: nt("{n} vote", "{n} votes", q.votes ?? 0) });
  // The visible count is part of the name (WCAG 2.5.3), also where a language words "no votes" without a digit.
  if (!label.includes(num(q.votes ?? 0))) label = `${label} ${num(q.votes ?? 0)}`;
  if (it.vote.getAttribute("aria-label") !== label) it.vote.setAttribute("aria-label", label);
  const refused = voteNotes.get(q.id);
  it.note.hidden = !refused;
  setText(it.note, refused || "");
  ownActions(it, q);
  it.status.hidden = q.status !== "pending" && q.status !== "merged";
  if (q.status === "merged") {
    const target = live.questions.get(q.merged_into);
    setText(it.status.firstChild, target
      ? t("Merged into a similar question: “{question}”", { question: target.text })
      : t("Merged into a similar question (#{id})", { id: q.merged_into }));
  } else setText(it.status.firstChild, t("Waiting for the moderator"));
  it.li.classList.toggle("q-merged", q.status === "merged");
}

function outboxItem(entry) {
  const key = `out:${entry.client_id}`;
  let it = items.get(key);
  if (!it) {
    const text = h("p", { class: "q-text user-text", dir: "auto" });
    const badge = h("span", { class: "badge badge-warn" });
    const li = h("li", { class: "q q-pending", "data-client-id": entry.client_id }, text,
      h("p", { class: "q-status" }, badge));
    it = { li, text, badge };
    items.set(key, it);
  }
  setText(it.text, entry.text);
  setLang(it.text, entry.language);
  setText(it.badge, sending.has(entry.client_id) ? t("Sending…") : t("Not sent yet — it will be sent when you are back online"));
  return it.li;
}

const pendingVotes = new Set();
const voteNotes = new Map(); // question id -> why the last vote was not sent (shown on the question, not only announced)

function refuseVote(id) {
  const text = t("Your vote was not sent: you are offline. Try again when you are back online.");
  voteNotes.set(id, text);
  say(text);
  schedule();
}

async function toggleVote(id) {
  const q = live.questions.get(id);
  if (!q || q.status !== "approved" || q.mine || readOnly || pendingVotes.has(id)) return;
  if (navigator.onLine === false || live.state === "offline") {
    refuseVote(id); // visibly refused, never silently reverted
    return;
  }
  voteNotes.delete(id);
  const on = !q.voted;
  const before = { voted: q.voted, votes: q.votes };
  pendingVotes.add(id);
  live.upsertQuestion({ id, voted: on, votes: Math.max(0, (q.votes || 0) + (on ? 1 : -1)) });
  await admitted(); // proof-of-work events: this device's challenge is solved first
  const r = await api(on ? "POST" : "DELETE", `/api/events/${encodeURIComponent(code)}/questions/${id}/vote`);
  pendingVotes.delete(id);
  if (!live.questions.has(id)) return;
  if (r.ok) live.upsertQuestion({ id, voted: r.data.voted, votes: r.data.votes });
  else {
    live.upsertQuestion({ id, ...before });
    if (r.network) refuseVote(id);
    else {
      voteNotes.set(id, r.message);
      say(r.message);
      schedule();
    }
  }
}

// -- own questions: withdraw any, edit while pending; told what happened to the rest ------------------

let told = local.get(TOLD_KEY, []);

function ownActions(it, q) {
  const mode = !q.mine || q.status === "merged" ? "" : q.status === "pending" ? "pending" : "withdraw";
  const key = `${mode}:${it.editing ? "edit" : ""}`;
  it.own.hidden = !mode;
  if (key === it.ownShown) return;
  it.ownShown = key;
  if (!mode) return it.own.replaceChildren();
  const withdraw = h("button", { type: "button", class: "btn btn-quiet btn-small", "data-action": "withdraw" },
    t("Withdraw"));
  withdraw.addEventListener("click", () => withdrawQuestion(q.id, it));
  if (it.editing) {
    const box = h("textarea", { rows: "3", maxlength: String(MAX_TEXT), dir: "auto", "aria-label": t("Your question") });
    box.value = live.questions.get(q.id)?.text || "";
    const save = h("button", { type: "button", class: "btn btn-small", "data-action": "save" }, t("Save"));
    const cancel = h("button", { type: "button", class: "btn btn-quiet btn-small" }, t("Cancel"));
    save.addEventListener("click", () => saveEdit(q.id, it, box.value));
    cancel.addEventListener("click", () => { it.editing = false; schedule(); });
    it.own.replaceChildren(box, save, cancel);
    box.focus();
    return;
  }
  const parts = [withdraw];
  if (mode === "pending") {
    const edit = h("button", { type: "button", class: "btn btn-quiet btn-small", "data-action": "edit" }, t("Edit"));
    edit.addEventListener("click", () => { it.editing = true; schedule(); });
    parts.unshift(edit);
  }
  it.own.replaceChildren(...parts);
}

async function withdrawQuestion(id, it) {
  const r = await api("DELETE", `/api/events/${encodeURIComponent(code)}/questions/${id}`);
  if (r.ok || r.status === 404) {
    live.questions.delete(id);
    showMessage(t("Your question was withdrawn."), "ok");
    schedule();
    return;
  }
  voteNotes.set(id, r.message);
  schedule();
}

async function saveEdit(id, it, value) {
  const r = await api("PATCH", `/api/events/${encodeURIComponent(code)}/questions/${id}`, { body: { text: value.trim() } });
  if (r.ok) {
    it.editing = false;
    voteNotes.delete(id);
    live.upsertQuestion(r.data);
    showMessage(t("Your question was updated."), "ok");
  } else {
    voteNotes.set(id, r.message);
  }
  schedule();
}

function rememberTold(q) {
  if (told.some((e) => e.id === q.id)) return;
  told = [...told, { id: q.id, text: q.text, language: q.language }].slice(-20);
  local.set(TOLD_KEY, told);
}

function toldItem(entry) {
  const key = `told:${entry.id}`;
  let it = items.get(key);
  if (!it) {
    const text = h("p", { class: "q-text user-text", dir: "auto" });
    const li = h("li", { class: "q q-rejected", "data-told": entry.id }, text,
      h("p", { class: "q-status" }, h("span", { class: "badge" }, t("Not published by the moderator"))));
    it = { li, text };
    items.set(key, it);
  }
  setText(it.text, entry.text);
  setLang(it.text, entry.language);
  return it.li;
}

function sortKey() {
  return document.querySelector('input[name="sort"]:checked')?.value || "popular";
}

const byPopular = (a, b) => (b.votes || 0) - (a.votes || 0) || cmpTime(a, b);
const byRecent = (a, b) => cmpTime(b, a);
function cmpTime(a, b) {
  return (a.created_at || "").localeCompare(b.created_at || "") || a.id - b.id;
}

// -- polls ---------------------------------------------------------------------------------------

const cards = new Map(); // poll id -> card

function pollShape(p) {
  return JSON.stringify([p.kind, p.options, p.scale, p.labels, p.max_choices, p.title]);
}

function pollCard(poll) {
  let card = cards.get(poll.id);
  if (card && card.shape === pollShape(poll)) return card;
  const old = card;
  const title = h("h3", { class: "poll-title", id: `poll-${poll.id}-t`, dir: "auto" }, poll.title);
  const badge = h("span", { class: "badge badge-live" });
  const msg = h("p", { class: "form-msg", "aria-live": "polite" });
  const submit = h("button", { class: "btn", type: "submit" }, t("Send answer"));
  const form = h("form", { novalidate: true });
  const results = resultsView();
  const closedNote = h("p", { class: "hint" }, t("This poll is closed."));
  const afterNote = h("p", { class: "hint" }, t("Results appear once you have answered."));
  const hide = h("button", { type: "button", class: "btn btn-quiet btn-small poll-hide" }, t("Hide"));
  hide.addEventListener("click", () => {
    local.set(DISMISSED_KEY, [...local.get(DISMISSED_KEY, []), poll.id].slice(-50));
    schedule();
  });
  const el = h("article", { class: "card poll", "aria-labelledby": `poll-${poll.id}-t`, "data-poll": poll.id },
    h("div", { class: "poll-head" }, title, badge), form, closedNote, afterNote, results.el, hide);
  card = { id: poll.id, el, form, msg, submit, badge, results, closedNote, afterNote, hide, shape: pollShape(poll),
    dirty: false, inputs: [], mine: undefined };
  const name = `poll-${poll.id}`;
  if (poll.kind === "single" || poll.kind === "multiple") {
    const multi = poll.kind === "multiple";
    const legend = multi ? (poll.max_choices ? nt("Choose {n} answer", "Choose up to {n} answers", poll.max_choices)
      : t("Choose all that apply")) : t("Choose one answer");
    const fs = h("fieldset", {}, h("legend", {}, legend));
    poll.options.forEach((opt, i) => {
      const input = h("input", { type: multi ? "checkbox" : "radio", name, value: String(i) });
      card.inputs.push(input);
      fs.append(h("label", { class: "choice" }, input, h("span", { dir: "auto" }, opt)));
    });
    fs.addEventListener("change", () => {
      card.dirty = true;
      if (multi) limitChoices(card, poll.max_choices);
    });
    form.append(fs, h("div", { class: "ask-foot" }, submit, msg));
  } else if (poll.kind === "rating") {
    const n = poll.scale || 5;
    const legendId = `poll-${poll.id}-l`;
    const scale = h("div", { class: "scale", role: "group", "aria-labelledby": legendId });
    for (let i = 1; i <= n; i++) {
      const b = h("button", { type: "button", class: "btn", "aria-pressed": "false", value: String(i) }, num(i));
      b.addEventListener("click", () => sendAnswer(card, { rating: i }));
      card.inputs.push(b);
      scale.append(b);
    }
    form.append(h("p", { class: "hint", id: legendId }, t("Choose a rating from 1 to {max}", { max: n })), scale);
    if (poll.labels) {
      form.append(h("div", { class: "scale-labels", "aria-hidden": "true" },
        h("span", { dir: "auto" }, poll.labels[0]), h("span", { dir: "auto" }, poll.labels[1])));
      scale.firstChild.setAttribute("aria-label", scalePoint(1, poll.labels[0]));
      scale.lastChild.setAttribute("aria-label", scalePoint(n, poll.labels[1]));
    }
    form.append(msg);
  } else {
    const fs = h("fieldset", {}, h("legend", {}, t("Up to 3 words or short phrases (25 characters each)")));
    const box = h("div", { class: "words" });
    for (let i = 1; i <= 3; i++) {
      const input = h("input", { type: "text", maxlength: "25", dir: "auto", "aria-label": t("Word {n}", { n: i }),
        autocomplete: "off" });
      input.addEventListener("input", () => { card.dirty = true; });
      card.inputs.push(input);
      box.append(input);
    }
    fs.append(box);
    form.append(fs, h("div", { class: "ask-foot" }, submit, msg));
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = answerBody(card, poll);
    if (body) sendAnswer(card, body);
  });
  cards.set(poll.id, card);
  if (old) old.el.replaceWith(card.el);
  return card;
}

function limitChoices(card, max) {
  if (!max) return;
  const picked = card.inputs.filter((i) => i.checked).length;
  for (const i of card.inputs) i.disabled = !i.checked && picked >= max;
}

function answerBody(card, poll) {
  if (poll.kind === "wordcloud") {
    const words = card.inputs.map((i) => i.value.trim()).filter(Boolean);
    if (!words.length) return showCardMsg(card, t("Type at least one word."), "error");
    return { words };
  }
  const choices = card.inputs.filter((i) => i.checked).map((i) => Number(i.value));
  if (!choices.length) return showCardMsg(card, t("Choose an answer first."), "error");
  return { choices };
}

function showCardMsg(card, text, kind) {
  card.msg.dataset.kind = kind;
  setText(card.msg, text);
  return null;
}

async function sendAnswer(card, body) {
  card.submit.disabled = true;
  await admitted(); // proof-of-work events: this device's challenge is solved first
  const r = await api("POST", `/api/events/${encodeURIComponent(code)}/polls/${card.id}/answer`, { body });
  card.submit.disabled = false;
  if (r.ok) {
    card.dirty = false;
    live.upsertPoll(r.data);
    showCardMsg(card, t("Answer saved. You can change it while the poll is open."), "ok");
  } else {
    showCardMsg(card, r.message, "error");
  }
}

function applyMine(card, poll) {
  const mine = JSON.stringify(poll.my_answer ?? null);
  if (mine === card.mine || card.dirty) return;
  card.mine = mine;
  const a = poll.my_answer;
  if (poll.kind === "rating") {
    for (const b of card.inputs) b.setAttribute("aria-pressed", String(a?.rating === Number(b.value)));
  } else if (poll.kind === "wordcloud") {
    card.inputs.forEach((input, i) => { input.value = a?.words?.[i] ?? ""; });
  } else {
    const chosen = new Set(a?.choices || []);
    card.inputs.forEach((input, i) => { input.checked = chosen.has(i); });
    if (poll.kind === "multiple") limitChoices(card, poll.max_choices);
  }
  setText(card.submit, a ? t("Update answer") : t("Send answer"));
}

function renderPolls() {
  const all = [...live.polls.values()];
  const open = all.filter((p) => p.status === "open").sort((a, b) => b.id - a.id);
  const dismissed = new Set(local.get(DISMISSED_KEY, []));
  const lastClosed = all.filter((p) => p.status !== "open" && p.results && !dismissed.has(p.id))
    .sort((a, b) => b.id - a.id)[0];
  const shown = lastClosed ? [...open, lastClosed] : open;
  const nodes = shown.map((poll) => {
    const card = pollCard(poll);
    const isOpen = poll.status === "open";
    setText(card.badge, isOpen ? t("Live poll") : t("Closed"));
    card.badge.className = `badge ${isOpen ? "badge-live" : ""}`;
    card.form.hidden = !isOpen;
    card.closedNote.hidden = isOpen;
    applyMine(card, poll);
    // `answered`: the server sends the counts only once this participant has answered; shown with our answer.
    const waiting = isOpen && poll.results_visibility === "answered" && !poll.my_answer;
    card.afterNote.hidden = !waiting;
    card.hide.hidden = isOpen;
    card.results.update(poll);
    if (waiting) card.results.el.hidden = true;
    return card.el;
  });
  for (const id of [...cards.keys()]) if (!shown.some((p) => p.id === id)) cards.delete(id);
  reconcile(els.pollList, nodes);
  els.polls.hidden = nodes.length === 0;
}

// -- asking (outbox survives reloads and offline spells; client_id makes retries safe) ------------

let outbox = local.get(OUTBOX_KEY, []);
const sending = new Set();
let retryTimer = null;
let retryStep = 0;

function saveOutbox() {
  if (outbox.length) local.set(OUTBOX_KEY, outbox);
  else local.remove(OUTBOX_KEY);
}

function showMessage(text, kind) {
  els.msg.dataset.kind = kind;
  setText(els.msg, text);
}

async function flushOutbox() {
  clearTimeout(retryTimer);
  for (const entry of [...outbox]) {
    if (sending.has(entry.client_id)) continue;
    sending.add(entry.client_id);
    render();
    const { client_id, text, name, affiliation, anonymous, language } = entry;
    await admitted(); // proof-of-work events: this device's challenge is solved first
    const r = await api("POST", `/api/events/${encodeURIComponent(code)}/questions`,
      { body: { text, name: name || null, affiliation: affiliation || null, anonymous, client_id,
        language: language || null }, timeout: SEND_TIMEOUT_MS });
    sending.delete(entry.client_id);
    if (r.ok || (r.status >= 400 && r.status < 500)) {
      outbox = outbox.filter((e) => e.client_id !== client_id);
      saveOutbox();
    }
    if (r.ok) {
      retryStep = 0;
      live.upsertQuestion(r.data);
      const msg = r.data.status === "pending" ? t("Sent. Your question is waiting for the moderator.") : t("Sent. Your question is now in the list.");
      showMessage(msg, "ok"); // #ask-msg is itself a polite live region: no second announcement
      continue;
    }
    if (r.status >= 400 && r.status < 500) {
      if (!els.text.value.trim()) {
        els.text.value = text; // give the words back so they can be fixed and re-sent
        updateCounter();
      }
      showMessage(r.message, "error");
      continue;
    }
    // Network failure or 5xx: keep it (same client_id) and try again later.
    const wait = r.retryAfter ? r.retryAfter * 1000 : OUTBOX_RETRY_MS[Math.min(retryStep, OUTBOX_RETRY_MS.length - 1)];
    retryStep += 1;
    if (r.network) showMessage(t("You are offline. Your question will be sent when you are back online."), "error");
    else showMessage(r.message, "error");
    retryTimer = setTimeout(flushOutbox, wait);
    break;
  }
  render();
}

function updateCounter() {
  const n = els.text.value.length;
  setText(els.count, t("{count} / {max}", { count: n, max: MAX_TEXT }));
  els.count.dataset.over = String(n > MAX_TEXT - 20);
}

function loadProfile() {
  const p = local.get(PROFILE_KEY, {});
  els.name.value = p.name || "";
  els.affiliation.value = p.affiliation || "";
  els.anon.checked = !!p.anonymous;
  syncAnon();
}

function syncAnon() {
  els.name.disabled = els.anon.checked;
  els.affiliation.disabled = els.anon.checked;
  const parts = [els.name.value.trim(), els.affiliation.value.trim()].filter(Boolean).join(", ");
  setText($("#who-summary"), els.anon.checked ? t("Asking anonymously")
    : parts ? t("Asking as {who}", { who: parts }) : t("Add your name and affiliation (optional)"));
}

els.text.addEventListener("input", () => {
  updateCounter();
  els.text.removeAttribute("aria-invalid");
});
els.anon.addEventListener("change", syncAnon);
els.name.addEventListener("change", syncAnon);
els.affiliation.addEventListener("change", syncAnon);
els.form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!live.event.questions_open) return;
  const text = els.text.value.trim();
  if (text.length < 2) {
    els.text.setAttribute("aria-invalid", "true");
    showMessage(t("Please write at least 2 characters."), "error");
    els.text.focus();
    return;
  }
  const profile = { name: els.name.value.trim(), affiliation: els.affiliation.value.trim(), anonymous: els.anon.checked };
  local.set(PROFILE_KEY, profile);
  outbox.push({ client_id: randomId(), text, ...(profile.anonymous ? { name: "", affiliation: "" } : profile),
    anonymous: profile.anonymous, language: els.language.value || null }); // none: the server detects it
  saveOutbox();
  els.text.value = "";
  updateCounter();
  showMessage("", "");
  flushOutbox();
});
addEventListener("online", flushOutbox);

// -- agenda: follow the active segment, browse earlier ones read-only ------------------------------

let viewing = null; // segment id the attendee chose to look back at, or null to follow the active one
let readOnly = false;

function shownSegment() {
  const ev = live.event;
  const segs = ev.segments || [];
  if (viewing !== null && segs.some((s) => s.id === viewing) && viewing !== ev.active_segment) return viewing;
  viewing = null;
  return ev.active_segment;
}

function inView(q) {
  const ev = live.event;
  const seg = shownSegment();
  if (!seg) return true;
  if (seg === ev.active_segment) return q.segment == null || q.segment === seg;
  return q.segment === seg;
}

function renderAgenda() {
  const ev = live.event;
  const segs = ev.segments || [];
  const active = segs.find((s) => s.id === ev.active_segment);
  els.agenda.hidden = !active;
  if (!active) {
    readOnly = false;
    return;
  }
  setText(els.agendaNow, active.title);
  setText(els.agendaWhen, active.starts_at ? eventTime(active.starts_at, ev.timezone) : "");
  const upTo = segs.slice(0, segs.indexOf(active) + 1);
  const sig = JSON.stringify([upTo.map((s) => [s.id, s.title]), active.id]);
  if (els.agendaView.dataset.sig !== sig) {
    els.agendaView.dataset.sig = sig;
    els.agendaView.replaceChildren(...upTo.map((s) => h("option", { value: String(s.id) },
      s.id === active.id ? t("{segment} (now)", { segment: s.title }) : s.title)));
  }
  const seg = shownSegment();
  if (document.activeElement !== els.agendaView) els.agendaView.value = String(seg);
  readOnly = seg !== ev.active_segment;
  els.agendaPast.hidden = !readOnly;
  els.agendaView.parentElement.hidden = upTo.length < 2;
}

// -- forget me -----------------------------------------------------------------------------------

function confirmForget(open) {
  els.forgetConfirm.hidden = !open;
  els.forgetStart.setAttribute("aria-expanded", String(open));
  if (open) els.forgetYes.focus();
}
els.forgetStart.addEventListener("click", () => confirmForget(els.forgetConfirm.hidden));
els.forgetNo.addEventListener("click", () => {
  confirmForget(false);
  els.forgetStart.focus();
});
els.forgetYes.addEventListener("click", async () => {
  els.forgetYes.disabled = true;
  const r = await api("DELETE", `/api/events/${encodeURIComponent(code)}/me`);
  els.forgetYes.disabled = false;
  if (!r.ok) {
    setText(els.forgetMsg, r.message);
    els.forgetMsg.dataset.kind = "error";
    return;
  }
  outbox = [];
  saveOutbox();
  told = [];
  local.remove(TOLD_KEY);
  for (const q of [...live.questions.values()]) {
    if (q.mine) live.questions.delete(q.id);
    else if (q.voted) live.upsertQuestion({ id: q.id, voted: false, votes: Math.max(0, (q.votes || 0) - 1) });
  }
  for (const p of live.polls.values()) if (p.my_answer) live.upsertPoll({ ...p, my_answer: null });
  confirmForget(false);
  setText(els.forgetMsg, t("Done: your questions, votes and answers are gone."));
  els.forgetMsg.dataset.kind = "ok";
  say(t("Done: your questions, votes and answers are gone."));
  schedule();
});

// -- render --------------------------------------------------------------------------------------

function render() {
  const ev = live.event;
  const open = !!ev.questions_open;
  els.paused.hidden = open;
  for (const el of els.form.elements) el.disabled = !open || ((el === els.name || el === els.affiliation) && els.anon.checked);

  renderAgenda();
  const all = [...live.questions.values()];
  const qs = all.filter(inView);
  const onscreen = readOnly ? null : all.find((q) => q.id === ev.highlighted && q.status === "approved");
  const approved = qs.filter((q) => q.status === "approved" && q !== onscreen)
    .sort(sortKey() === "recent" ? byRecent : byPopular);
  const answered = qs.filter((q) => q.status === "answered")
    .sort((a, b) => (b.answered_at || "").localeCompare(a.answered_at || ""));
  const mine = all.filter((q) => q.mine && (q.status === "pending" || q.status === "merged")).sort(cmpTime);

  const used = new Set();
  const nodesFor = (list, opts) => list.map((q) => {
    used.add(q.id);
    const it = questionItem(q.id);
    updateItem(it, q, opts);
    return it.li;
  });
  reconcile(els.onscreenList, nodesFor(onscreen ? [onscreen] : [], { onscreen: true }));
  els.onscreen.hidden = !onscreen;
  reconcile(els.list, nodesFor(approved));
  els.empty.hidden = approved.length > 0 || !!onscreen;
  setText(els.total, total(approved.length)); // the list below, not the on-screen card above it
  reconcile(els.answeredList, nodesFor(answered));
  els.answered.hidden = answered.length === 0;
  setText(els.answeredCount, total(answered.length));
  // The socket can deliver our own question before the send's answer: show it once, not twice.
  const arrived = new Set(all.filter((q) => q.mine).map((q) => q.text));
  const waiting = outbox.filter((e) => !(sending.has(e.client_id) && arrived.has(e.text)));
  const toldNodes = told.filter((e) => !live.questions.has(e.id)).map((e) => {
    used.add(`told:${e.id}`);
    return toldItem(e);
  });
  const mineNodes = [...nodesFor(mine), ...waiting.map((e) => { used.add(`out:${e.client_id}`); return outboxItem(e); }),
    ...toldNodes];
  reconcile(els.mineList, mineNodes);
  els.mine.hidden = mineNodes.length === 0;
  for (const key of [...items.keys()]) if (!used.has(key)) items.delete(key);

  renderPolls();
}

const schedule = scheduler(render);

// -- announcements: few and meaningful, never one per vote ----------------------------------------

const seen = new Map([...live.questions.values()].map((q) => [q.id, q.status]));
let fresh = 0;
let freshTimer = null;
let wasOpen = live.event.questions_open;
let wasHighlighted = live.event.highlighted;
// Own questions as last seen: a `question.removed` (rejected) is told to its asker with the words they wrote.
const removedMine = new Map([...live.questions.values()].filter((q) => q.mine).map((q) => [q.id, q]));

function noteFresh() {
  fresh += 1;
  if (freshTimer) return;
  freshTimer = setTimeout(() => {
    say(nt("{n} new question.", "{n} new questions.", fresh));
    fresh = 0;
    freshTimer = null;
  }, 4000);
}

live.subscribe((type, data) => {
  if (type === "event.deleted") {
    els.app.hidden = true;
    els.ended.hidden = false;
    say(t("This event has ended."));
    return;
  }
  if (type === "question.removed" && data?.status === "rejected") {
    const had = removedMine.get(data.id);
    if (had) {
      rememberTold(had);
      say(t("Not published by the moderator"));
    }
  }
  if (type === "question.created" || type === "question.updated") {
    const before = seen.get(data.id);
    if (data.status === "approved" && before !== "approved") {
      if (data.mine) say(t("Your question was approved and is now in the list."));
      else if (before === undefined || before === "pending") noteFresh();
    }
    seen.set(data.id, data.status);
  } else if (type === "poll.created" || (type === "poll.updated" && data.status === "open")) {
    if (data.status === "open" && !cards.has(data.id)) say(t("New poll: {title}", { title: data.title }));
  } else if (type === "event.updated") {
    if (data.questions_open !== wasOpen) say(data.questions_open ? t("Questions are open again.") : t("Questions are paused."));
    if (data.highlighted && data.highlighted !== wasHighlighted) {
      const q = live.questions.get(data.highlighted);
      say(q ? t("On screen now: {question}", { question: q.text }) : t("A new question is on screen now."));
    }
    wasOpen = data.questions_open;
    wasHighlighted = data.highlighted;
  } else if (type === "snapshot") {
    for (const q of live.questions.values()) seen.set(q.id, q.status);
  } else if (type === "state" && data === "connected") {
    voteNotes.clear();
    if (outbox.length) flushOutbox();
  }
  for (const q of live.questions.values()) if (q.mine) removedMine.set(q.id, q);
  schedule();
});

els.agendaView.addEventListener("change", () => {
  const id = Number(els.agendaView.value);
  viewing = id === live.event.active_segment ? null : id;
  render();
});

for (const input of document.querySelectorAll('input[name="sort"]')) {
  input.checked = input.value === (local.get(SORT_KEY, "popular"));
  input.addEventListener("change", () => {
    local.set(SORT_KEY, sortKey());
    render();
  });
}

// The page came with its own cards (templates/_question_card.html, plain vote forms): the first render replaces them
// with these, markup for markup, in one task (nothing painted in between); a keyboard user keeps their card.
const focusedCard = Number(document.activeElement?.closest?.("li.q[data-qid]")?.dataset.qid);
loadProfile();
updateCounter();
render();
if (focusedCard) items.get(focusedCard)?.vote.focus();
bindIndicator(live, $("#live"));
mountSpeakers(live);
live.start();
if (outbox.length) flushOutbox();
performance.mark("floor:ready"); // bench/pages.py: the ask box works with its script from here
