"""Floor: live, moderated Q&A and quick polls for panel discussions."""

__version__ = "0.1.0"
