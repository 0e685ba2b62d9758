"""``python -m analysis figures`` writes figures/ as one set (issue 14): ``--out`` checked first (a file,
inside data/, read-only, full: one line, exit 2, nothing written), the whole data package validated
before anything is drawn, the set built in a temporary sibling folder and swapped in (earlier files and
a README kept), and an error half-way leaving the previous set.

The read-only and full-disk cases mount a small tmpfs in a private mount namespace (``unshare -m``, as
root, as tests/test_cli_tables.py does); without root they use a folder without write permission, or skip.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import figures, io, paths
from analysis.errors import AnalysisError
from faults import hash_tree, in_tmpfs, leftovers, private_mounts

pytestmark = pytest.mark.filterwarnings("error:Glyph.*missing", "error:constrained_layout not applied")

ROOT = paths.ROOT
SMALL = ["--only", "poverty_outcomes", "--format", "png", "-j", "1"]  # one quick figure


def run_figures(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "figures", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env={**os.environ, **(env or {})})



PYTHON_FIGURES = f"{shlex.quote(sys.executable)} -m analysis figures {' '.join(SMALL)}"


def test_out_is_a_file(tmp_path):
    target = tmp_path / "figure.png"
    target.write_bytes(b"mine")
    done = run_figures(*SMALL, "--out", str(target))
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (
        2, "", [f"error: --out {target}: is a file, not a folder"])
    assert target.read_bytes() == b"mine"


def test_out_inside_the_data_package_writes_nothing_there():
    before = sorted(p.name for p in paths.DATA_DIR.iterdir())
    done = run_figures(*SMALL, "--out", "data/figs")
    assert (done.returncode, done.stderr.splitlines()) == (
        2, [f"error: --out data/figs: is inside the data package ({paths.DATA_DIR.resolve()}); choose a folder outside it"])
    assert sorted(p.name for p in paths.DATA_DIR.iterdir()) == before


def test_out_a_folder_of_someone_else_is_left_alone(tmp_path):
    (tmp_path / "thesis.tex").write_text("mine\n", encoding="utf-8")
    done = run_figures(*SMALL, "--out", str(tmp_path))
    assert (done.returncode, done.stderr.splitlines()) == (2, [
        f"error: --out {tmp_path}: is a folder this project did not write (no .dasuhe-output in it) and would be "
        "replaced as a whole; choose a new or empty folder"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.tex"]


def test_out_read_only(tmp_path):
    mount = tmp_path / "ro"
    if private_mounts():
        done = in_tmpfs(mount, "ro", f"{PYTHON_FIGURES} --out {mount}/figures")
        reason = "Read-only file system"
    elif os.geteuid() != 0:
        mount.mkdir()
        mount.chmod(0o555)
        done = run_figures(*SMALL, "--out", str(mount / "figures"))
        mount.chmod(0o755)
        reason = "Permission denied"
    else:
        pytest.skip("root without unshare: no read-only folder to write into")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [f"error: --out {mount}/figures: cannot write in {mount}: {reason}"]


@pytest.mark.skipif(not private_mounts(), reason="needs root and unshare to mount a small tmpfs")
def test_out_on_a_full_disk_is_refused_before_any_work(tmp_path):
    mount = tmp_path / "full"
    done = in_tmpfs(mount, "size=64k", f"dd if=/dev/zero of={mount}/fill bs=4k 2>/dev/null; "
                                       f"{PYTHON_FIGURES} --out {mount}/figures; echo status=$?; ls -A {mount}")
    assert done.stdout.splitlines() == ["status=2", "fill"]
    assert done.stderr.splitlines() == [f"error: --out {mount}/figures: no space left on device ({mount})"]


@pytest.mark.skipif(not private_mounts(), reason="needs root and unshare to mount a small tmpfs")
def test_out_on_a_disk_that_fills_up_while_writing_leaves_nothing(tmp_path):
    mount = tmp_path / "small"
    # 64 KiB: the CSV and captions fit, the PNG (~60 KB) and the manifest of every figure (~90 KB) do not
    done = in_tmpfs(mount, "size=64k", f"{PYTHON_FIGURES} --out {mount}/figures; echo status=$?; ls -A {mount}")
    assert done.stdout.splitlines() == ["status=2"]  # and no file or temporary folder left on the disk
    assert done.stderr.splitlines() == [f"error: --out {mount}/figures: cannot write: No space left on device"]


def test_runs_add_up_and_a_readme_stays(tmp_path):
    out = tmp_path / "figures"
    first = run_figures(*SMALL, "--out", str(out))
    assert (first.returncode, first.stderr) == (0, ""), first.stderr
    (out / "README.md").write_text("# figures/\n", encoding="utf-8")  # as the committed figures/README.md
    second = run_figures("--only", "tornado", "--format", "svg", "--lang", "zh", "-j", "1", "--out", str(out))
    assert (second.returncode, second.stderr) == (0, ""), second.stderr
    assert second.stdout == f"wrote 5 files (1 figures × 1 languages × 1 sizes × 1 formats, CSVs, captions and the " \
                            f"manifest) into {out}\n"  # tornado: CSV, 2 captions, 1 SVG, the manifest
    names = sorted(hash_tree(out))
    assert names == [io.OUTPUT_MARKER, "README.md", "manifest.json", "poverty_outcomes/poverty_outcomes.csv",
                     "poverty_outcomes/poverty_outcomes_caption_en.txt", "poverty_outcomes/poverty_outcomes_caption_zh.txt",
                     "poverty_outcomes/poverty_outcomes_en_web.png", "tornado/tornado.csv",
                     "tornado/tornado_caption_en.txt", "tornado/tornado_caption_zh.txt", "tornado/tornado_zh_web.svg"]
    assert (out / "README.md").read_text(encoding="utf-8") == "# figures/\n"
    assert leftovers(out) == []


def test_an_error_half_way_leaves_the_previous_set(tmp_path, monkeypatch):
    out = tmp_path / "figures"
    figures.export_figures(["poverty_outcomes"], ["png"], ["single-column"], ["en"], out)
    before = hash_tree(out)
    from analysis.figures import render

    drawn = []

    def fail_on_the_second(figure_id, lang, size, formats, chrome="full"):
        drawn.append(figure_id)
        if len(drawn) == 2:
            raise AnalysisError(f"figure {figure_id!r} ({lang}, {size}): broken on purpose")
        return {fmt: b"new" for fmt in formats}

    monkeypatch.setattr(render, "render_one", fail_on_the_second)
    with pytest.raises(AnalysisError, match="^figure 'tornado' \\(en, single-column\\): broken on purpose$"):
        figures.export_figures(["poverty_outcomes", "tornado"], ["png"], ["single-column"], ["en"], out)
    assert drawn == ["poverty_outcomes", "tornado"]
    assert hash_tree(out) == before  # poverty_outcomes' new PNG (b"new") was written into the temporary set only
    assert leftovers(out) == []


def test_export_validates_the_data_package_before_drawing(tmp_path, data_copy):
    text = (data_copy / "villages.csv").read_text(encoding="utf-8")
    (data_copy / "villages.csv").write_text(text.replace("dabao,大堡村,", "dabao,大堡村,Dabao,", 1), encoding="utf-8")
    out = tmp_path / "figures"
    done = run_figures(*SMALL, "--out", str(out), env={"DASUHE_DATA_DIR": str(data_copy)})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == ["error: villages.csv: row 2, column -: 7 cells, expected 6"]
    assert not out.exists() and leftovers(out) == []


def test_a_stop_whose_exception_got_lost_still_stops_the_export(tmp_path, monkeypatch):
    """SIGTERM raised inside a finaliser is dropped by Python (the watchdog of analysis.processes would end
    the process 1.5 s later, after more work and without cleaning up): the export checks between steps."""
    import signal

    from analysis import processes

    monkeypatch.setattr(processes, "stop_signal_received", lambda: signal.SIGTERM)
    out = tmp_path / "figures"
    with pytest.raises(processes.Terminated):
        figures.export_figures(["poverty_outcomes"], ["png"], ["single-column"], ["en"], out)
    assert not out.exists() and leftovers(out) == []
    monkeypatch.setattr(processes, "stop_signal_received", lambda: signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        figures.render_many([("poverty_outcomes", "en", "web", ("png",), "full")])
