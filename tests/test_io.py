"""Tests of analysis/io.py: atomic writes and the deterministic CSV text."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import io


def test_frame_to_csv_is_plain_and_deterministic():
    frame = pd.DataFrame({"name": ["a", "b"], "amount_yuan": [1 / 3, 2_400_000.0], "households": [243, 113]},
                         index=[7, 9])
    # no index; floats with 10 significant digits (1/3 -> 0.3333333333; 2,400,000.0 -> 2400000); "\n" line ends
    assert io.frame_to_csv(frame) == "name,amount_yuan,households\na,0.3333333333,243\nb,2400000,113\n"


def test_write_text_leaves_no_file_when_the_write_fails(tmp_path):
    target = tmp_path / "out" / "table.csv"
    io.write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("stop")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.csv"]


# --- atomic_directory: a folder replaced as a set ----------------------------------------------------

import errno  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from analysis import paths  # noqa: E402
from analysis.errors import OutputError  # noqa: E402
from analysis.processes import Terminated  # noqa: E402


def _files(folder) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def _old_set(target) -> None:
    with io.atomic_directory(target) as tmp:
        (tmp / "a.csv").write_text("old a\n", encoding="utf-8")
        (tmp / "b.csv").write_text("old b\n", encoding="utf-8")


MARKER = {io.OUTPUT_MARKER: "Written by `python -m analysis`; replaced as a whole on every run.\n"}


def test_atomic_directory_replaces_the_whole_set(tmp_path):
    target = tmp_path / "tables"
    _old_set(target)
    assert _files(target) == {**MARKER, "a.csv": "old a\n", "b.csv": "old b\n"}
    with io.atomic_directory(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(f".tables.tmp-{os.getpid()}-")
        (tmp / "a.csv").write_text("new a\n", encoding="utf-8")  # b.csv is not part of the new set
    assert _files(target) == {**MARKER, "a.csv": "new a\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]  # no temporary sibling left
    assert oct(target.stat().st_mode & 0o777) == "0o755"


@pytest.mark.parametrize("stop", [RuntimeError("bug"), KeyboardInterrupt(), Terminated()])
def test_atomic_directory_keeps_the_old_set_on_any_exception(tmp_path, stop):
    target = tmp_path / "tables"
    _old_set(target)
    with pytest.raises(type(stop)):
        with io.atomic_directory(target) as tmp:
            (tmp / "a.csv").write_text("half", encoding="utf-8")
            raise stop
    assert _files(target) == {**MARKER, "a.csv": "old a\n", "b.csv": "old b\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]


def test_atomic_directory_without_renameat2_uses_two_renames(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "_exchange", lambda a, b: False)
    target = tmp_path / "tables"
    _old_set(target)
    with io.atomic_directory(target) as tmp:
        (tmp / "c.csv").write_text("new c\n", encoding="utf-8")
    assert _files(target) == {**MARKER, "c.csv": "new c\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]


def test_atomic_directory_can_start_from_the_existing_set(tmp_path):
    target = tmp_path / "figures"
    _old_set(target)
    with io.atomic_directory(target, copy_existing=True) as tmp:
        (tmp / "b.csv").write_text("new b\n", encoding="utf-8")
    assert _files(target) == {**MARKER, "a.csv": "old a\n", "b.csv": "new b\n"}


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_leftovers_of_a_killed_run_are_cleaned_and_an_old_set_put_back(tmp_path):
    target = tmp_path / "tables"
    dead = _dead_pid()
    stale_tmp = tmp_path / f".tables.tmp-{dead}-abc"  # killed while writing
    stale_tmp.mkdir()
    (stale_tmp / "a.csv").write_text("half\n", encoding="utf-8")
    old = tmp_path / f".tables.old-{dead}-def"  # killed between the two renames: tables/ is missing
    old.mkdir()
    (old / "a.csv").write_text("old a\n", encoding="utf-8")
    live = tmp_path / f".tables.tmp-{os.getppid()}-ghi"  # a run still going: not ours to remove
    live.mkdir()
    with io.atomic_directory(target) as tmp:
        assert _files(target) == {"a.csv": "old a\n"}  # the old set is back before anything else
        (tmp / "a.csv").write_text("new a\n", encoding="utf-8")
    assert _files(target) == {**MARKER, "a.csv": "new a\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "tables"]


def test_atomic_directory_refuses_dangerous_targets(tmp_path):
    with pytest.raises(OutputError) as info:
        with io.atomic_directory(paths.DATA_DIR / "figs"):
            pass
    assert str(info.value) == f"{paths.DATA_DIR / 'figs'}: is inside the data package ({paths.DATA_DIR.resolve()}); choose a folder outside it"
    with pytest.raises(OutputError) as info:
        with io.atomic_directory(paths.ROOT, option="--out"):
            pass
    root = paths.ROOT.resolve()
    assert str(info.value) == f"--out {paths.ROOT}: holds the project ({root}) and would be replaced as a whole; choose a folder of its own"


def test_a_write_that_fails_for_lack_of_space_is_one_line_and_keeps_the_old_set(tmp_path):
    target = tmp_path / "tables"
    _old_set(target)
    with pytest.raises(OutputError) as info:
        with io.atomic_directory(target, option="--out") as tmp:
            (tmp / "a.csv").write_text("new", encoding="utf-8")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # what write() raises on a full disk
    assert str(info.value) == f"--out {target}: cannot write: No space left on device"
    assert _files(target) == {**MARKER, "a.csv": "old a\n", "b.csv": "old b\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]


def test_a_read_error_elsewhere_is_not_taken_for_an_output_error(tmp_path):
    with pytest.raises(PermissionError):
        with io.atomic_directory(tmp_path / "tables"):
            raise PermissionError(errno.EACCES, "Permission denied", "/some/input.csv")


# --- check_output_dir --------------------------------------------------------------------------------

def test_check_output_dir_accepts_new_empty_and_own_folders(tmp_path):
    assert io.check_output_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    (tmp_path / "empty").mkdir()
    assert io.check_output_dir(tmp_path / "empty") == tmp_path / "empty"
    _old_set(tmp_path / "ours")
    assert io.check_output_dir(tmp_path / "ours") == tmp_path / "ours"
    (tmp_path / "link").symlink_to(tmp_path / "ours")
    assert io.check_output_dir(tmp_path / "link") == tmp_path / "ours"  # resolved
    assert io.check_output_dir(paths.TABLES_DIR) == paths.TABLES_DIR.resolve()  # written before markers existed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "link", "ours"]  # nothing created


def test_check_output_dir_refuses_each_bad_location_in_one_line(tmp_path):
    afile = tmp_path / "facts.csv"
    afile.write_text("x\n", encoding="utf-8")
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine\n", encoding="utf-8")
    data_dir = paths.DATA_DIR.resolve()
    root = paths.ROOT.resolve()
    cases = {
        afile: "is a file, not a folder",
        afile / "sub": f"{afile} is a file, not a folder",
        "/dev/full": "is not a folder",
        paths.DATA_DIR: f"is inside the data package ({data_dir}); choose a folder outside it",
        paths.DATA_DIR / "figs": f"is inside the data package ({data_dir}); choose a folder outside it",
        paths.ROOT: f"holds the project ({root}) and would be replaced as a whole; choose a folder of its own",
        paths.ROOT.parent: f"holds the project ({root}) and would be replaced as a whole; choose a folder of its own",
        foreign: (f"is a folder this project did not write (no {io.OUTPUT_MARKER} in it) and would be replaced as a "
                  "whole; choose a new or empty folder"),
    }
    for path, rule in cases.items():
        with pytest.raises(OutputError) as info:
            io.check_output_dir(path, option="--out")
        assert str(info.value) == f"--out {path}: {rule}"
    assert (foreign / "thesis.tex").read_text(encoding="utf-8") == "mine\n"


def test_an_output_folder_records_its_command_and_refuses_another(tmp_path):
    from analysis import paths

    target = tmp_path / "out"
    with io.atomic_directory(target, kind="tables") as tmp:
        (tmp / "facts.csv").write_text("a\n", encoding="utf-8")
    assert (target / io.OUTPUT_MARKER).read_text(encoding="utf-8") == (
        "Written by `python -m analysis tables`; replaced as a whole on every run.\n")
    assert io.check_output_dir(target, "--out", kind="tables") == target.resolve()
    with pytest.raises(OutputError) as info:
        io.check_output_dir(target, "--out", kind="figures")
    assert str(info.value) == (f"--out {target}: holds the output of `python -m analysis tables` (its "
                               f"{io.OUTPUT_MARKER} says so); choose another folder")
    with pytest.raises(OutputError) as info:  # the project's own folders, by name, even without a marker
        io.check_output_dir(paths.TABLES_DIR, "--out", kind="figures")
    assert str(info.value) == f"--out {paths.TABLES_DIR}: is the output folder of `python -m analysis tables`; choose another folder"
    for inside, rule in [(paths.FIGURES_DIR / "sub", f"is inside the output folder of `python -m analysis figures` "
                                                     f"({paths.FIGURES_DIR}), which is replaced as a whole; choose a "
                                                     "folder outside it"),
                         (paths.ROOT / ".git" / "x", f"is inside the git repository ({paths.ROOT / '.git'}); choose a "
                                                     "folder outside it")]:
        with pytest.raises(OutputError) as info:
            io.check_output_dir(inside, "--out", kind="tables")
        assert str(info.value) == f"--out {inside}: {rule}"


def test_check_output_dir_protects_the_data_package_it_is_told(tmp_path):
    other_data = tmp_path / "mydata"
    other_data.mkdir()
    with pytest.raises(OutputError) as info:
        io.check_output_dir(other_data / "out", option="--figures-dir", data_dir=other_data)
    assert str(info.value) == f"--figures-dir {other_data / 'out'}: is inside the data package ({other_data}); choose a folder outside it"


def test_check_output_dir_refuses_a_full_disk(tmp_path, monkeypatch):
    class Full:
        f_bavail = 0

    monkeypatch.setattr(io.os, "statvfs", lambda path: Full())
    with pytest.raises(OutputError) as info:
        io.check_output_dir(tmp_path / "tables")
    assert str(info.value) == f"--out {tmp_path / 'tables'}: no space left on device ({tmp_path})"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders (the CLI test mounts a read-only file system)")
def test_check_output_dir_refuses_a_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(OutputError) as info:
            io.check_output_dir(locked / "tables")
        assert str(info.value) == f"--out {locked / 'tables'}: cannot write in {locked}: Permission denied"
    finally:
        locked.chmod(0o755)
