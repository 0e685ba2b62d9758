"""``python -m analysis COMMAND ...``: the command line analysts script against.

Each command lives in the module that owns its work; this file only routes.
A command module provides ``configure_<name>(parser)`` and ``run_<name>(args)``
(returning an exit status). Modules are imported only when their command runs,
so ``validate`` does not pay for matplotlib.

Every :class:`~analysis.errors.AnalysisError` (and every argument error) is
printed as one line on stderr with exit status 2; no traceback. So is an operating-system
error (a file that cannot be read or written; standard output on a full device:
``error: cannot write to standard output: No space left on device``). Ctrl-C ends with
``error: interrupted`` and status 130, SIGTERM with ``error: terminated`` and status 143
(``analysis/__main__.py`` installs the handlers of :mod:`analysis.processes`).
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from analysis.errors import AnalysisError, ParameterError
from analysis.processes import EXIT_STATUS, STOP_MESSAGE, Terminated, claim_exit, stop_signal_received

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("analysis.validation", "validate the whole data package"),
    "scenario": ("analysis.scenarios", "one season of the Tianfu contract under a preset and overrides"),
    "sensitivity": ("analysis.scenarios", "one-at-a-time sensitivity over each assumption's low-high"),
    "montecarlo": ("analysis.scenarios", "seeded Monte Carlo over the assumptions' distributions"),
    "figures": ("analysis.figures", "export figures (PNG/SVG/PDF, English or Chinese)"),
    "tables": ("analysis.tables", "write the publication tables (HTML and CSV)"),
    "site": ("analysis.site", "build the site with Quarto: both editions, HTML and PDF, into _site/"),
}


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit status 2."""

    def error(self, message: str):  # noqa: D102 - argparse API
        raise ParameterError(f"{self.prog}: {message}")


def _top_parser() -> argparse.ArgumentParser:
    lines = [f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items()]
    return OneLineParser(
        prog="python -m analysis",
        description="Dasuhe case study report tools.",
        epilog="commands:\n" + "\n".join(lines) + "\n\nRun 'python -m analysis COMMAND --help' for its options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _say(line: str) -> None:
    """One line on stderr (quietly nothing when stderr itself cannot be written)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


class _StdoutError(Exception):
    """Standard output could not be written (a full device, an I/O error)."""


class _GuardedStdout:
    """sys.stdout, with its write errors told apart from every other OSError (a closed pipe stays BrokenPipeError)."""

    def __init__(self, stream):
        self._stream = stream

    def _guard(self, method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _StdoutError(exc.strerror or str(exc)) from exc

    def write(self, text):
        return self._guard(self._stream.write, text)

    def flush(self):
        return self._guard(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _run(argv: list[str]) -> int:
    if not argv:
        raise ParameterError(f"no command given: choose one of {', '.join(COMMANDS)} (python -m analysis --help)")
    if argv[0] in {"-h", "--help"}:
        _top_parser().print_help()
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        raise ParameterError(
            f"unknown command {name!r}: choose one of {', '.join(COMMANDS)}"
        )
    module = importlib.import_module(COMMANDS[name][0])
    parser = OneLineParser(prog=f"python -m analysis {name}", description=COMMANDS[name][1])
    getattr(module, f"configure_{name}")(parser)
    args = parser.parse_args(rest)
    status = int(getattr(module, f"run_{name}")(args) or 0)
    sys.stdout.flush()  # a full device or a closed pipe shows here, inside the error handling
    return status


def _open_closed_streams() -> bool:
    """Give a closed standard output or error (``>&-``, ``2>&-``: Python then sets sys.stdout or
    sys.stderr to None) /dev/null, so that no file the command opens later takes its descriptor
    and no write fails; return whether standard output was closed."""
    closed_stdout = False
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:  # the descriptor is free: put /dev/null there
            devnull = os.open(os.devnull, os.O_WRONLY)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
        setattr(sys, name, open(fd, "w", encoding="utf-8", errors="backslashreplace", closefd=False))
        closed_stdout = closed_stdout or fd == 1
    return closed_stdout


STDOUT_CLOSED = ("error: standard output is closed: the command would show nothing "
                 "(send it to /dev/null to discard it)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _open_closed_streams():  # refused before any work, rather than failing after it
        _say(STDOUT_CLOSED)
        return 2
    stdout, sys.stdout = sys.stdout, _GuardedStdout(sys.stdout)
    try:
        status, line = _outcome(argv)
    finally:
        sys.stdout = stdout
    received = stop_signal_received()
    if received is not None:  # stopped: that is the one line, whatever the command did after
        if not claim_exit():  # the stop watchdog is writing it and ending the process
            threading.Event().wait()
        status, line = EXIT_STATUS[received], STOP_MESSAGE[received]
    if line:
        _say(line)
    return status


def _outcome(argv: list[str]) -> tuple[int, str | None]:
    """(exit status, the one line for stderr or None) of a command."""
    try:
        return _run(argv), None
    except _StdoutError as exc:
        _silence_stdout()
        return 2, f"error: cannot write to standard output: {exc}"
    except AnalysisError as exc:
        return exc.exit_status, f"error: {exc}"
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        _silence_stdout()
        return 0, None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return 2, f"error: {where}{exc.strerror or exc}"
    except KeyboardInterrupt:
        return EXIT_STATUS[signal.SIGINT], STOP_MESSAGE[signal.SIGINT]
    except Terminated as exc:
        return EXIT_STATUS[exc.signum], STOP_MESSAGE[exc.signum]
    except BaseException:
        if stop_signal_received() is not None:  # the stop turned into another exception on its way up
            return 0, None
        raise
