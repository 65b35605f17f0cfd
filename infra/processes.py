"""Child processes that do not outlive their parent, what those of a dead one left, and the
garbage collector as every centsource process sets it."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1
# Loaded before any fork: the child may only call it (a lock taken by another thread at fork
# time would never be released in the child).
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _dies_with(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets SIGKILL when ``parent`` dies (Linux). The kernel sends
    it when the *thread* that forked the child ends, so children are started from the main
    thread."""

    def preexec() -> None:
        if _LIBC is not None:
            _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the line above
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def launch(
    args: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    output: IO[bytes] | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """A child process that does not outlive this one, in a process group of its own."""
    return subprocess.Popen(
        args,
        env=env,
        cwd=cwd,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        user=user,
        process_group=0,
        preexec_fn=_dies_with(os.getpid()),
    )


def leftovers(directory: Path, names: tuple[str, ...]) -> list[int]:
    """Live processes called one of ``names`` that work in ``directory`` or name it in their
    command line: what a server killed with its supervisor left running (Linux /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() not in names:
                continue
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            if state in ("Z", "X"):  # dead, waiting to be reaped
                continue
            cwd = Path(os.readlink(entry / "cwd"))
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):  # gone meanwhile, or not ours to look at
            continue
        if cwd == directory or os.fsencode(directory) in args:
            found.append(int(entry.name))
    return found


def send_signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


# The cyclic garbage collector, once a process has imported what it runs: those objects live
# as long as it does, so they are frozen out of every collection, and the youngest generation
# is collected every 50,000 allocations instead of 700. An insight or a report reads some
# 100,000 transactions into objects that live until its answer is made; with the defaults
# the collector walked them, and everything imported, again and again while they were built.
# Measured on 100,000 transactions: a quarter's report with insights made in 2.4 s, 1.3 s
# with these; the recurring series answered in 1.2 s, 0.5 s.
YOUNGEST_COLLECTED_EVERY = 50_000


def tune_collector() -> None:
    """Sets the collector for the rest of the process's life (what it imported is frozen):
    to be called by a process's entry point, once it has imported what it runs."""
    gc.freeze()
    gc.set_threshold(YOUNGEST_COLLECTED_EVERY, 20, 20)
