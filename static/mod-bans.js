// Moderator bans: banned participants (one-way tags), what they asked last, and Unban.
import { $, h, reconcile, setLang, setText } from "./ui.js";
import { nt, num, t } from "./i18n.js";
import { byRecent, ctx } from "./mod-context.js";

const els = { bannedList: $("#banned-list") };

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
      const r = await ctx.call("DELETE", `/bans/${encodeURIComponent(tag)}`);
      unban.disabled = false;
      if (r.ok) ctx.say(t("Ban lifted."));
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
  const banned = ctx.live.event.banned || [];
  const asked = new Map();
  for (const q of ctx.live.questions.values()) {
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

export function mount() {
  return { render: renderBanned };
}
