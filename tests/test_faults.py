"""Fault tests (issue 14): a real ``python -m analysis tables`` / ``figures`` / ``validate`` stopped by SIGINT,
SIGTERM or SIGKILL at several moments (tests/faults.py): exit status, one line on stderr, no
process left (the figures' render workers included), and tables/ or figures/ either the old complete
set or the new one, file by file.

The new run reads a data copy whose price assumption differs (base 56 -> 57), so the old and the
new set differ (four tables; the model figures' files and the manifest) and a half-written folder
would show.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths
from faults import Moment, assert_stopped_cleanly, hash_tree, leftovers, run_and_signal

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _tables(out: Path, env: dict[str, str] | None = None) -> None:
    import os

    done = subprocess.run([sys.executable, "-m", "analysis", "tables", "--out", str(out)], cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """(old set folder, its hashes, env of the new data, hashes of the new set)."""
    tmp = tmp_path_factory.mktemp("fault-sets")
    old = tmp / "old" / "tables"
    _tables(old)
    new_data = tmp / "data"
    shutil.copytree(paths.DATA_DIR, new_data)
    assumptions = new_data / "assumptions.csv"
    text = assumptions.read_text(encoding="utf-8")
    assert text.count(",40,56,70,") == 1  # the price row
    assumptions.write_text(text.replace(",40,56,70,", ",40,57,70,"), encoding="utf-8")
    env = {"DASUHE_DATA_DIR": str(new_data)}
    new = tmp / "new" / "tables"
    _tables(new, env)
    old_hashes, new_hashes = hash_tree(old), hash_tree(new)
    assert sorted(k for k in old_hashes if old_hashes[k] != new_hashes[k]) == [
        "assumptions.csv", "assumptions.html", "assumptions_zh.html", "scenarios.csv", "scenarios.html",
        "scenarios_zh.html"]
    return old, old_hashes, env, new_hashes


def _moments(out: Path) -> dict[str, Moment]:
    temporary = f"{out.parent}/.{out.name}.tmp-*"
    return {
        "imports": Moment(mapped="pandas/_libs"),  # pandas' compiled modules are loading
        "validating": Moment(mapped="pandas/_libs", after_seconds=0.3),
        "set_started": Moment(path_glob=temporary),  # the temporary folder exists
        "set_half": Moment(path_glob=f"{temporary}/facts.html"),  # facts written, assumptions not yet
        "set_last": Moment(path_glob=f"{temporary}/scenarios.csv"),  # the last table begun
    }


STOPS = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]


@pytest.mark.parametrize("signum, moment", [(s, m) for s in STOPS for m in
                                            ("imports", "validating", "set_started", "set_half", "set_last")]
                         + [(signal.SIGHUP, "set_half")],  # the terminal closed: a stop as SIGTERM, status 129
                         ids=[f"{m}-{signal.Signals(s).name}" for s in STOPS for m in
                              ("imports", "validating", "set_started", "set_half", "set_last")] + ["set_half-SIGHUP"])
def test_tables_stopped_at_any_moment_leaves_a_whole_set(tmp_path, sets, signum, moment):
    old, old_hashes, env, new_hashes = sets
    out = tmp_path / "tables"
    shutil.copytree(old, out)
    outcome = run_and_signal(["tables", "--out", str(out)], signum, _moments(out)[moment], env=env)
    assert_stopped_cleanly(outcome, signum)
    if outcome.stdout:  # the signal came (under load, late) after the set was swapped in and said
        assert outcome.stdout == f"wrote 9 files (3 tables as CSV and as HTML in 2 languages) into {out}\n"
        assert hash_tree(out) == new_hashes
    assert hash_tree(out) in (old_hashes, new_hashes)
    if signum != signal.SIGKILL:
        assert leftovers(out) == []  # the temporary folder went with the stop
        return
    # SIGKILL cannot clean up: the next run does, and writes the new set.
    recovered = run_and_signal(["tables", "--out", str(out)], signal.SIGINT, Moment(line="never printed"), env=env)
    assert (recovered.signalled, recovered.returncode, recovered.stderr) == (False, 0, "")
    assert hash_tree(out) == new_hashes
    assert leftovers(out) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("moment", [Moment(mapped="numpy/_core"), Moment(mapped="pandas/_libs")], ids=["numpy", "pandas"])
def test_validate_stopped_during_its_work_says_one_line(signum, moment):
    outcome = run_and_signal(["validate"], signum, moment)
    assert_stopped_cleanly(outcome, signum)
    lines = outcome.stdout.splitlines()
    assert lines == [] or (len(lines) == len(_resources()) + 1 and lines[-1] == "ok")  # all or nothing


def _resources() -> list[dict]:
    from analysis.data import read_resources

    return read_resources()


# --- figures ----------------------------------------------------------------------------------------------
# Three figures (a fact figure and two model figures the price edit changes) in both languages, two render
# processes (workers that must die with the command). The old set holds their PNGs; the run adds SVGs.
# The export starts from a copy of the old set (runs add up), so only the SVGs are new names in the
# temporary folder: they mark the moments.
FIGURE_IDS = ("poverty_outcomes", "tornado", "subsidy_share")
FIGURES_ARGS = ["--only", *FIGURE_IDS, "--lang", "all", "--format", "png,svg", "-j", "2"]
OLD_FIGURES_ARGS = ["--only", *FIGURE_IDS, "--lang", "all", "--format", "png", "-j", "2"]


def _figures(out: Path, args: list[str], env: dict[str, str] | None = None) -> None:
    import os

    done = subprocess.run([sys.executable, "-m", "analysis", "figures", *args, "--out", str(out)],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def figure_sets(tmp_path_factory):
    """(old set folder (PNGs), its hashes, env of the new data (price base 56 -> 57), hashes of the new set:
    the run of FIGURES_ARGS on a copy of the old set)."""
    tmp = tmp_path_factory.mktemp("fault-figures")
    old = tmp / "old" / "figures"
    _figures(old, OLD_FIGURES_ARGS)
    new_data = tmp / "data"
    shutil.copytree(paths.DATA_DIR, new_data)
    assumptions = new_data / "assumptions.csv"
    text = assumptions.read_text(encoding="utf-8")
    assert text.count(",40,56,70,") == 1  # the price row
    assumptions.write_text(text.replace(",40,56,70,", ",40,57,70,"), encoding="utf-8")
    env = {"DASUHE_DATA_DIR": str(new_data)}
    new = tmp / "new" / "figures"
    shutil.copytree(old, new)
    _figures(new, FIGURES_ARGS, env)
    old_hashes, new_hashes = hash_tree(old), hash_tree(new)
    svgs = sorted(name for name in new_hashes if name.endswith(".svg"))
    assert sorted(set(new_hashes) - set(old_hashes)) == svgs and len(svgs) == len(FIGURE_IDS) * 2
    changed = sorted(k for k in old_hashes if old_hashes[k] != new_hashes[k])
    assert "manifest.json" in changed and "tornado/tornado.csv" in changed and "subsidy_share/subsidy_share.csv" in changed
    assert "poverty_outcomes/poverty_outcomes_en_web.png" not in changed  # facts only: the same in both sets
    return old, old_hashes, env, new_hashes


def _figure_moments(out: Path) -> dict[str, Moment]:
    temporary = f"{out.parent}/.{out.name}.tmp-*"
    first, middle, last = FIGURE_IDS
    return {
        "imports": Moment(mapped="pandas/_libs"),  # pandas' compiled modules are loading
        "set_started": Moment(path_glob=temporary),  # the temporary set exists (a copy of the old one)
        "drawing": Moment(path_glob=f"{temporary}/{first}/{first}_en_web.svg"),  # the first drawn, the workers drawing
        "writing": Moment(path_glob=f"{temporary}/{middle}/{middle}_zh_web.svg"),  # half of the files written
        "set_last": Moment(path_glob=f"{temporary}/{last}/{last}_zh_web.svg"),  # the last figure: the manifest next
    }


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("moment", ["imports", "set_started", "drawing", "writing", "set_last"])
def test_figures_stopped_at_any_moment_leaves_a_whole_set(tmp_path, figure_sets, signum, moment):
    old, old_hashes, env, new_hashes = figure_sets
    out = tmp_path / "figures"
    shutil.copytree(old, out)
    outcome = run_and_signal(["figures", *FIGURES_ARGS, "--out", str(out)], signum, _figure_moments(out)[moment],
                             env=env, timeout=120)
    assert_stopped_cleanly(outcome, signum)
    if outcome.stdout:  # the signal came (under load, late) after the set was swapped in and said
        assert outcome.stdout.startswith("wrote ") and outcome.stdout.endswith(f" into {out}\n")
        assert hash_tree(out) == new_hashes
    assert hash_tree(out) in (old_hashes, new_hashes)
    if signum != signal.SIGKILL:
        assert leftovers(out) == []  # the temporary folder went with the stop
        return
    # SIGKILL cannot clean up (its render workers die with it): the next run does, and writes the new set.
    recovered = run_and_signal(["figures", *FIGURES_ARGS, "--out", str(out)], signal.SIGINT,
                               Moment(line="never printed"), env=env, timeout=120)
    assert (recovered.signalled, recovered.returncode, recovered.stderr) == (False, 0, "")
    assert hash_tree(out) == new_hashes
    assert leftovers(out) == []


def test_figures_a_valid_price_edit_plus_a_broken_villages_table_rewrites_nothing(tmp_path, figure_sets):
    """Nothing is drawn before the whole package validates: not one file of figures/ changes."""
    old, old_hashes, _, _ = figure_sets
    out = tmp_path / "figures"
    shutil.copytree(old, out)
    data_dir = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data_dir)
    for name, before, after in (("assumptions.csv", ",40,56,70,", ",40,57,70,"),  # valid: figures read it
                                ("villages.csv", "dabao,大堡村,", "dabao,大堡村,Dabao,")):  # a ragged row
        text = (data_dir / name).read_text(encoding="utf-8")
        assert text.count(before) == 1
        (data_dir / name).write_text(text.replace(before, after), encoding="utf-8")
    import os

    done = subprocess.run([sys.executable, "-m", "analysis", "figures", *FIGURES_ARGS, "--out", str(out)],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DASUHE_DATA_DIR": str(data_dir)})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == ["error: villages.csv: row 2, column -: 7 cells, expected 6"]
    assert hash_tree(out) == old_hashes
    assert leftovers(out) == []
