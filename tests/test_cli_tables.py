"""``python -m analysis tables`` through a subprocess: output locations refused in one line (a file,
inside data/, the project, a foreign folder, read-only, full), the whole package validated before
anything is written, and tables/ replaced as a set.

The read-only and full-disk cases mount a small tmpfs in a private mount namespace (``unshare -m``,
as root; CI runs as root); without root they use a folder without write permission, or skip.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import io, paths
from faults import hash_tree, in_tmpfs, leftovers, private_mounts

ROOT = paths.ROOT
RULE_INSIDE = "is inside the data package ({}); choose a folder outside it"


def tables(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "tables", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, **kwargs)



PYTHON_TABLES = f"{shlex.quote(sys.executable)} -m analysis tables"


def test_out_is_a_file(tmp_path):
    target = tmp_path / "facts.csv"
    target.write_text("mine\n", encoding="utf-8")
    done = tables("--out", str(target))
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [f"error: --out {target}: is a file, not a folder"])
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_out_inside_the_data_package_writes_nothing_there():
    before = sorted(p.name for p in paths.DATA_DIR.iterdir())
    done = tables("--out", "data/figs")
    data_dir = paths.DATA_DIR.resolve()
    assert (done.returncode, done.stderr.splitlines()) == (2, [f"error: --out data/figs: {RULE_INSIDE.format(data_dir)}"])
    assert sorted(p.name for p in paths.DATA_DIR.iterdir()) == before


@pytest.mark.parametrize("out", [".", ".."])
def test_out_holding_the_project_is_refused(out):
    done = tables("--out", out)
    root = ROOT.resolve()
    assert (done.returncode, done.stderr.splitlines()) == (
        2, [f"error: --out {out}: holds the project ({root}) and would be replaced as a whole; choose a folder of its own"])


def test_out_a_folder_of_someone_else_is_left_alone(tmp_path):
    (tmp_path / "thesis.tex").write_text("mine\n", encoding="utf-8")
    done = tables("--out", str(tmp_path))
    assert (done.returncode, done.stderr.splitlines()) == (2, [
        f"error: --out {tmp_path}: is a folder this project did not write (no .dasuhe-output in it) and would be "
        "replaced as a whole; choose a new or empty folder"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.tex"]


def test_out_holding_another_commands_output_is_refused(tmp_path):
    figures_out = tmp_path / "figs"
    made = subprocess.run([sys.executable, "-m", "analysis", "figures", "--out", str(figures_out), "--only", "tornado",
                           "--size", "web", "--lang", "en", "--format", "png"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    before = sorted(p.name for p in figures_out.rglob("*"))
    done = tables("--out", str(figures_out))
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [
        f"error: --out {figures_out}: holds the output of `python -m analysis figures` (its .dasuhe-output says so); "
        "choose another folder"])
    assert sorted(p.name for p in figures_out.rglob("*")) == before


def test_out_read_only(tmp_path):
    mount = tmp_path / "ro"
    if private_mounts():
        done = in_tmpfs(mount, "ro", f"{PYTHON_TABLES} --out {mount}/tables")
        reason = "Read-only file system"
    elif os.geteuid() != 0:
        mount.mkdir()
        mount.chmod(0o555)
        done = tables("--out", str(mount / "tables"))
        mount.chmod(0o755)
        reason = "Permission denied"
    else:
        pytest.skip("root without unshare: no read-only folder to write into")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [f"error: --out {mount}/tables: cannot write in {mount}: {reason}"]


@pytest.mark.skipif(not private_mounts(), reason="needs root and unshare to mount a small tmpfs")
def test_out_on_a_disk_that_fills_up_while_writing_leaves_nothing(tmp_path):
    mount = tmp_path / "small"
    # 64 KiB: facts.csv (~22 KB) fits, facts.html (~104 KB) does not
    done = in_tmpfs(mount, "size=64k", f"{PYTHON_TABLES} --out {mount}/tables; echo status=$?; ls -A {mount}")
    assert done.stdout.splitlines() == ["status=2"]  # and no file or temporary folder left on the disk
    assert done.stderr.splitlines() == [f"error: --out {mount}/tables: cannot write: No space left on device"]


@pytest.mark.skipif(not private_mounts(), reason="needs root and unshare to mount a small tmpfs")
def test_out_on_a_full_disk_is_refused_before_any_work(tmp_path):
    mount = tmp_path / "full"
    done = in_tmpfs(mount, "size=64k", f"dd if=/dev/zero of={mount}/fill bs=4k 2>/dev/null; "
                                       f"{PYTHON_TABLES} --out {mount}/tables; echo status=$?; ls -A {mount}")
    assert done.stdout.splitlines() == ["status=2", "fill"]
    assert done.stderr.splitlines() == [f"error: --out {mount}/tables: no space left on device ({mount})"]


@pytest.fixture(scope="module")
def old_tables(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A complete tables/ set from the data as it is, and its hashes."""
    out = tmp_path_factory.mktemp("old-tables") / "tables"
    done = tables("--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, hash_tree(out)


def _data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_valid_edit_plus_a_broken_table_rewrites_nothing(tmp_path, old_tables):
    old, hashes = old_tables
    out = tmp_path / "tables"
    shutil.copytree(old, out)
    data_dir = _data_copy(tmp_path)
    _edit(data_dir / "assumptions.csv", ",40,56,70,", ",40,57,70,")  # price base 56 -> 57: valid (tables read it)
    _edit(data_dir / "villages.csv", "dabao,大堡村,", "dabao,大堡村,Dabao,")  # a ragged row (tables do not read it)
    done = tables("--out", str(out), env={"DASUHE_DATA_DIR": str(data_dir)})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == ["error: villages.csv: row 2, column -: 7 cells, expected 6"]
    assert hash_tree(out) == hashes
    assert leftovers(out) == []


def test_tables_replaces_the_set_as_a_whole(tmp_path, old_tables):
    old, hashes = old_tables
    out = tmp_path / "tables"
    shutil.copytree(old, out)
    (out / "stale.csv").write_text("from an older version\n", encoding="utf-8")
    data_dir = _data_copy(tmp_path)
    _edit(data_dir / "assumptions.csv", ",40,56,70,", ",40,57,70,")
    done = tables("--out", str(out), env={"DASUHE_DATA_DIR": str(data_dir)})
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == f"wrote 9 files (3 tables as CSV and as HTML in 2 languages) into {out}\n"
    new = hash_tree(out)
    assert sorted(new) == [io.OUTPUT_MARKER, "assumptions.csv", "assumptions.html", "assumptions_zh.html", "facts.csv",
                           "facts.html", "facts_zh.html", "scenarios.csv", "scenarios.html",
                           "scenarios_zh.html"]  # stale.csv went with the old set
    changed = sorted(name for name in new if new[name] != hashes[name])
    assert changed == ["assumptions.csv", "assumptions.html", "assumptions_zh.html", "scenarios.csv", "scenarios.html",
                       "scenarios_zh.html"]  # price: not a fact
    assert leftovers(out) == []


def test_tables_on_a_full_stdout_says_so_in_one_line(tmp_path):
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "analysis", "tables", "--out", str(tmp_path / "t")], cwd=ROOT,
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert (done.returncode, done.stderr.splitlines()) == (2, ["error: cannot write to standard output: No space left on device"])
    assert len(hash_tree(tmp_path / "t")) == 10  # the set (3 CSV + 3 × 2 HTML + marker) was complete before the line failed
