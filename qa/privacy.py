"""The privacy notice, as data: every item Floor stores about an event, with what, why, how long and who sees it.

Each item names the domain fields it covers, and tests/test_privacy.py fails when a field of Event, Segment,
Question, Poll or Note is covered by no item, so the notice stays true as the code changes. The texts are
marked with N_() and translated when the page is rendered (the catalogs extract this file)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from qa.domain.model import Event, Note, Poll, Question, Segment, Speaker


def N_(message: str) -> str:  # gettext's marker: "translate later"
    return message


UNTIL_ERASED = N_("Until the event is erased (see below).")
STORED_TYPES = (Event, Segment, Question, Poll, Note, Speaker)


@dataclass(frozen=True)
class StoredItem:
    key: str
    what: str
    why: str
    how_long: str
    who: str
    fields: tuple[str, ...] = ()  # "Type.field" of the domain types this item describes


ITEMS: tuple[StoredItem, ...] = (
    StoredItem(
        "questions",
        N_("Your questions: their text, the language you chose, when you asked, a moderator's edit (with the "
           "original text), and where each stands (waiting, approved, answered, merged into a similar one)."),
        N_("To run the question and answer session: moderators review questions, the panel answers them."),
        UNTIL_ERASED,
        N_("Moderators see every question. Everyone at the event, on the screen and on the stream sees approved "
           "ones. Organisers can export them."),
        ("Question.id", "Question.text", "Question.original_text", "Question.language", "Question.created_at",
         "Question.status", "Question.highlighted", "Question.segment", "Question.flagged", "Question.merged_into",
         "Question.similar_to", "Question.answered_at", "Question.rev", "Question.votes",
         "Question.counted")),
    StoredItem(
        "translations",
        N_("The language of each question (detected from its text unless you chose it, and corrected by a "
           "moderator if need be) and the translations of it that moderators or translators write."),
        N_("So everyone, including the interpreters' booths, can read each question in their own language."),
        UNTIL_ERASED,
        N_("The same people as the question itself; translations are erased with it."),
        ("Question.translations",)),
    StoredItem(
        "names",
        N_("The name and affiliation you typed with a question, if any. When you ask anonymously neither is "
           "sent, stored or exported."),
        N_("So the panel can address you, as at a microphone."),
        UNTIL_ERASED,
        N_("Moderators; once your question is approved, everyone, including the screen and the stream; organisers "
           "in the export."),
        ("Question.name", "Question.affiliation")),
    StoredItem(
        "participant",
        N_("A random identifier from the cookie floor_participant, stored with your questions, votes and answers, "
           "and a key that stops a question sent twice from being asked twice."),
        N_("So each person counts once, and you can see, change and delete what is yours."),
        UNTIL_ERASED,
        N_("Nobody reads it. Moderators see a one-way tag derived from it, to tell askers apart and to hold a "
           "disruptive participant's questions; the tag is never exported."),
        ("Question.author", "Question.client_id", "Question.held", "Event.banned")),
    StoredItem(
        "speakers",
        N_("Your requests for the floor: the name and delegation you typed, your group, the language you will "
           "speak and the kind of intervention, when you asked, your place in the list, and when you spoke and "
           "for how long. Withdrawn and removed requests are kept as such."),
        N_("To run the list of speakers: the chair gives the floor in turn, interpreters know the language, and "
           "the record shows who spoke and for how long."),
        UNTIL_ERASED,
        N_("Moderators see every request. Everyone at the event, on the screen and on the stream sees the name "
           "and delegation of who speaks and who waits, never who withdrew or was removed. Organisers export "
           "the interventions with their times."),
        ("Speaker.id", "Speaker.name", "Speaker.delegation", "Speaker.author", "Speaker.requested_at",
         "Speaker.group", "Speaker.kind", "Speaker.language", "Speaker.status", "Speaker.position",
         "Speaker.started_at", "Speaker.ended_at", "Speaker.resumed_at", "Speaker.paused_at", "Speaker.elapsed",
         "Speaker.limit", "Speaker.rev")),
    StoredItem(
        "votes",
        N_("Your upvotes and poll answers."),
        N_("To count each person once and let you change or withdraw your answer."),
        UNTIL_ERASED,
        N_("Everyone sees the totals; nobody sees who voted for what."),
        ()),
    StoredItem(
        "event",
        N_("The event itself, as the organisers set it up: title, code, agenda, speakers, times, language, time "
           "zone, moderation settings, polls and this policy."),
        N_("To run the event."),
        UNTIL_ERASED,
        N_("Everyone, except the moderation settings and the access keys, which only moderators see."),
        ("Event.code", "Event.title", "Event.created_at", "Event.moderation", "Event.questions_open",
         "Event.highlighted", "Event.presenting_poll", "Event.active_segment", "Event.segments", "Event.language",
         "Event.timezone", "Event.policy_text", "Event.blocked_words", "Event.retention_days", "Event.ends_at",
         "Event.overlay_hidden", "Event.timer", "Event.up_next", "Event.screen_translation", "Event.integrity",
         "Event.passcode", "Event.overlay_position", "Event.overlay_theme", "Event.overlay_chroma",
         "Event.public_timer", "Event.rev", "Event.epoch", "Event.moderator_token",
         "Event.presenter_token", "Segment.id", "Segment.title", "Segment.starts_at", "Segment.speakers",
         "Poll.id", "Poll.title", "Poll.kind", "Poll.created_at", "Poll.options", "Poll.scale", "Poll.labels",
         "Poll.max_choices", "Poll.results", "Poll.status", "Poll.opened_once", "Poll.round", "Poll.segment",
         "Poll.rev", "Event.speakers_open", "Event.speaking_time", "Event.speakers_order",
         "Event.speaker_overlay_hidden")),
    StoredItem(
        "notes",
        N_("Backstage notes from the moderators to the panel, and when the panel acknowledged them."),
        N_("So the team can talk to the panel without a microphone."),
        UNTIL_ERASED,
        N_("Moderators and panellists only; never the public screen or the stream."),
        ("Note.id", "Note.text", "Note.created_at", "Note.acked_at", "Note.rev")),
    StoredItem(
        "records",
        N_("A log of recent changes, so a screen that lost its connection can catch up, and a record of moderators' "
           "actions (when, which role, what, on which item)."),
        N_("To keep every screen right, and so moderators answer for what they do."),
        N_("The most recent changes only, and never beyond the event's erasure."),
        N_("The change log is read only by Floor itself; moderators read the record of actions."),
        ()),
    StoredItem(
        "limits",
        N_("Short-lived counters of how often you asked, voted or answered, and of the connections open from your "
           "network, under a one-way keyed hash, never your address itself."),
        N_("To stop floods and keep Floor usable for everyone."),
        N_("A minute for the rate counters (they expire by themselves, even after Forget me); connection counts "
           "only while the connections are open."),
        N_("Nobody; Floor itself."),
        ()),
)

NOT_STORED = N_("Floor does not store your IP address, your browser's user agent, an email address or any "
                "account. Its logs hold no question text, names or access keys. It uses no analytics, advertising "
                "or third-party scripts.")
ON_DEVICE = N_("On this device only: the name and affiliation you last used, your language (cookie floor_lang), "
               "which version of Floor's style sheets your browser has cached (cookie floor_css), "
               "and questions waiting to be sent while you are offline. Your browser keeps them until you clear "
               "them.")


def covered_fields() -> set[str]:
    return {name for item in ITEMS for name in item.fields}


def stored_fields() -> set[str]:
    return {f"{cls.__name__}.{f.name}" for cls in STORED_TYPES for f in dataclasses.fields(cls)}
