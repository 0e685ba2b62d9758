"""Child processes that stop with us, and clean stops on Ctrl-C and SIGTERM.

Everything the project starts (Quarto, notebook kernels, figure render workers) goes through here,
so that no process of ours outlives the command that started it, even when that command is killed
with SIGKILL.

Stops of the command itself (used by ``analysis/cli.py``):

- :func:`install_stop_handlers`: SIGINT raises ``KeyboardInterrupt``, SIGTERM raises
  :class:`Terminated`; ``finally`` blocks then clean up. A second signal while the first unwinds
  ends the process at once with the same line and status (``error: interrupted`` 130,
  ``error: terminated`` 143).
- :func:`signals_deferred`: a block that SIGINT/SIGTERM cannot split (e.g. two renames).

Child processes:

- :func:`die_with_parent`: ``prctl(PR_SET_PDEATHSIG)`` (Linux, through ctypes): the calling process
  gets a signal when its parent dies, however the parent died.
- :func:`popen` / :func:`run` / :func:`stop`: a command in a process group of its own, led by a
  small supervisor (this file run as a script) that dies with us: when our process ends (SIGKILL
  included), on :func:`stop`, or when the command exits, the supervisor sends SIGTERM to every
  process of the group and every descendant (it is their "subreaper"), waits *grace* seconds,
  then SIGKILLs what is left. The command does not see the terminal's Ctrl-C (another process
  group); its standard input is ``/dev/null`` unless given.
- :func:`pool_initializer` / :func:`process_pool`: ``concurrent.futures`` workers that die with
  the parent (SIGKILL), ignore Ctrl-C (the parent handles it), and are killed when the ``with``
  block ends by an exception.

Why not a library: no maintained package covers parent death plus the group kill with a grace
period (python-prctl, last release 2020, and pyprctl, 2021, wrap prctl only; tini and dumb-init
are binaries without the grace escalation); prctl is one ctypes call.

This module imports nothing from the project, so the supervisor runs as ``python -I -S
processes.py`` (about 15 ms) without the project's imports.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Sequence

_LINUX = sys.platform.startswith("linux")
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
# SIGHUP: the terminal closed (or a hang-up sent by hand); it stops a command as SIGTERM does
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_STATUS = {signum: 128 + signum for signum in STOP_SIGNALS}  # 130, 143, 129
STOP_MESSAGE = {signal.SIGINT: "error: interrupted", signal.SIGTERM: "error: terminated",
                signal.SIGHUP: "error: hung up"}
DEFAULT_GRACE_SECONDS = 0.5  # SIGTERM -> SIGKILL, for the processes we start


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM once :func:`install_stop_handlers` ran (like KeyboardInterrupt)."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# --- stops of this process ----------------------------------------------------------------------

_stopping: list[int] = []  # the first stop signal received, once handlers are installed
_exit_claim = threading.Lock()  # held by whoever writes the last line and ends the process
_critical = threading.RLock()  # held by signals_deferred blocks; a forced exit waits for it
FORCED_EXIT_SECONDS = 1.5  # a stop whose unwinding takes longer (or got swallowed) is forced


def claim_exit() -> bool:
    """Become the one who writes the final line and ends the process; False if another already is."""
    return _exit_claim.acquire(blocking=False)


def _exit_now(signum: int) -> None:
    """Write the stop line and end the process at once (a second signal, or the watchdog)."""
    if not claim_exit():
        return  # the command line is already writing its last line
    _critical.acquire(timeout=0.5)  # do not split a swap of output folders
    try:
        os.write(2, (STOP_MESSAGE[signum] + "\n").encode())
    finally:
        os._exit(EXIT_STATUS[signum])


def _on_stop_signal(signum, frame):
    if _stopping:  # a second signal while the first unwinds: end now, with the same one line
        _exit_now(_stopping[0])
        return
    _stopping.append(signum)
    watchdog = threading.Timer(FORCED_EXIT_SECONDS, _exit_now, (signum,))
    watchdog.daemon = True
    watchdog.start()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _unraisable(hook):
    def quiet_on_stop(unraisable):
        # A stop exception raised inside __del__ or a callback is reported by the command line's
        # one line, not as "Exception ignored in ...".
        if _stopping and isinstance(unraisable.exc_value, (KeyboardInterrupt, Terminated)):
            return
        hook(unraisable)
    return quiet_on_stop


def install_stop_handlers() -> None:
    """SIGINT -> KeyboardInterrupt, SIGTERM -> :class:`Terminated` (main thread only; else a no-op).

    The caller catches them, calls :func:`claim_exit`, prints ``STOP_MESSAGE[signum]`` and exits
    with ``EXIT_STATUS[signum]`` (see ``analysis/cli.py``). The process ends with that line and
    status even when the exception gets lost: a second SIGINT/SIGTERM ends it at once, and so
    does a watchdog :data:`FORCED_EXIT_SECONDS` after the first (some C extensions swallow a
    KeyboardInterrupt raised while they import); neither splits a :func:`signals_deferred` block.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    _stopping.clear()
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_stop_signal)
    if not getattr(sys.unraisablehook, "_dasuhe", False):
        sys.unraisablehook = _unraisable(sys.unraisablehook)
        sys.unraisablehook._dasuhe = True


def stop_signal_received() -> int | None:
    """The first SIGINT/SIGTERM received since :func:`install_stop_handlers`, or None."""
    return _stopping[0] if _stopping else None


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Run a block that SIGINT and SIGTERM cannot interrupt; a signal received meanwhile is
    delivered when the block ends. (Only the main thread runs Python signal handlers; elsewhere
    this is a no-op.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    with _critical:
        previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
        for signum in STOP_SIGNALS:
            signal.signal(signum, lambda number, frame: received.append(number))
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
    for signum in received[:1]:
        signal.raise_signal(signum)


# --- dying with the parent ------------------------------------------------------------------------

def _prctl(option: int, value: int) -> bool:
    if not _LINUX:
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(option, value, 0, 0, 0) == 0


def die_with_parent(signum: int = signal.SIGKILL, parent_pid: int | None = None) -> bool:
    """Have the kernel send *signum* to this process when its parent dies (Linux ``PR_SET_PDEATHSIG``).

    Call it first thing in a child. With *parent_pid* (the parent's pid, passed down), a parent that
    died before the call is noticed too: the signal is then sent at once. Returns False where
    the platform has no such call (the child then outlives a killed parent).

    Caveat (Linux): the "parent" is the thread that forked the child; a child forked from a
    thread that ends before the child gets the signal then.
    """
    done = _prctl(_PR_SET_PDEATHSIG, int(signum))
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), signum)
    return done


# --- /proc -------------------------------------------------------------------------------------

def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgrp) of a process from /proc/<pid>/stat, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def _all_pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def live_processes(pgid: int | None = None, ancestor: int | None = None) -> set[int]:
    """Pids of living (not zombie) processes in process group *pgid* or descending from *ancestor*."""
    stats = {pid: stat for pid in _all_pids() if (stat := _proc_stat(pid)) and stat[0] != "Z"}
    found = {pid for pid, (_, _, pgrp) in stats.items() if pgid is not None and pgrp == pgid}
    if ancestor is not None:
        children: dict[int, list[int]] = {}
        for pid, (_, ppid, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        todo = list(children.get(ancestor, []))
        while todo:
            pid = todo.pop()
            if pid not in found:
                found.add(pid)
                todo.extend(children.get(pid, []))
    return found


# --- the supervisor (this file run as a script; group leader of every command we start) ------

class _Stop(Exception):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _reap_all() -> dict[int, int]:
    """Reap every exited child without blocking: {pid: wait status}."""
    reaped = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped[pid] = status


def _end_everything_else(grace: float) -> None:
    """SIGTERM every other process of our group and every descendant; SIGKILL them after *grace*."""
    me = os.getpid()

    def others() -> set[int]:
        return live_processes(pgid=os.getpgid(0), ancestor=me) - {me}

    def send(signum: int) -> None:
        for pid in others():
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    send(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while others() and time.monotonic() < deadline:
        _reap_all()
        time.sleep(0.02)
    for _ in range(50):  # processes forked meanwhile get the same
        if not others():
            break
        send(signal.SIGKILL)
        time.sleep(0.01)
        _reap_all()
    _reap_all()


def _exit_like(status: int) -> None:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        os._exit(128 - code)
    os._exit(code)


def _supervise(argv: list[str]) -> None:
    """``processes.py PARENT_PID GRACE -- CMD...``: run CMD, then end its group and descendants."""
    parent, grace, command = int(argv[0]), float(argv[1]), argv[3:]
    watched = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)

    def on_signal(signum, frame):
        for number in watched:
            signal.signal(number, signal.SIG_IGN)
        raise _Stop(signum)

    for signum in watched:
        signal.signal(signum, on_signal)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of the command become our children
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before we could watch it
        os._exit(128 + signal.SIGTERM)
    child = os.fork()
    if child == 0:
        for signum in watched:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, watched)
        try:
            os.execvp(command[0], command)
        except OSError as exc:
            os.write(2, f"error: cannot run {command[0]}: {exc.strerror}\n".encode())
        os._exit(127)
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, watched)
        while True:
            pid, status = os.waitpid(-1, 0)  # reaps adopted orphans too
            if pid == child:
                break
    except _Stop as stop:
        _end_everything_else(grace)
        os._exit(128 + stop.signum)
    for signum in watched:
        signal.signal(signum, signal.SIG_IGN)
    _end_everything_else(grace)  # what the command left running
    _exit_like(status)


# --- child processes -----------------------------------------------------------------------------

def popen(command: Sequence[str | os.PathLike], *, grace: float = DEFAULT_GRACE_SECONDS, **kwargs):
    """Start *command* (a list, no shell) in a process group of its own that dies with us.

    Returns a :class:`subprocess.Popen` of the supervisor; its ``returncode`` is the command's
    (negative for a signal, as usual). Keyword arguments go to ``Popen`` (``stdout``, ``env``,
    ``cwd``, ``text`` ...); ``stdin`` defaults to ``/dev/null``. End it with :func:`stop`.
    Raises FileNotFoundError when the program is not found. Off Linux: a plain process group.
    """
    import shutil
    import subprocess

    if isinstance(command, (str, bytes)):
        raise TypeError("command must be a list of arguments, not a string")
    command = [os.fspath(part) for part in command]
    env = kwargs.get("env")
    search = (env or os.environ).get("PATH", os.defpath)
    if os.sep not in command[0] and shutil.which(command[0], path=search) is None:
        raise FileNotFoundError(2, "No such file or directory", command[0])
    kwargs = popen_kwargs(kwargs)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    if _LINUX:
        argv = [sys.executable, "-I", "-S", os.path.abspath(__file__), str(os.getpid()), repr(float(grace)), "--",
                *command]
    else:
        argv = command
    return subprocess.Popen(argv, process_group=0, **kwargs)


def stop(process, grace: float = DEFAULT_GRACE_SECONDS) -> int:
    """End a process started by :func:`popen` and its whole group: SIGTERM, then SIGKILL.

    Returns its exit status. Bounded: about ``grace + 0.5`` seconds at most.
    """
    import subprocess

    pgid = process.pid
    if process.poll() is None:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace + 0.5)  # the supervisor waits *grace* for the command, then kills
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(pgid, signal.SIGKILL)  # whatever is still in the group
    except (ProcessLookupError, PermissionError):
        pass
    return process.wait()


def run(command: Sequence[str | os.PathLike], *, input=None, capture_output: bool = False,
        timeout: float | None = None, check: bool = False, grace: float = DEFAULT_GRACE_SECONDS, **kwargs):
    """Like :func:`subprocess.run`, through :func:`popen`: the command and everything it started end
    with it, and with us. On an exception in the parent (KeyboardInterrupt, :class:`Terminated`,
    a timeout) the group is stopped (:func:`stop`) before the exception goes on."""
    import subprocess

    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    if capture_output:
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    process = popen(command, grace=grace, **kwargs)
    args = [os.fspath(part) for part in command]
    try:
        out, err = process.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        stop(process, grace)
        raise subprocess.TimeoutExpired(args, timeout, exc.output, exc.stderr) from None
    except BaseException:
        stop(process, grace)
        raise
    result = subprocess.CompletedProcess(args, process.returncode, out, err)
    if check:
        result.check_returncode()
    return result


def kill_group(process, grace_s: float = DEFAULT_GRACE_SECONDS) -> None:
    """:func:`stop` under the name ``analysis/quarto.py`` calls (SIGTERM the group, SIGKILL after *grace_s*)."""
    stop(process, grace_s)


def run_group(argv: Sequence[str | os.PathLike], timeout: float | None = None, **kwargs) -> int:
    """Run *argv* through :func:`popen` and return its exit status (no output captured).

    On any exception while waiting (KeyboardInterrupt, :class:`Terminated`) or at *timeout*, the
    group is stopped (:func:`stop`) and the exception raised again (TimeoutExpired at the timeout).
    """
    import subprocess

    process = popen(argv, **kwargs)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        raise subprocess.TimeoutExpired([os.fspath(a) for a in argv], timeout) from None
    except BaseException:
        stop(process)
        raise


def popen_kwargs(kwargs: dict) -> dict:
    """Popen keyword arguments without those :func:`popen` sets itself (process group, preexec_fn)."""
    return {k: v for k, v in kwargs.items() if k not in ("process_group", "start_new_session", "preexec_fn")}


# --- process pools -----------------------------------------------------------------------------

def pool_initializer(parent_pid: int, initializer=None, initargs: tuple = ()) -> None:
    """Initializer of a pool worker: dies with the parent (SIGKILL), ignores SIGINT (the terminal's
    Ctrl-C reaches the whole group; the parent handles it), default SIGTERM; then *initializer*.

    ``ProcessPoolExecutor(initializer=pool_initializer, initargs=(os.getpid(),))``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(signal.SIGKILL, parent_pid)
    if initializer is not None:
        initializer(*initargs)


def kill_pool(executor) -> None:
    """Cancel what has not started and kill the workers of a ProcessPoolExecutor now (bounded)."""
    if hasattr(executor, "kill_workers"):  # Python >= 3.14
        executor.shutdown(wait=False, cancel_futures=True)
        executor.kill_workers()
        return
    # No public API before 3.14; taken before shutdown(), which forgets them.
    workers = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        try:
            worker.kill()
        except (OSError, ValueError, AttributeError):
            pass
    for worker in workers:
        try:
            worker.join(timeout=1.0)
        except (OSError, ValueError, AttributeError, AssertionError):
            pass


@contextmanager
def process_pool(max_workers: int | None = None, *, initializer=None, initargs: tuple = (), **kwargs):
    """A ``concurrent.futures.ProcessPoolExecutor`` whose workers use :func:`pool_initializer`.

    Leaving the block normally waits for the work as usual; leaving it by an exception
    (KeyboardInterrupt and :class:`Terminated` included) cancels pending work and kills the
    workers (:func:`kill_pool`) before the exception goes on.
    """
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(max_workers, initializer=pool_initializer,
                                   initargs=(os.getpid(), initializer, tuple(initargs)), **kwargs)
    try:
        yield executor
    except BaseException:
        kill_pool(executor)
        raise
    executor.shutdown(wait=True)


if __name__ == "__main__":
    _supervise(sys.argv[1:])
