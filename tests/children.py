"""Start the processes the tests need so that they end with the test process, even when it is killed.

A redis-server, Sentinel or `floor serve` left behind by a killed run keeps its port and its configuration, and
ports come from fixed per-worker blocks (conftest.free_port), so the next run reuses them: a stray Sentinel still
monitoring port 10042 would gossip with the next run's Sentinels once that run's master starts on 10042, and a
stray replica would follow it. Linux's parent-death signal ends each child when the process that started it
ends; the fixtures' own stop() stays the normal way out.
"""
from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import threading
from typing import Any

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(args: list[str], **options: Any) -> subprocess.Popen[Any]:
    """subprocess.Popen, with the child killed when this process dies.

    Only from the main thread: the signal follows the thread that forked, so a child started from a worker
    thread would die with that thread.
    """
    if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        options.setdefault("preexec_fn", _die_with_parent)
    return subprocess.Popen(args, **options)
