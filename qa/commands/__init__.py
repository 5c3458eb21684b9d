"""Commands: the one write path. Validate with the domain, commit to the store, publish to the broker.

One module per concept; `Commands` is all of them over one store and broker.
"""

from __future__ import annotations

from qa.commands.base import CommandBase
from qa.commands.events import EventCommands
from qa.commands.polls import PollCommands
from qa.commands.questions import QuestionCommands
from qa.commands.speakers import SpeakerCommands

__all__ = ["CommandBase", "Commands"]


class Commands(SpeakerCommands, EventCommands, QuestionCommands, PollCommands):  # speakers' update_event wraps
    """Every write Floor accepts, one method each."""
