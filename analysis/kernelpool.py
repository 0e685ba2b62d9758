"""Jupyter kernels forked from one pre-imported template process.

Why: the offline preview executes every page notebook in a fresh ``python3`` kernel. Each kernel
spends about a second starting Python, ipykernel and the notebooks' first imports (pandas,
matplotlib, analysis.*) — the same work for every page, on a machine where the build is CPU-bound.

How: :class:`ForkServer` starts ``python -m analysis.kernelpool serve`` once. That server sets
``MPLBACKEND`` as a kernel would, imports ipykernel and the *preload* modules (no zmq context,
no thread, no figure), listens on a UNIX socket in a private temporary folder and stays
single-threaded. A kernelspec in the same folder (found through ``JUPYTER_PATH``) launches a tiny
proxy, ``python -m analysis.kernelpool proxy SOCKET -f {connection_file}``, which imports only
the standard library. The proxy sends its working folder, environment, arguments and stdio to the
server; the server forks, and the child becomes the kernel exactly as ``python -m
ipykernel_launcher ARGS`` would run it (new session, dies with the server, the proxy's cwd,
environment and stdio, numpy's global generator reseeded). jupyter_client only sees the proxy: it
forwards SIGINT/SIGTERM/SIGHUP to the kernel's process group and exits with the kernel's exit
status, which the server reports when it reaps the child. If the proxy dies, the server kills
its kernel; stopping the server kills every kernel left.

Limits: Linux only (fork, UNIX sockets, prctl). What the preloaded modules read from the
environment when imported (``MPLBACKEND``, ``MPLCONFIGDIR``, ``DASUHE_DATA_DIR``,
``DASUHE_ARTICLE``, ``PYTHONPATH``, the locale, the hash seed) is the environment at
:meth:`ForkServer.start`, not the kernel's (ipykernel's own two such settings, ``JPY_PARENT_PID``
and ``JPY_INTERRUPT_EVENT``, are re-read in each kernel). A warning raised while importing a
preload module is printed once on the server's stderr, not in a notebook. Processes that use the
kernelspec must be started (or forked) while the server runs, so that they inherit
``JUPYTER_PATH``. Start the server from a thread that outlives it: Linux signals the server when
the thread that started it ends. jupyter_client still waits ~0.3 s for a new kernel to answer
(its IOPub check), idle time rather than CPU.
"""
from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel sets when MPLBACKEND is unset
# What every kernel imports while it starts (the debugger's pydevd alone takes ~0.1 s).
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger")
# What the report's notebooks import in their first cells (index.ipynb, notebooks/*.ipynb).
NOTEBOOK_PRELOAD = ("numpy", "pandas", "matplotlib.pyplot", "analysis.data", "analysis.figures", "analysis.report",
                    "analysis.model", "analysis.parameters", "analysis.scenarios", "analysis.tables", "analysis.style")
SOCKET_NAME = "server.sock"
STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0
_HEADER = struct.Struct("!I")  # payload length, sent with the proxy's stdio descriptors
PR_SET_PDEATHSIG = 1


class ForkServer:
    """Context manager: ``with ForkServer(preload=NOTEBOOK_PRELOAD) as server:`` then
    ``NotebookClient(nb, kernel_name=server.kernel_name, ...)``.

    Every kernel starts from the server's just-imported state; nothing is shared between kernels.
    A server that cannot start (a preload import fails) raises AnalysisError with one line.
    """

    def __init__(self, preload=NOTEBOOK_PRELOAD, startup_timeout_s: float = STARTUP_TIMEOUT_S):
        self.preload = tuple(preload)
        self.startup_timeout_s = startup_timeout_s
        self.folder: str | None = None
        self.process: subprocess.Popen | None = None
        self.kernel_name = ""
        self._saved_jupyter_path: str | None = None

    @property
    def socket_path(self) -> str:
        """The server's UNIX socket (in the private temporary folder)."""
        return os.path.join(self.folder or "", SOCKET_NAME)

    def __enter__(self) -> ForkServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server, wait until it has imported the preload modules, install the kernelspec."""
        import tempfile

        from analysis.errors import AnalysisError
        from analysis.io import write_text

        self.folder = tempfile.mkdtemp(prefix="dasuhe-kernelpool-")
        self.kernel_name = "python3-preloaded-" + os.path.basename(self.folder).rsplit("-", 1)[-1].lower()
        argv = [sys.executable, "-m", "analysis.kernelpool", "serve", self.socket_path, str(os.getpid()), *self.preload]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True)
        ready, _, _ = select.select([self.process.stdout], [], [], self.startup_timeout_s)
        line = self.process.stdout.readline().decode("utf-8", "replace").strip() if ready else None
        if line != "ready":
            if line is not None:  # the server has said why (or died): let it exit by itself
                try:
                    self.process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    pass
            self.stop()
            reason = (f"not ready after {self.startup_timeout_s:g} s" if line is None
                      else line or f"it exited with status {self.process.returncode}")
            raise AnalysisError(f"kernel pool: the fork server did not start: {reason}")
        # nbclient keeps IPython's history in memory only for kernels named python3; so do these
        spec = {"argv": [sys.executable, "-m", "analysis.kernelpool", "proxy", self.socket_path,
                         "-f", "{connection_file}", "--HistoryManager.hist_file=:memory:"],
                "display_name": "Python 3 (ipykernel, pre-imported)", "language": "python",
                "interrupt_mode": "signal", "metadata": {"debugger": True}}
        write_text(os.path.join(self.folder, "kernels", self.kernel_name, "kernel.json"), json.dumps(spec, indent=1))
        self._saved_jupyter_path = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [self.folder, self._saved_jupyter_path]))

    def stop(self) -> None:
        """Stop the server (it kills and reaps its kernels), remove the folder, restore JUPYTER_PATH."""
        import shutil

        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process.stdout.close()
        if self.folder:
            entries = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
            if self.folder in entries:
                kept = os.pathsep.join(entry for entry in entries if entry != self.folder)
                if kept or self._saved_jupyter_path is not None:
                    os.environ["JUPYTER_PATH"] = kept
                else:
                    del os.environ["JUPYTER_PATH"]
            shutil.rmtree(self.folder, ignore_errors=True)


def _die_with_parent(sig: int) -> None:
    """Ask Linux to send *sig* to this process when its parent exits (no-op elsewhere)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (AttributeError, OSError):
        pass


@contextlib.contextmanager
def _stderr_silenced():
    """Send this process's stderr (file descriptor 2) to /dev/null for the duration."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _kill_group(pid: int, sig: int) -> None:
    """Send *sig* to the process group led by *pid* (a kernel), else to *pid*; ignore if gone."""
    for kill in (os.killpg, os.kill):
        try:
            return kill(pid, sig)
        except ProcessLookupError:
            continue
        except PermissionError:
            return None


# --------------------------------------------------------------------------------------------
# server
# --------------------------------------------------------------------------------------------
def serve(socket_path: str, parent_pid: int, preload: list[str]) -> int:
    """The fork server's main loop (``python -m analysis.kernelpool serve SOCKET PARENT_PID MODULE...``)."""
    import importlib
    import importlib.util
    from pathlib import Path

    _die_with_parent(signal.SIGTERM)
    if os.getppid() != parent_pid:
        return 1
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    if sys.path and Path(sys.path[0]) == Path.cwd():  # as ipykernel_launcher: not the folder we started in
        del sys.path[0]
    name = ""
    try:
        with _stderr_silenced():  # a kernel imports these once its output goes to the client: unseen
            for name in KERNEL_MODULES:
                importlib.import_module(name)
        for name in preload:
            importlib.import_module(name)
    except BaseException as exc:  # noqa: BLE001  (reported as one line; the parent falls back)
        print(f"cannot preload {name}: {type(exc).__name__}: {exc}".splitlines()[0], flush=True)
        return 2
    launcher = importlib.util.find_spec("ipykernel_launcher").origin
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    stopping = []
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    print("ready", flush=True)
    devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more for the parent to read
    os.dup2(devnull, 1)
    os.close(devnull)
    kernels: dict[int, socket.socket | None] = {}  # kernel pid -> its proxy's connection (None: proxy gone)
    try:
        while not stopping:
            watched = [listener, wake_r, *filter(None, kernels.values())]
            readable = select.select(watched, [], [])[0]
            if wake_r in readable:  # a signal came (SIGCHLD, or one that stops us)
                while _read_or_empty(wake_r):
                    pass
            _reap(kernels)
            for pid, conn in list(kernels.items()):
                if conn is not None and conn in readable:  # the proxy never writes again: it has gone
                    conn.close()
                    kernels[pid] = None
                    _kill_group(pid, signal.SIGKILL)
            if listener in readable and not stopping:
                conn = listener.accept()[0]
                try:
                    request, fds = _receive(conn)
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    _become_kernel(request, fds, launcher, [listener, conn, *filter(None, kernels.values())],
                                   (wake_r, wake_w))
                for fd in fds:
                    os.close(fd)
                kernels[pid] = conn
                try:
                    conn.sendall(f"pid {pid}\n".encode("ascii"))
                except OSError:  # the proxy has already gone
                    conn.close()
                    kernels[pid] = None
                    _kill_group(pid, signal.SIGKILL)
    finally:
        for pid in kernels:
            _kill_group(pid, signal.SIGKILL)
        for pid, conn in kernels.items():
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            if conn is not None:
                conn.close()
        listener.close()
        os.unlink(socket_path)
    return 0


def _reap(kernels: dict) -> None:
    """Collect every kernel that has exited; tell its proxy the exit status."""
    while kernels:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = kernels.pop(pid, None)
        if conn is not None:
            try:
                conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode("ascii"))
            except OSError:
                pass
            conn.close()


def _read_or_empty(fd: int) -> bytes:
    """Whatever a non-blocking descriptor holds (b"" if nothing)."""
    try:
        return os.read(fd, 512)
    except BlockingIOError:
        return b""


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    """Read one proxy request: (``{"cwd", "env", "argv"}``, its stdin/stdout/stderr descriptors)."""
    conn.settimeout(10)
    header, fds, _, _ = socket.recv_fds(conn, _HEADER.size, 3)
    try:
        if len(header) != _HEADER.size or len(fds) != 3:
            raise ValueError("bad request")
        (size,) = _HEADER.unpack(header)
        payload = b""
        while len(payload) < size:
            chunk = conn.recv(size - len(payload))
            if not chunk:
                raise ValueError("truncated request")
            payload += chunk
        conn.settimeout(None)
        return json.loads(payload), fds
    except (OSError, ValueError):
        for fd in fds:
            os.close(fd)
        raise


def _become_kernel(request: dict, fds: list[int], launcher: str, sockets: list, pipe: tuple[int, int]) -> None:
    """In the forked child: take the proxy's session, cwd, environment and stdio, run the kernel, exit."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        _die_with_parent(signal.SIGKILL)
        for sock in sockets:
            sock.close()
        for fd in pipe:
            os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if "numpy.random" in sys.modules:  # a fresh process seeds numpy's global generator afresh
            sys.modules["numpy.random"].seed()
        sys.argv = [launcher, *request["argv"]]
        from ipykernel import kernelapp

        # two settings ipykernel reads from the environment when imported: read them from ours
        kernelapp.launch_new_instance(parent_handle=int(os.environ.get("JPY_PARENT_PID") or 0),
                                      interrupt=int(os.environ.get("JPY_INTERRUPT_EVENT") or 0))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001  (printed as Python would, then the child exits)
        import traceback

        traceback.print_exc()
    finally:
        import atexit

        atexit._run_exitfuncs()  # what interpreter shutdown would run; never back into the server loop
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


# --------------------------------------------------------------------------------------------
# proxy
# --------------------------------------------------------------------------------------------
def proxy(socket_path: str, kernel_argv: list[str]) -> int:
    """What jupyter_client runs as the kernel: ask the server for a kernel, relay signals, wait for its end."""
    kernel = []  # the kernel's pid once known
    pending: list[int] = []

    def forward(sig, _frame):
        if kernel:
            _kill_group(kernel[0], sig)
        else:
            pending.append(sig)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(socket_path)
    payload = json.dumps({"cwd": os.getcwd(), "env": dict(os.environ), "argv": kernel_argv}).encode("utf-8")
    socket.send_fds(conn, [_HEADER.pack(len(payload))], [0, 1, 2])
    conn.sendall(payload)
    parent = int(os.environ.get("JPY_PARENT_PID") or 0)
    watch_parent = parent if parent == os.getppid() else 0  # as ipykernel's parent poller
    buffer = b""
    while True:
        if not select.select([conn], [], [], 1.0)[0]:
            ppid = os.getppid()
            if (watch_parent and ppid != watch_parent) or (not watch_parent and ppid == 1):
                return 1  # our client has gone: the server kills the kernel when we close
            continue
        chunk = conn.recv(256)
        if not chunk:
            return 1  # the server has gone (and its kernels with it)
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            word, number = line.decode("ascii").split()
            if word == "pid":
                kernel.append(int(number))
                for sig in pending:
                    _kill_group(kernel[0], sig)
            elif word == "exit":
                return int(number) if int(number) >= 0 else 128 - int(number)


def main(argv: list[str] | None = None) -> int:
    """``serve SOCKET PARENT_PID MODULE...`` or ``proxy SOCKET KERNEL_ARGS...``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 3 and argv[0] == "serve":
        return serve(argv[1], int(argv[2]), argv[3:])
    if len(argv) >= 2 and argv[0] == "proxy":
        return proxy(argv[1], argv[2:])
    print("usage: python -m analysis.kernelpool serve SOCKET PARENT_PID MODULE... | proxy SOCKET ARGS...",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
