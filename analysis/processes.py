"""Child processes that never outlive the build.

:func:`run_group` runs a command in a process group of its own; when the build is interrupted
(SIGINT), terminated (SIGTERM) or fails, the whole group is killed before the exception goes on,
and the child is asked (Linux ``prctl(PR_SET_PDEATHSIG)``) to be killed when its parent dies,
even by SIGKILL.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send *sig* to this process when its parent thread dies (Linux; else nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        pass


def _child_setup() -> None:
    os.setpgid(0, 0)
    die_with_parent(signal.SIGKILL)


def kill_group(process: subprocess.Popen, grace_s: float = 2.0) -> None:
    """Terminate the process group of *process*, then kill it if it is still there after *grace_s*."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_group(argv: list[str], timeout: float | None = None, **popen) -> int:
    """Run *argv* in a new process group (it dies with this process); return its exit status.

    On any exception while waiting (KeyboardInterrupt included) or at *timeout*, the whole group
    is terminated, then killed, and the exception is raised again (TimeoutExpired at the timeout).
    """
    process = subprocess.Popen(argv, preexec_fn=_child_setup, **popen)  # noqa: PLW1509 - only prctl/setpgid
    try:
        return process.wait(timeout=timeout)
    except BaseException:
        kill_group(process)
        raise
    finally:
        if process.poll() is None:
            kill_group(process)
