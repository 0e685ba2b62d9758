"""Quarto, the one renderer of the site: where it comes from and how it is run.

:func:`find_quarto` looks, in this order, for

1. ``quarto`` on PATH;
2. the Quarto of the project's kit, ``.cache/quarto/bin/quarto``, installed there from
   ``../shared/quarto-kit`` (``install.sh``) when the kit is beside the checkout;
3. ``quarto`` in the virtual environment, after one ``pip install quarto-cli==QUARTO_VERSION``
   (the PyPI package downloads Quarto from GitHub while it builds, so this only works where
   GitHub is reachable; a failure is remembered in ``.cache/`` and not retried);

and otherwise raises one line saying how to get Quarto (exit status 2 at the command line).

:func:`run` runs a Quarto command in a process group of its own that dies with the build: on an
interrupt, a termination or any error of the build the whole group is killed, and the child is
asked to die with its parent even when the parent is killed outright (``PR_SET_PDEATHSIG``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from analysis import paths, processes
from analysis.errors import AnalysisError

QUARTO_VERSION = "1.7.34"  # the version the tests render with and the publish workflow installs
PIP_ATTEMPT_STAMP = "quarto-cli-attempt.json"
INSTALL_TIMEOUT_S = 600


def _version(quarto: str) -> str:
    try:
        result = subprocess.run([quarto, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def kit_quarto() -> Path:
    """Where the kit's Quarto is (or would be) installed: ``.cache/quarto/bin/quarto``."""
    return paths.QUARTO_DIR / "bin" / "quarto"


def install_kit(log=print) -> Path | None:
    """Install Quarto from ``../shared/quarto-kit`` into ``.cache/quarto`` (quick when current);
    the path of its ``quarto``, or None when there is no kit. A failed install is an AnalysisError
    naming the log file."""
    installer = paths.QUARTO_KIT / "install.sh"
    if not installer.is_file():
        return None
    target = kit_quarto()
    if target.is_file() and os.access(target, os.X_OK):
        return target
    log(f"site: installing Quarto {QUARTO_VERSION} from {paths.QUARTO_KIT} into {paths.QUARTO_DIR} (once)")
    paths.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    logfile = paths.CACHE_DIR / "quarto-kit-install.log"
    with logfile.open("w", encoding="utf-8") as out:
        status = processes.run_group([str(installer), str(paths.QUARTO_DIR)], stdout=out,
                                     stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT_S)
    if status != 0 or not target.is_file():
        raise AnalysisError(f"installing Quarto from {installer} failed (exit status {status}); see {logfile}")
    return target


def venv_bin() -> Path:
    """The folder of the project's Python: where ``pip install quarto-cli`` puts ``quarto``."""
    return Path(sys.executable).parent


def _pip_quarto(log=print) -> Path | None:
    """``quarto`` of the virtual environment, after one attempt at ``pip install quarto-cli``."""
    candidate = venv_bin() / "quarto"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    stamp = paths.CACHE_DIR / PIP_ATTEMPT_STAMP
    if stamp.is_file():
        return None
    log(f"site: trying `pip install quarto-cli=={QUARTO_VERSION}` once (the outcome is remembered in {stamp})")
    started = time.monotonic()
    try:
        result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"quarto-cli=={QUARTO_VERSION}"],
                                capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        outcome = "ok" if result.returncode == 0 else f"pip exit status {result.returncode}"
        lines = [line for line in result.stderr.splitlines() if line.strip() and "is ignored" not in line]
        detail = lines[-1].strip() if lines else ""
    except (OSError, subprocess.TimeoutExpired) as exc:
        outcome, detail = type(exc).__name__, str(exc).splitlines()[0]
    paths.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"outcome": outcome, "detail": detail,
                                 "seconds": round(time.monotonic() - started, 1)}) + "\n", encoding="utf-8")
    return candidate if candidate.is_file() else None


def find_quarto(install: bool = True, log=print) -> str:
    """The ``quarto`` command to render with (see the module docstring); AnalysisError when none."""
    found = shutil.which("quarto")
    if found:
        return found
    if kit_quarto().is_file():
        return str(kit_quarto())
    if install:
        for source in (install_kit, _pip_quarto):
            got = source(log)
            if got is not None:
                return str(got)
    raise AnalysisError(
        f"quarto not found: put Quarto {QUARTO_VERSION} on PATH (https://quarto.org/docs/download/), "
        f"or place the quarto kit at {paths.QUARTO_KIT}, or allow `pip install quarto-cli=={QUARTO_VERSION}`")


def version(quarto: str) -> str:
    """What ``quarto --version`` prints (empty when it cannot run)."""
    return _version(quarto)


_WARNING = re.compile(r"^\s*(\x1b\[[0-9;]*m)*\s*(WARN(ING)?\b|\[WARNING\]|warning:)", re.IGNORECASE)


def warnings_in(log: str) -> list[str]:
    """The warning lines of a Quarto log (Quarto's ``WARN``, Pandoc's ``[WARNING]``, Typst's ``warning:``)."""
    return [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in log.splitlines() if _WARNING.search(line)]


def run(quarto: str, args: list[str], cwd: Path, env: dict[str, str], logfile: Path) -> str:
    """Run ``quarto ARGS`` in *cwd* with *env*, output into *logfile*; return the log's text.

    A non-zero exit is an AnalysisError naming the log and quoting its last error line.
    """
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with logfile.open("w", encoding="utf-8") as out:
        status = processes.run_group([quarto, *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    text = logfile.read_text(encoding="utf-8", errors="replace")
    if status != 0:
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in text.splitlines() if line.strip()]
        errors = [line for line in lines if re.search(r"error|failed|not found", line, re.IGNORECASE)]
        last = (errors or lines or ["no output"])[-1]
        raise AnalysisError(f"quarto {' '.join(args)} exited with status {status}: {last} (log: {logfile})")
    return text
