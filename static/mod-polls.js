// Moderator polls: the poll list (open, close, show on screen, edit, reset, delete) and the new/edit poll form.
import { $, api, h, reconcile, setText } from "./ui.js";
import { pollKind, resultsView } from "./polls.js";
import { pt, t } from "./i18n.js";
import { confirmable, ctx } from "./mod-context.js";

const els = {
  pollForm: $("#poll-form"),
  pollList: $("#poll-list"),
  pollsEmpty: $("#polls-empty"),
  newPoll: $("#new-poll"),
};

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
    const p = ctx.live.polls.get(id);
    ctx.call("POST", `/polls/${id}/${p.status === "open" ? "close" : "open"}`);
  });
  buttons.show.addEventListener("click", () => {
    const on = ctx.live.event.presenting_poll === id;
    ctx.call("POST", "/present", { poll: on ? null : id });
  });
  buttons.edit.addEventListener("click", () => openPollForm(ctx.live.polls.get(id)));
  confirmable(buttons.reset, t("Reset"), t("Confirm reset"), () => ctx.call("POST", `/polls/${id}/reset`));
  confirmable(buttons.del, t("Delete"), t("Confirm delete"), () => ctx.call("DELETE", `/polls/${id}`));
  pollCards.set(id, pc);
  return pc;
}

function renderPolls() {
  const polls = [...ctx.live.polls.values()].sort((a, b) => b.id - a.id);
  const nodes = polls.map((p) => {
    const pc = pollCard(p);
    setText(pc.title, p.title);
    setText(pc.kind, pollKind(p.kind));
    const open = p.status === "open";
    // Never opened: a draft, not "Closed" (servers before opened_once: closed as before).
    const draft = !open && p.opened_once === false;
    setText(pc.status, open ? pt("poll status", "Open") : draft ? pt("poll status", "Draft") : pt("poll status", "Closed"));
    pc.status.dataset.state = open ? "open" : draft ? "draft" : "closed";
    pc.status.className = `badge ${open ? "badge-ok" : ""}`;
    const onScreen = ctx.live.event.presenting_poll === p.id;
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
  for (const id of [...pollCards.keys()]) if (!ctx.live.polls.has(id)) pollCards.delete(id);
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
  pf.results.value = poll?.results_visibility || "answered";  // results after answering: no bandwagon
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
    ? await api("PATCH", `${ctx.base}/polls/${editingPoll}`, { body, token: ctx.token })
    : await api("POST", `${ctx.base}/polls`, { body, token: ctx.token });
  pf.submit.disabled = false;
  if (!r.ok) {
    setText(pf.msg, r.message);
    return;
  }
  ctx.live.upsertPoll(r.data);
  closePollForm();
});

export function mount() {
  return { render: renderPolls };
}
