// The list of speakers, shared by the attendee, chair, presenter and overlay modules: the list in order, the
// clock, and the words for groups, kinds and refusals.
import { clock, t } from "./i18n.js";

export const GROUPS = ["member_state", "observer_state", "un_entity", "igo", "civil_society", "academia",
  "private_sector", "other"];
export const KINDS = ["statement", "question", "reply"];

export function groupName(group) {
  switch (group) {
    case "member_state": return t("Member State");
    case "observer_state": return t("Observer State");
    case "un_entity": return t("UN entity");
    case "igo": return t("Intergovernmental organisation");
    case "civil_society": return t("Civil society");
    case "academia": return t("Academia");
    case "private_sector": return t("Private sector");
    default: return t("Other");
  }
}

export function kindName(kind) {
  switch (kind) {
    case "question": return t("Question to the panel");
    case "reply": return t("Right of reply");
    default: return t("Statement");
  }
}

/** Who speaks, then who waits by position (then, for moderators, the rest by id). */
export function ordered(live) {
  const all = [...live.speakers.values()];
  const speaking = all.filter((s) => s.status === "speaking");
  const waiting = all.filter((s) => s.status === "waiting").sort((a, b) => (a.position ?? 1e9) - (b.position ?? 1e9)
    || a.id - b.id);
  const rest = all.filter((s) => s.status !== "speaking" && s.status !== "waiting").sort((a, b) => a.id - b.id);
  return { speaking: speaking[0] || null, waiting, rest };
}

/** Seconds left for a speaker now (negative once over), or null when there is no limit. */
export function secondsLeft(s) {
  const c = s?.clock;
  if (!c || !c.limit) return null;
  const running = c.running && c.since ? Date.now() / 1000 - c.since : 0;
  return c.limit - c.elapsed - running;
}

/** Seconds spoken so far. */
export function secondsSpoken(s) {
  const c = s?.clock;
  if (!c) return 0;
  return c.elapsed + (c.running && c.since ? Date.now() / 1000 - c.since : 0);
}

/** "2:41 left", "Time is up" (with how far over), or the time spoken without a limit. */
export function clockText(s) {
  const left = secondsLeft(s);
  if (left === null) return t("{time} spoken", { time: clock(secondsSpoken(s)) });
  if (left <= 0) return t("Time is up ({time} over)", { time: clock(-left) });
  return t("{time} left", { time: clock(left) });
}

/** Refusals of the list's own endpoints, in the page's language. */
export function speakerError(r) {
  switch (r.code) {
    case "speakers_closed": return t("The list of speakers is closed.");
    case "already_requested": return t("You already asked for the floor.");
    case "not_waiting": return t("This request is no longer waiting.");
    case "not_speaking": return t("This delegate no longer has the floor.");
    default: return r.message;
  }
}
