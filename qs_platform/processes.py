"""Is the process that started some work still running? Identities that survive pid reuse.

A process is identified by `<host>:<pid>:<start>`, where `<start>` is its start time in clock ticks since boot
(`/proc/<pid>/stat`, field 22): a new process that happens to get the same pid has another start time.
"""

from __future__ import annotations

import os
import socket
from functools import cache


def _start_ticks(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode(errors="replace")
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may contain spaces: split after its closing parenthesis
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def started_at(pid: int) -> float | None:
    """The process's start time (epoch seconds), from its start ticks and the boot time; None if unknown."""
    ticks = _start_ticks(pid)
    try:
        with open("/proc/stat") as handle:
            boot = next(float(line.split()[1]) for line in handle if line.startswith("btime "))
    except (OSError, StopIteration):
        return None
    return boot + int(ticks) / os.sysconf("SC_CLK_TCK") if ticks else None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@cache
def hostname() -> str:
    return socket.gethostname()


def identity(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{hostname()}:{pid}:{_start_ticks(pid) or '?'}"


def identity_is_alive(value: str) -> bool | None:
    """True/False for an identity of this host; None when it belongs to another host (cannot tell from here)."""
    host, _, rest = value.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != hostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if not is_alive(pid):
        return False
    return start in ("", "?") or _start_ticks(pid) == start
