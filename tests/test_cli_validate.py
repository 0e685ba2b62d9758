"""``python -m analysis validate`` through a subprocess: bad input in one line (exit 2), missing
provenance said once on stderr, standard output that cannot be written.

The commands of the table below start at once (module fixture), so the file stays fast on two cores.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import data, paths

ROOT = paths.ROOT


def validate(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "validate", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})}, **kwargs)


def _copy(tmp: Path, name: str) -> Path:
    target = tmp / name / "data"
    shutil.copytree(paths.DATA_DIR, target)
    return target


def _replace(path: Path, old: bytes, new: bytes) -> None:
    raw = path.read_bytes()
    assert old in raw, (path, old)
    path.write_bytes(raw.replace(old, new, 1))


def _households_lots(d: Path) -> str:
    _replace(d / "facts.csv", b"registered_poor_households,243,", b"registered_poor_households,lots,")
    return "facts.csv: row 114, column value: 'lots' is not a number (unit households)"  # fact row 113 + header


def _latin1(d: Path) -> str:
    raw = (d / "villages.csv").read_bytes()
    _replace(d / "villages.csv", "大堡村".encode(), "café".encode("latin-1"))
    offset = raw.index("大堡村".encode()) + len("caf")
    return f"villages.csv: row 2, column name_zh: invalid UTF-8 byte 0xe9 at byte offset {offset} (the file must be UTF-8)"


def _resources_not_a_list(d: Path) -> str:
    package = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"] = {"facts": package["resources"][0]}
    (d / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return "datapackage.json: row 1, column resources: must be a list of resources, not an object"


def _escape(d: Path) -> str:
    package = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"][1]["path"] = "../../../../../../../../etc/passwd"
    (d / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return ("datapackage.json: row 1, column resources: resource 2 path '../../../../../../../../etc/passwd' is outside "
            "the data folder (a path must be relative to it, without '..'); refused unread")


def _huge_cell(d: Path) -> str:
    _replace(d / "villages.csv", "大堡村".encode(), b"x" * 200_000)
    return "villages.csv: row 2, column name_zh: length 200000 exceeds maxLength 2000 (the limit for every cell of the package)"


def _nul(d: Path) -> str:
    _replace(d / "villages.csv", "大堡村".encode(), "大\x00堡村".encode())
    return "villages.csv: row 2, column name_zh: control character U+0000 at character 2 (not allowed in a cell)"


def _bad_pattern(d: Path) -> str:
    schema = d / "schemas" / "villages.json"
    _replace(schema, b'"^[a-z][a-z0-9_]*$"', b'"^[a-z"')
    return ("schemas/villages.json: row 1, column village_id: constraint pattern '^[a-z' is not a valid regular "
            "expression: unterminated character set at position 1")


def _price_overflows(d: Path) -> str:
    # the high price 1e308 is within its rule (>= 0), but 800,000 segments × 0.065 kg × 1e308 yuan/kg
    # is above the largest float (about 1.8e308): revenue overflows; the base price puts it back
    _replace(d / "assumptions.csv", b",40,56,70,", b",40,56,1e308,")
    return ("assumptions.csv: row 3, column high: price_yuan_per_kg=1e+308 puts revenue_yuan out of the computable "
            "range (inf or nan)")


BAD = {  # name -> (corrupt the data copy, return the expected rule line; extra arguments)
    "households_lots_without_article": (_households_lots, []),
    "households_lots_with_article": (_households_lots, []),
    "latin1_byte": (_latin1, []),
    "resources_not_a_list": (_resources_not_a_list, []),
    "path_outside": (_escape, []),
    "huge_cell": (_huge_cell, []),
    "nul_in_name": (_nul, []),
    "bad_pattern": (_bad_pattern, []),
    "price_overflows": (_price_overflows, []),
}


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-validate")
    started = {}
    for name, (corrupt, extra) in BAD.items():
        d = _copy(tmp, name)
        rule = corrupt(d)
        no_article = {"DASUHE_ARTICLE": str(tmp / "no-article.txt")} if name.endswith("without_article") else {}
        process = subprocess.Popen([sys.executable, "-m", "analysis", "validate", "--data-dir", str(d), *extra],
                                   cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**os.environ, **no_article})
        started[name] = (process, rule)
    results = {}
    for name, (process, rule) in started.items():
        out, err = process.communicate(timeout=120)
        results[name] = (process.returncode, out, err, rule)
    return results


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_one_line_and_exit_2(bad_runs, name):
    status, out, err, rule = bad_runs[name]
    assert (status, out, err.splitlines()) == (2, "", [f"error: {rule}"])
    assert "root:" not in err  # nothing of /etc/passwd


LINE = re.compile(r"(?P<table>[a-z_]+): (?P<rows>[0-9]+) rows?, schema ok(?P<provenance>; .*)?")


def test_validate_prints_one_line_per_table_then_ok(article_paragraphs):
    done = validate()
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[-1] == "ok"
    matches = [LINE.fullmatch(line) for line in lines[:-1]]
    assert all(matches), lines
    assert [m["table"] for m in matches] == [r["name"] for r in data.read_resources()]
    with_quotes = {m["table"]: m["provenance"] for m in matches if m["provenance"]}
    assert with_quotes == {"facts": "; provenance ok against 6 article paragraphs",
                           "cases": "; provenance ok against 6 article paragraphs"}


@pytest.mark.parametrize("where", ["missing", "directory"])
def test_an_environment_article_that_is_absent_is_said_once_on_stderr_and_validate_still_passes(tmp_path, where):
    article = tmp_path if where == "directory" else tmp_path / "no-such-article.txt"
    done = validate(env={"DASUHE_ARTICLE": str(article)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"provenance not checked: article not found at {article}"]
    lines = done.stdout.splitlines()
    assert lines[0] == "facts: 131 rows, schema ok; provenance not checked"
    assert lines[-1] == "ok"


@pytest.mark.parametrize("where", ["missing", "directory", "device"])
def test_an_article_named_on_the_command_line_must_be_a_file(tmp_path, where):
    article = {"missing": tmp_path / "artcle.txt", "directory": tmp_path, "device": Path("/dev/zero")}[where]
    rule = "not found" if where == "missing" else "not a regular file (the article's UTF-8 text)"
    done = validate("--article", str(article))
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [f"error: --article {article}: {rule}"])


def test_require_article_makes_a_missing_article_an_error(tmp_path, article_paragraphs):
    missing = tmp_path / "article.txt"
    done = validate("--require-article", env={"DASUHE_ARTICLE": str(missing)})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [f"error: provenance not checked: article not found at {missing} (--require-article)"]
    present = validate("--require-article")
    assert (present.returncode, present.stderr, present.stdout.splitlines()[-1]) == (0, "", "ok")


def test_a_binary_article_is_one_line(tmp_path):
    binary = tmp_path / "article.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    done = validate("--article", str(binary))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        # bytes 0-7 are \x89 P N G \r \n \x1a \n: the NUL is byte 8, after two line feeds (line 3)
        f"error: {binary}: line 3, byte offset 8: NUL byte (a binary file, not the article's UTF-8 text)"]


def test_a_data_dir_that_is_not_a_folder_is_one_line(tmp_path):
    done = validate("--data-dir", str(tmp_path / "nowhere"))
    assert (done.returncode, done.stderr.splitlines()) == (2, [f"error: --data-dir {tmp_path / 'nowhere'}: not a folder"])


def test_stdout_on_a_full_device_is_one_line_on_stderr():
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "analysis", "validate"], cwd=ROOT, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr.splitlines()) == (2, ["error: cannot write to standard output: No space left on device"])


def test_stdout_closed_early_is_quiet():
    process = subprocess.Popen([sys.executable, "-m", "analysis", "validate"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line (like `| head -0`): EPIPE
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == ""


# --- closed standard streams (`>&-`, `2>&-`: Python sets sys.stdout / sys.stderr to None) ------------
def _with_closed(fd: int, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m analysis ARGS`` with descriptor *fd* (1 or 2) closed, as the shell's ``>&-``."""
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE if fd == 2 else None, stderr=subprocess.PIPE if fd == 1 else None,
                          text=True, timeout=120, preexec_fn=lambda: os.close(fd),
                          )


@pytest.mark.parametrize("args", [["validate"], ["scenario", "--json"], ["--help"], ["scenario", "--set", "foo=1"],
                                  ["tables", "--out", "{tmp}/t"]], ids=["validate", "scenario", "help", "bad-set", "tables"])
def test_a_closed_stdout_is_refused_in_one_line_before_any_work(args, tmp_path):
    done = _with_closed(1, *[a.format(tmp=tmp_path) for a in args])
    assert (done.returncode, done.stderr.splitlines()) == (2, [
        "error: standard output is closed: the command would show nothing (send it to /dev/null to discard it)"])
    assert not (tmp_path / "t").exists()  # tables wrote nothing


def test_a_closed_stderr_keeps_the_exit_status():
    assert _with_closed(2, "validate").returncode == 0
    bad = _with_closed(2, "scenario", "--set", "foo=1")
    assert (bad.returncode, bad.stdout) == (2, "")  # the error line has nowhere to go; the status says it
