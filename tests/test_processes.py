"""Tests of analysis/processes.py with real processes: children and grandchildren die with a parent
killed by SIGKILL, groups end on stop/interrupt/timeout, pool workers die with the parent, and the
stop handlers end a process with one line. Every process carries a marker in its environment;
survivors are found by scanning /proc and killed by pid (tests/faults.py)."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from analysis import paths, processes
from faults import MARKER_VARIABLE, survivors

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux")

SETTLE_SECONDS = 3.0  # how long a killed parent's descendants may take to go

# A command that leaves three grandchildren: one in its process group, one that escaped into a
# session of its own, and one that ignores SIGTERM. It prints "ready" when all three run.
FAMILY = textwrap.dedent("""
    import subprocess, sys, time
    python = sys.executable
    subprocess.Popen([python, "-c", "import time; time.sleep(60)"])
    subprocess.Popen([python, "-c", "import os, time; os.setsid(); time.sleep(60)"])
    subprocess.Popen([python, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
    time.sleep(0.5)
    print("ready", flush=True)
    time.sleep(60)
""")


class Started:
    """A python -c script with a marked environment, its stdout lines queued."""

    def __init__(self, script: str, *args: str):
        self.marker = uuid.uuid4().hex
        env = {**os.environ, MARKER_VARIABLE: self.marker}
        self.process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args], cwd=paths.ROOT, env=env,
                                        text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, process_group=0)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in iter(self.process.stdout.readline, ""):
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.lines.get(timeout=0.1) == text:
                    return
            except queue.Empty:
                if self.process.poll() is not None:
                    break
        raise AssertionError(f"no line {text!r}; status {self.process.poll()}, stderr {self.stderr()!r}")

    def stderr(self) -> str:
        return self.process.stderr.read() if self.process.poll() is not None else ""

    def survivors_after(self, settle: float = SETTLE_SECONDS) -> list[int]:
        """Marked processes still alive once *settle* seconds have passed (or none remain); then kill them."""
        deadline = time.monotonic() + settle
        found = survivors(self.marker)
        while found and time.monotonic() < deadline:
            time.sleep(0.05)
            found = survivors(self.marker)
        for pid in survivors(self.marker):
            os.kill(pid, signal.SIGKILL)
        return found

    def cleanup(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in survivors(self.marker):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def start():
    started: list[Started] = []

    def make(script: str, *args: str) -> Started:
        started.append(Started(script, *args))
        return started[-1]

    yield make
    for each in started:
        each.cleanup()


CHILD = """
    import sys, time
    from analysis.processes import die_with_parent
    if sys.argv[1] == "watch":
        die_with_parent(parent_pid=int(sys.argv[2]))
    print("ready", flush=True)
    time.sleep(60)
"""
PARENT = """
    import os, subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], str(os.getpid())])
    time.sleep(60)
"""


def test_die_with_parent_ends_the_child_of_a_sigkilled_parent(start):
    parent = start(PARENT, textwrap.dedent(CHILD), "watch")
    parent.wait_for("ready")
    os.kill(parent.process.pid, signal.SIGKILL)
    assert parent.survivors_after() == []


def test_without_die_with_parent_the_child_outlives_a_sigkilled_parent(start):
    # The control: the same child without the call survives its parent (so the test above can fail).
    parent = start(PARENT, textwrap.dedent(CHILD), "plain")
    parent.wait_for("ready")
    os.kill(parent.process.pid, signal.SIGKILL)
    assert len(parent.survivors_after(settle=0.5)) == 1


def test_die_with_parent_notices_a_parent_that_is_already_gone():
    # Told a parent pid that is not its parent (it "died" before the call): the signal comes at once.
    done = subprocess.run([sys.executable, "-c", "from analysis.processes import die_with_parent; "
                           "die_with_parent(parent_pid=1); print('survived')"],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (-signal.SIGKILL, "")


def test_popen_ends_every_grandchild_when_the_parent_is_sigkilled(start):
    parent = start("""
        import sys, time
        from analysis import processes
        processes.popen([sys.executable, "-c", sys.argv[1]], stdout=None)
        time.sleep(60)
    """, FAMILY)
    parent.wait_for("ready")
    # supervisor + command + three grandchildren (one in its own session, one ignoring SIGTERM)
    assert len(survivors(parent.marker)) == 1 + 1 + 1 + 3
    os.kill(parent.process.pid, signal.SIGKILL)
    assert parent.survivors_after() == []


def test_stop_ends_the_whole_group_and_the_escaped_within_the_grace(monkeypatch):
    marker = uuid.uuid4().hex
    monkeypatch.setenv(MARKER_VARIABLE, marker)
    child = processes.popen([sys.executable, "-c", FAMILY], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        assert len(survivors(marker)) == 1 + 1 + 3  # supervisor, command, grandchildren
        started = time.monotonic()
        status = processes.stop(child, grace=0.5)
        elapsed = time.monotonic() - started
        assert status == 128 + signal.SIGTERM  # the supervisor ends with 143 when it is stopped
        assert elapsed < 0.5 + 0.5 + 0.5  # grace, then SIGKILL to the one ignoring SIGTERM, some slack
        assert survivors(marker) == []
    finally:
        for pid in survivors(marker):
            os.kill(pid, signal.SIGKILL)


def test_run_gives_the_command_status_and_output():
    done = processes.run([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                         capture_output=True, text=True)
    assert (done.args[1:], done.returncode, done.stdout, done.stderr) == (
        ["-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"], 3, "out\n", "err\n")
    killed = processes.run(["sh", "-c", "kill -TERM $$"])
    assert killed.returncode == -signal.SIGTERM  # the command's own death, as subprocess reports it
    with pytest.raises(FileNotFoundError):
        processes.run(["no-such-program-dasuhe"])
    assert processes.run(["cat"], input="through\n", capture_output=True, text=True).stdout == "through\n"
    assert processes.run(["cat"], capture_output=True, text=True).stdout == ""  # stdin is /dev/null


def test_run_timeout_stops_the_group(monkeypatch):
    marker = uuid.uuid4().hex
    monkeypatch.setenv(MARKER_VARIABLE, marker)
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as info:
        processes.run([sys.executable, "-c", FAMILY], timeout=2.0, grace=0.3)
    assert info.value.cmd == [sys.executable, "-c", FAMILY]
    assert time.monotonic() - started < 2.0 + 0.3 + 1.0
    assert survivors(marker) == []


def test_run_in_an_interrupted_parent_ends_the_group_and_the_parent_says_one_line(start):
    parent = start("""
        import sys
        from analysis import processes
        processes.install_stop_handlers()
        try:
            processes.run([sys.executable, "-c", sys.argv[1]])
        except KeyboardInterrupt:
            print(processes.STOP_MESSAGE[2], file=sys.stderr)
            sys.exit(130)
    """, FAMILY)
    parent.wait_for("ready")
    sent = time.monotonic()
    os.killpg(parent.process.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's foreground group
    assert parent.process.wait(timeout=10) == 130
    assert time.monotonic() - sent < 2.0
    assert parent.stderr() == "error: interrupted\n"
    assert parent.survivors_after() == []


POOL = """
    import sys, time
    from analysis import processes

    def work(seconds):
        time.sleep(seconds)

    if __name__ == "__main__":
        processes.install_stop_handlers()
        try:
            with processes.process_pool(2) as pool:
                futures = [pool.submit(work, 60) for _ in range(4)]
                time.sleep(1.0)
                print("ready", flush=True)
                time.sleep(60)
        except KeyboardInterrupt:
            print(processes.STOP_MESSAGE[2], file=sys.stderr)
            sys.exit(130)
"""


def test_pool_workers_die_with_a_sigkilled_parent(start):
    parent = start(POOL)
    parent.wait_for("ready")
    assert len(survivors(parent.marker)) == 1 + 2  # the parent and two workers
    os.kill(parent.process.pid, signal.SIGKILL)
    assert parent.survivors_after() == []


def test_pool_interrupted_by_ctrl_c_kills_the_workers_without_their_tracebacks(start):
    parent = start(POOL)
    parent.wait_for("ready")
    sent = time.monotonic()
    os.killpg(parent.process.pid, signal.SIGINT)  # the workers get it too, as from a terminal
    assert parent.process.wait(timeout=10) == 130
    assert time.monotonic() - sent < 2.0
    assert parent.stderr() == "error: interrupted\n"  # no KeyboardInterrupt traceback from a worker
    assert parent.survivors_after() == []


def test_signals_deferred_holds_a_signal_until_the_block_ends():
    done = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import os, signal
        from analysis import processes
        processes.install_stop_handlers()
        try:
            with processes.signals_deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                print("the block went on", flush=True)
            print("not reached")
        except processes.Terminated:
            print("terminated after the block")
    """)], cwd=paths.ROOT, capture_output=True, text=True, timeout=30)
    assert done.stdout.splitlines() == ["the block went on", "terminated after the block"]


def test_a_second_signal_during_a_slow_cleanup_ends_at_once_with_one_line(start):
    slow = start("""
        import time
        from analysis import processes
        processes.install_stop_handlers()
        try:
            print("ready", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            print("cleaning", flush=True)
            time.sleep(60)
    """)
    slow.wait_for("ready")
    os.kill(slow.process.pid, signal.SIGINT)
    slow.wait_for("cleaning")
    sent = time.monotonic()
    os.kill(slow.process.pid, signal.SIGTERM)  # any second stop signal
    assert slow.process.wait(timeout=10) == 130  # the status of the first
    assert time.monotonic() - sent < 1.0
    assert slow.stderr() == "error: interrupted\n"


def test_a_swallowed_stop_still_ends_the_process_after_the_watchdog_delay(start):
    swallowing = start("""
        import time
        from analysis import processes
        processes.install_stop_handlers()
        ready = "ready"
        while True:
            try:
                print(ready, flush=True)
                ready = "again"
                while True:
                    time.sleep(0.1)
            except BaseException:
                pass  # as some C extensions do with a KeyboardInterrupt raised inside them
    """)
    swallowing.wait_for("ready")
    sent = time.monotonic()
    os.kill(swallowing.process.pid, signal.SIGTERM)
    assert swallowing.process.wait(timeout=10) == 143, swallowing.stderr()
    elapsed = time.monotonic() - sent
    assert processes.FORCED_EXIT_SECONDS <= elapsed < 2.0  # 1.5 s, then at once
    assert swallowing.stderr() == "error: terminated\n"


def test_live_processes_sees_a_group_and_descendants(start):
    parent = start("""
        import sys, time
        from analysis import processes
        processes.popen([sys.executable, "-c", sys.argv[1]], stdout=None)
        time.sleep(60)
    """, FAMILY)
    parent.wait_for("ready")
    descendants = processes.live_processes(ancestor=parent.process.pid)
    assert descendants == set(survivors(parent.marker)) - {parent.process.pid}
    assert processes.live_processes(pgid=parent.process.pid) == {parent.process.pid}  # the rest is in its own group


def test_run_group_returns_the_status_and_stops_the_group_at_the_timeout(monkeypatch):
    assert processes.run_group([sys.executable, "-c", "raise SystemExit(4)"]) == 4
    marker = uuid.uuid4().hex
    monkeypatch.setenv(MARKER_VARIABLE, marker)
    with pytest.raises(subprocess.TimeoutExpired) as info:
        processes.run_group([sys.executable, "-c", FAMILY], timeout=2.0, stdout=subprocess.DEVNULL)
    assert info.value.cmd == [sys.executable, "-c", FAMILY]
    assert survivors(marker) == []
