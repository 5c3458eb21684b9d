"""Commands for questions: ask, vote, moderate (approve ... merge), ban askers, and forget a participant."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from qa import language_id
from qa.commands.base import CommandBase, audit, event_change, question_change
from qa.domain import ballots, fields, replay, text
from qa.domain import questions as question_rules
from qa.domain.errors import Conflict, Invalid, NotFound
from qa.domain.model import (
    PUBLIC_STATUSES,
    Actor,
    Event,
    PendingChange,
    Question,
    Status,
    participant_tag,
)
from qa.realtime import notices
from qa.store.base import DuplicateQuestion, Write

if TYPE_CHECKING:
    from qa.integrity import Activity
    from qa.ratelimit import RateLimiter


class QuestionCommands(CommandBase):
    # -- questions -----------------------------------------------------------------------------------
    async def ask(self, code: str, participant: str, body: object) -> Question:
        event = await self.event(code)  # never the whole event: asking costs the same at the 1st and the 20,000th
        client_id = body.get("client_id") if isinstance(body, dict) else None
        if client_id is not None:
            if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64:
                raise Invalid("client_id must be a string of 8 to 64 characters.", "invalid_client_id")
            earlier = await self.store.find_question(code, participant, client_id)
            if earlier is not None:
                return earlier
        qid = await self.store.next_id(code, "question")
        if qid > self.limits.questions_max:  # ids count every question ever asked in the event
            raise Conflict(f"This event has reached its limit of {self.limits.questions_max} questions.",
                           "too_many_questions")
        q = question_rules.new_question(qid, body, author=participant, event=event, now=time.time(),
                                        limits=self.limits)
        q.client_id = client_id
        if q.language is None:  # the author's explicit choice wins; otherwise the text says
            q.language = await language_id.detect_soon(q.text)
        if not q.held:
            q.similar_to = question_rules.most_similar(
                q.text, await self.store.recent_questions(code, question_rules.SIMILAR_WINDOW))
        try:
            await self._commit(code, Write([question_change(q, None)], questions=[q]))
        except DuplicateQuestion:
            # The same offline question, retried while its first send was still in flight: never ask twice.
            assert client_id is not None
            earlier = await self.store.find_question(code, participant, client_id)
            if earlier is None:
                raise Conflict("This question is being sent; try again.", "busy") from None
            return earlier
        return q

    async def vote(self, code: str, qid: int, participant: str, on: bool) -> tuple[int, bool]:
        """Upvote (on) or withdraw. An asker never upvotes their own question; withdrawing stays open to everyone,
        so a vote cast before that rule can still be taken back."""
        q = await self.question(code, qid)
        refused = ballots.judge(q.author, q.status, participant, on)
        if refused is not None:
            raise refused
        votes, changed = await self.store.vote(code, qid, participant, on)
        if changed and ballots.is_public(q.status):  # counts go to every socket: never for a hidden question
            await self.publish(code, [notices.VoteNotice(qid, participant, on)])
        return votes, on

    async def cast(self, ballot: ballots.Ballot, limiter: RateLimiter, activity: Activity) -> tuple[int, bool]:
        """A participant's vote from the outside: admission, rate windows and the activity counter come with it,
        so a store that can (Redis) does the whole ballot in one round trip; the answer is (votes, voted)."""
        done = await self.store.cast(ballot, limiter, activity)
        if done.changed and done.public and not done.published:
            await self.publish(ballot.code, [notices.VoteNotice(ballot.qid, ballot.participant, ballot.on)])
        elif self.has_unsent:
            await self.publish(ballot.code, [])  # a doorbell an outage kept goes out with the next vote
        return done.votes, ballot.on

    async def moderate(self, code: str, qid: int, body: object, by: Actor | None = None) -> Question:
        action = body.get("action") if isinstance(body, dict) else None
        if action in question_rules.BAN_ACTIONS:
            fields.payload(body, allowed=("action",), required=("action",))
            q = await self.question(code, qid)
            await self.ban(code, participant_tag(q.author), on=action == "ban", by=by, question=qid)
            return await self.question(code, qid)

        async def attempt() -> Question:
            event = await self.event(code)
            q = await self.question(code, qid)
            related: dict[int, Question] = {}
            if event.highlighted is not None and event.highlighted != qid:
                current = await self.store.get_question(code, event.highlighted)
                if current is not None:
                    related[current.id] = current
            into = body.get("into") if isinstance(body, dict) else None
            if isinstance(into, int) and not isinstance(into, bool) and 1 <= into <= fields.ID_MAX:
                target = await self.store.get_question(code, into)
                if target is not None:
                    related[target.id] = target
            result = question_rules.moderate(event, q, body, related=related, now=time.time(), limits=self.limits)
            originals = {**related, q.id: q}
            changes = [question_change(changed, before, originals[changed.id].held)
                       for changed, before in result.questions]
            if result.event is not None:
                changes.append(event_change(result.event))
            subject: dict[str, Any] = {"question": qid}
            if result.merge_votes is not None:
                subject["into"] = result.merge_votes[1]
            write = Write(changes, event=result.event, questions=[c for c, _ in result.questions],
                          merge_votes=result.merge_votes, audit=audit(by, f"question.{action}", **subject))
            if result.merge_votes is not None:
                # rev-guarded, and its change carries the unioned votes
                write.questions.append(related[result.merge_votes[1]])
            await self._commit(code, write)
            if result.merge_votes is not None:
                merged = await self.question(code, result.merge_votes[1])
                if merged.status in PUBLIC_STATUSES:
                    await self.publish(code, [notices.VoteNotice(merged.id, "", True)])
                return merged
            return await self.question(code, qid)

        return await self._retrying(attempt)

    async def translate(self, code: str, qid: int, body: object, by: Actor | None = None) -> Question:
        """Add, replace or remove a reviewed translation: a sequenced question.updated like any edit."""

        async def attempt() -> Question:
            q = await self.question(code, qid)
            translated = question_rules.translate(q, body, limits=self.limits)
            language = body["language"]  # type: ignore[index]  # validated by translate()
            await self._commit(code, Write([question_change(translated, q.status, q.held)], questions=[translated],
                                           audit=audit(by, "question.translate", question=qid, language=language)))
            return await self.question(code, qid)

        return await self._retrying(attempt)

    async def ban(self, code: str, tag: object, *, on: bool, by: Actor | None = None,
                  question: int | None = None) -> Event:
        """Ban or unban a participant by tag: one write for the ban list and every question it holds or frees."""

        async def attempt() -> Event:
            state = await self.store.state(code)
            if state is None:
                raise NotFound("No event with this code.")
            result = question_rules.ban(state.event, tag, state.questions, on=on,  # type: ignore[arg-type]
                                        limits=self.limits)
            originals = {q.id: q for q in state.questions}
            changes = [question_change(changed, before, originals[changed.id].held)
                       for changed, before in result.questions]
            if result.event is not None:
                changes.append(event_change(result.event))
            target: dict[str, Any] = {"participant": tag}
            if question is not None:
                target["question"] = question
            await self._commit(code, Write(changes, event=result.event, questions=[c for c, _ in result.questions],
                                           audit=audit(by, "participant.ban" if on else "participant.unban",
                                                        **target)))
            return result.event or state.event

        return await self._retrying(attempt)

    async def own_question(self, code: str, qid: int, participant: str) -> Question:
        """The asker's own question; anyone else's (or none) is 404, so ids of other people's questions tell nothing."""
        await self.event(code)
        q = await self.store.get_question(code, qid)
        if q is None or q.author != participant:
            raise NotFound("You have no question with this id in this event.")
        return q

    async def withdraw(self, code: str, qid: int, participant: str) -> None:
        """The asker takes back one of their questions, whatever its status: it is deleted (as by Forget me)."""
        await self.own_question(code, qid, participant)
        await self._retrying(lambda: self._delete_questions(code, [qid]))

    async def edit_own(self, code: str, qid: int, participant: str, body: object) -> Question:
        """The asker corrects their question's text while it waits for the moderator (pending only)."""
        data = fields.payload(body, allowed=("text",), required=("text",))

        async def attempt() -> Question:
            q = await self.own_question(code, qid, participant)
            if q.status is not Status.PENDING or q.held:
                raise Conflict("Only a question that is still waiting for the moderator can be edited.",
                               "not_pending")
            new_text = text.clean(data["text"], "text", min_len=self.limits.question_min,
                                  max_len=self.limits.question_max, multiline=True)
            if new_text != q.text:
                q.text = new_text
                await self._commit(code, Write([question_change(q, q.status)], questions=[q]))
            return await self.question(code, qid)

        return await self._retrying(attempt)

    async def forget(self, code: str, participant: str) -> None:
        """Forget me: delete own questions, withdraw own votes and poll answers."""
        await self.event(code)
        state = await self.store.state(code)
        assert state is not None
        own = [q for q in state.questions if q.author == participant]
        if own:
            await self._retrying(lambda: self._delete_questions(code, [q.id for q in own]))
        for qid in await self.store.voted(code, participant):
            await self.vote(code, qid, participant, False)
        for pid in await self.store.answers_of(code, participant):
            await self.store.answer(code, pid, participant, None)
            await self.publish(code, [notices.AnswerNotice(pid, participant, answered=False)])
        await self.store.after_erase()

    async def _delete_questions(self, code: str, qids: list[int]) -> None:
        event = await self.event(code)
        changes = []
        for qid in qids:
            q = await self.store.get_question(code, qid)
            if q is not None:
                # A bare removal: the log keeps no trace of the erased question (and the stores scrub its history).
                changes.append(PendingChange("question.deleted", {"question": replay.question_stub(q.to_dict()),
                                                                  "was": q.status.value}))
        write = Write(changes, delete_questions=qids)
        lined_up = [i for i in event.up_next if i not in qids]
        if event.highlighted in qids or lined_up != event.up_next:
            # the panel's highlight and the lined-up list must not point at a question that is gone
            if event.highlighted in qids:
                event.highlighted = None
            event.up_next = lined_up
            write.event = event
            changes.append(event_change(event))
        await self._commit(code, write)
