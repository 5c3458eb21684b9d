// Moderator activity: the event's audit log in a dialog, newest first, refreshed while open.
import { $, api, h, setText } from "./ui.js";
import { dateTime, pt, t } from "./i18n.js";
import { ctx } from "./mod-context.js";

const els = {
  activity: $("#activity-dialog"),
  activityList: $("#activity-list"),
};

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
    case "question.requeue": return t("Put question #{id} back in the queue", { id });
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
  if (target.question != null) return ctx.live?.questions.get(target.question)?.text || "";
  if (target.poll != null) return ctx.live?.polls.get(target.poll)?.title || "";
  if (target.segment != null) return (ctx.live?.event?.segments || []).find((s) => s.id === target.segment)?.title || "";
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
  if (!ctx.token || !crypto.subtle) return null;
  try {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ctx.token));
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
  const r = await api("GET", `${ctx.base}/audit`, { token: ctx.token });
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

export function mount() {
  return {
    onEvent(type) {
      if (type !== "votes" && type !== "presence" && type !== "poll.results" && type !== "status") refreshActivitySoon();
    },
  };
}
