"""Writing outputs: atomic files, atomic sets of files, and the checks of an output folder.

- :func:`atomic_path` / :func:`write_bytes` / :func:`write_text`: one file, never half-written.
- :func:`atomic_directory`: a whole folder (``tables/``, ``figures/``, ``_site/``) replaced as a
  set: written into a temporary sibling, swapped in on success; an exception (Ctrl-C and
  SIGTERM included, once the command line turned SIGTERM into an exception) leaves the previous
  complete set.
- :func:`check_output_dir`: refuse, in one line naming the option, an output location that is a
  file, read-only, full, inside the data package, or a folder this project did not write (it
  would be replaced as a whole).

Every folder written by :func:`atomic_directory` holds a marker file :data:`OUTPUT_MARKER`, so a
later run knows it may replace it.
"""
from __future__ import annotations

import ctypes
import errno
import glob
import os
import re
import shutil
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from analysis import paths
from analysis.errors import OutputError
from analysis.processes import signals_deferred


def _token() -> str:
    return uuid.uuid4().hex[:10]


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to *target*; move it into place on success.

    On any exception (Ctrl-C included) the temporary file is removed and *target* is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = None
    try:
        while True:  # named before it exists, so an interrupt at any point leaves nothing behind
            tmp_path = target.parent / f".{target.name}.{_token()}{target.suffix}"
            try:
                os.close(os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                break
            except FileExistsError:
                continue
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path is not None and tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: Path | str, data: bytes) -> Path:
    """Write *data* to *target* atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: Path | str, text: str) -> Path:
    """Write UTF-8 *text* (``\\n`` line endings) to *target* atomically."""
    return write_bytes(target, text.encode("utf-8"))


CSV_FLOAT_FORMAT = "%.10g"


def frame_to_csv(frame) -> str:
    """Deterministic CSV text of a pandas DataFrame: no index, ``%.10g`` floats, ``\\n`` line ends.

    Every CSV the project writes (figure data, tables) goes through here, so they read alike.
    """
    return frame.to_csv(index=False, float_format=CSV_FLOAT_FORMAT, lineterminator="\n")


# --- output folders ----------------------------------------------------------------------------

OUTPUT_MARKER = ".dasuhe-output"  # in every folder atomic_directory wrote
_MARKER_TEXT = "Written by `python -m analysis`; replaced as a whole on every run.\n"
_MARKER_KIND = re.compile(r"^Written by `python -m analysis (\w+)`")
# The project's own output folders, by the command that writes them: replaceable even if written
# before the marker existed, and never another command's output.
_KNOWN_OUTPUT_DIRS = {paths.TABLES_DIR: "tables", paths.FIGURES_DIR: "figures", paths.SITE_DIR: "site"}


def _marker_text(kind: str | None) -> str:
    """The marker's text: it names the command that wrote the folder (*kind*), when one is given."""
    if kind is None:
        return _MARKER_TEXT
    return f"Written by `python -m analysis {kind}`; replaced as a whole on every run.\n"


def _owner(folder: Path) -> str | None:
    """The command whose output *folder* holds, as its marker says; None without a marker or a name."""
    try:
        found = _MARKER_KIND.match((folder / OUTPUT_MARKER).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return found.group(1) if found else None
_TMP_TAG, _OLD_TAG = "tmp", "old"  # temporary siblings: .<name>.tmp-<pid>-<random>, .<name>.old-<pid>-<random>


def _resolved(path: Path | str) -> Path:
    return Path(os.path.abspath(os.fspath(path))).resolve()


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _location_problem(target: Path, data_dir: Path | None, kind: str | None = None) -> str | None:
    """The rule a (resolved) output folder breaks wherever it is, or None. Nothing is written.
    *kind* is the command writing it (``tables``, ``figures``, ``site``): another command's output
    folder, or a folder inside one, is refused."""
    data = _resolved(data_dir if data_dir is not None else paths.DATA_DIR)
    root = _resolved(paths.ROOT)
    if target.exists() and not target.is_dir():
        return "is a file, not a folder" if target.is_file() else "is not a folder"
    if _is_within(target, data):
        return f"is inside the data package ({data}); choose a folder outside it"
    if _is_within(root, target):
        return f"holds the project ({root}) and would be replaced as a whole; choose a folder of its own"
    if _is_within(data, target):
        return f"holds the data package ({data}) and would be replaced as a whole; choose a folder of its own"
    if _is_within(target, root / ".git"):
        return f"is inside the git repository ({root / '.git'}); choose a folder outside it"
    if kind is None:
        return None
    for known, known_kind in _KNOWN_OUTPUT_DIRS.items():
        known = _resolved(known)
        if target == known and known_kind != kind:
            return f"is the output folder of `python -m analysis {known_kind}`; choose another folder"
        if target != known and _is_within(target, known):
            return (f"is inside the output folder of `python -m analysis {known_kind}` ({known}), which is replaced "
                    "as a whole; choose a folder outside it")
    owner = _owner(target)
    if owner is not None and owner != kind:
        return (f"holds the output of `python -m analysis {owner}` (its {OUTPUT_MARKER} says so); "
                "choose another folder")
    return None


def _is_ours(folder: Path) -> bool:
    """True for a missing or empty folder, one with the marker, or one of the project's output folders."""
    if not folder.is_dir() or (folder / OUTPUT_MARKER).is_file():
        return True
    if any(folder == _resolved(known) for known in _KNOWN_OUTPUT_DIRS):  # (its kind: _location_problem)
        return True
    return next(folder.iterdir(), None) is None


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe_writable(folder: Path) -> str | None:
    """Create and remove a temporary folder in *folder*: the strerror when that fails, else None."""
    probe = folder / f".dasuhe-probe-{os.getpid()}-{_token()}"
    try:
        os.mkdir(probe, 0o700)
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        if probe.exists():
            os.rmdir(probe)
    return None


def check_output_dir(path: Path | str, option: str = "--out", *, data_dir: Path | str | None = None,
                     kind: str | None = None) -> Path:
    """Check an output folder before anything is computed; return it resolved (symbolic links followed).

    Raises :class:`~analysis.errors.OutputError` with one line ``<option> <path>: <rule>``:

    - ``is a file, not a folder`` (or ``is not a folder`` for a device such as ``/dev/full``)
    - ``is inside the data package (<data>); choose a folder outside it``
    - ``holds the data package (<data>) and would be replaced as a whole; choose a folder of its own``
      (and ``holds the project (<root>) ...`` for the project folder or above)
    - ``is a folder this project did not write (no .dasuhe-output in it) and would be replaced as a
      whole; choose a new or empty folder``
    - ``<ancestor> is a file, not a folder`` (a parent of the path is a file)
    - ``cannot write in <folder>: <reason>`` (read-only file system, permission denied, ...)
    - ``no space left on device (<folder>)``

    *data_dir* is the data package the command reads (default ``paths.DATA_DIR``).
    """
    label = f"{option} {path}" if option else str(path)
    try:
        target = _resolved(path)
    except (OSError, ValueError) as exc:
        raise OutputError(f"{label}: not a usable path ({exc})") from None
    problem = _location_problem(target, Path(data_dir) if data_dir is not None else None, kind)
    if problem is None and not _is_ours(target):
        problem = (f"is a folder this project did not write (no {OUTPUT_MARKER} in it) and would be replaced "
                   "as a whole; choose a new or empty folder")
    if problem:
        raise OutputError(f"{label}: {problem}")
    parent = _nearest_existing(target.parent)
    if not parent.is_dir():
        raise OutputError(f"{label}: {parent} is a file, not a folder")
    for folder in (parent, target) if target.is_dir() else (parent,):
        reason = _probe_writable(folder)
        if reason:
            raise OutputError(f"{label}: cannot write in {folder}: {reason}")
    try:
        full = os.statvfs(parent).f_bavail == 0
    except OSError:
        full = False
    if full:
        raise OutputError(f"{label}: no space left on device ({parent})")
    return target


def check_output_file(path: Path | str, option: str, *, data_dir: Path | str | None = None) -> Path:
    """Check an output file (``--contact-sheet PATH.pdf``) before anything is computed; return it
    resolved. OutputError ``<option> <path>: <rule>``: ``names a folder (it ends with /)``, ``is
    a folder, not a file``, ``is inside the data package (<data>); choose a file outside it``,
    ``<ancestor> is a file, not a folder``, ``cannot write in <folder>: <reason>``."""
    label = f"{option} {path}"
    if str(path).endswith(("/", os.sep)):
        raise OutputError(f"{label}: names a folder (it ends with /); give a file name")
    try:
        target = _resolved(path)
    except (OSError, ValueError) as exc:
        raise OutputError(f"{label}: not a usable path ({exc})") from None
    if target.is_dir():
        raise OutputError(f"{label}: is a folder, not a file")
    data = _resolved(data_dir if data_dir is not None else paths.DATA_DIR)
    if _is_within(target, data):
        raise OutputError(f"{label}: is inside the data package ({data}); choose a file outside it")
    parent = _nearest_existing(target.parent)
    if not parent.is_dir():
        raise OutputError(f"{label}: {parent} is a file, not a folder")
    reason = _probe_writable(parent)
    if reason:
        raise OutputError(f"{label}: cannot write in {parent}: {reason}")
    return target


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover_stale_siblings(target: Path) -> None:
    """Remove temporary siblings left by a killed run; put back an old set a kill left outside."""
    for sibling in sorted(target.parent.glob(f".{glob.escape(target.name)}.*-*-*")):
        tag, _, rest = sibling.name[len(target.name) + 2:].partition("-")
        pid = rest.partition("-")[0]
        if tag not in (_TMP_TAG, _OLD_TAG) or not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        if tag == _OLD_TAG and not target.exists():
            os.rename(sibling, target)  # killed between the two renames: the old complete set goes back
        else:
            shutil.rmtree(sibling, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Put the complete set *tmp* at *target*; the old set (if any) is removed after."""
    old = None
    with signals_deferred():  # Ctrl-C or SIGTERM between the renames waits until both are done
        if not target.exists():
            os.rename(tmp, target)
        elif _exchange(tmp, target):
            old = tmp  # now holds the old set
        else:
            old = target.parent / f".{target.name}.{_OLD_TAG}-{os.getpid()}-{_token()}"
            os.rename(target, old)
            os.rename(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _is_write_failure(exc: OSError, tmp: Path) -> bool:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG):
        return True
    return exc.filename is None or str(exc.filename).startswith(str(tmp))


@contextmanager
def atomic_directory(target: Path | str, *, option: str | None = None, copy_existing: bool = False,
                     data_dir: Path | str | None = None, kind: str | None = None) -> Iterator[Path]:
    """Yield a new temporary folder beside *target*; on success it replaces *target* as a whole.

    Write every file of the set into the yielded folder. When the block ends normally the marker
    :data:`OUTPUT_MARKER` is added and the folder is swapped into place (one atomic
    ``renameat2(RENAME_EXCHANGE)`` on Linux, else two renames with Ctrl-C/SIGTERM deferred between
    them); the old set is removed after. On any exception (``KeyboardInterrupt`` and
    :class:`analysis.processes.Terminated` included) the temporary folder is removed and *target*
    keeps its previous complete set. Temporary siblings left by a run that was killed (SIGKILL) are
    removed the next time, and an old set a kill left outside is put back.

    *copy_existing*: start from a copy of the current set (for commands that update part of it).
    *kind*: the command writing the set (``tables``, ``figures``, ``site``), recorded in the marker;
    a folder holding another command's output is refused.
    *option* (e.g. ``"--out"``) names the option in errors: a write that fails for lack of space or
    permission raises :class:`~analysis.errors.OutputError` ``<option> <target>: cannot write: <reason>``.
    Refuses (OutputError) a *target* that is a file, holds the project or the data package, or lies
    inside the data package (*data_dir*, default ``paths.DATA_DIR``).
    """
    label = f"{option} {target}" if option else str(target)
    final = _resolved(target)
    problem = _location_problem(final, Path(data_dir) if data_dir is not None else None, kind)
    if problem:
        raise OutputError(f"{label}: {problem}")
    tmp = None
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        _recover_stale_siblings(final)
        while True:  # named before it exists, so an interrupt at any point leaves nothing behind
            tmp = final.parent / f".{final.name}.{_TMP_TAG}-{os.getpid()}-{_token()}"
            try:
                os.mkdir(tmp, 0o700)
                break
            except FileExistsError:
                continue
        if copy_existing and final.is_dir():
            shutil.copytree(final, tmp, symlinks=True, dirs_exist_ok=True)
        yield tmp
        (tmp / OUTPUT_MARKER).write_text(_marker_text(kind), encoding="utf-8")
        os.chmod(tmp, 0o755)
        _swap_into_place(tmp, final)
    except OSError as exc:
        if tmp is None or not tmp.exists() or _is_write_failure(exc, tmp):
            raise OutputError(f"{label}: cannot write: {exc.strerror or exc}") from exc
        raise
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
