"""Tests of analysis/quarto.py: where Quarto comes from, how its logs are read, how it is run."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from analysis import paths, quarto
from analysis.errors import AnalysisError


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def no_quarto(tmp_path, monkeypatch):
    """A PATH without quarto, an empty cache, no kit, and a Python whose folder holds no quarto."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")  # no quarto in Debian's folders
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(paths, "QUARTO_DIR", tmp_path / "cache" / "quarto")
    monkeypatch.setattr(paths, "QUARTO_KIT", tmp_path / "no-kit")
    monkeypatch.setattr(quarto, "venv_bin", lambda: tmp_path / "venv" / "bin")
    return tmp_path


def test_quarto_on_path_comes_first(no_quarto):
    on_path = _script(no_quarto / "bin" / "quarto", "echo 1.7.34")
    _script(no_quarto / "cache" / "quarto" / "bin" / "quarto", "echo kit")
    assert quarto.find_quarto(log=lambda *_: None) == str(on_path)


def test_the_kit_is_installed_into_the_cache_when_nothing_else_is_there(no_quarto):
    # a stand-in for the kit's install.sh: it lays out bin/quarto in the folder it is given
    _script(no_quarto / "no-kit" / "install.sh", 'mkdir -p "$1/bin" && printf "#!/bin/sh\\necho 1.7.34\\n" > "$1/bin/quarto" '
            '&& chmod +x "$1/bin/quarto"')
    said = []
    found = quarto.find_quarto(log=said.append)
    assert found == str(no_quarto / "cache" / "quarto" / "bin" / "quarto")
    assert said == [f"site: installing Quarto 1.7.34 from {no_quarto / 'no-kit'} into {no_quarto / 'cache' / 'quarto'} (once)"]
    assert quarto.version(found) == "1.7.34"
    assert quarto.find_quarto(log=said.append) == found and len(said) == 1  # installed once


def test_a_failing_kit_install_names_its_log(no_quarto):
    _script(no_quarto / "no-kit" / "install.sh", "echo broken; exit 3")
    with pytest.raises(AnalysisError) as info:
        quarto.find_quarto(log=lambda *_: None)
    log = no_quarto / "cache" / "quarto-kit-install.log"
    assert str(info.value) == f"installing Quarto from {no_quarto / 'no-kit' / 'install.sh'} failed (exit status 3); see {log}"
    assert log.read_text() == "broken\n"


def test_without_any_quarto_one_line_says_how_to_get_it(no_quarto, monkeypatch):
    # pip is tried once; here it "fails" (a stand-in that exits 1), and the attempt is remembered
    calls = []

    def fake_run(argv, **kwargs):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 1, "", "ERROR: no matching distribution\n")

    monkeypatch.setattr(quarto.subprocess, "run", fake_run)
    message = ("quarto not found: put Quarto 1.7.34 on PATH (https://quarto.org/docs/download/), or place the quarto "
               f"kit at {no_quarto / 'no-kit'}, or allow `pip install quarto-cli==1.7.34`")
    with pytest.raises(AnalysisError) as info:
        quarto.find_quarto(log=lambda *_: None)
    assert str(info.value) == message
    assert calls[0][-1] == "quarto-cli==1.7.34"
    with pytest.raises(AnalysisError):
        quarto.find_quarto(log=lambda *_: None)
    assert len(calls) == 1  # not retried
    assert '"outcome": "pip exit status 1"' in (no_quarto / "cache" / quarto.PIP_ATTEMPT_STAMP).read_text()


def test_warnings_in_a_log_are_quartos_pandocs_and_typsts():
    log = ("\x1b[1m[ 1/2] index.ipynb\x1b[22m\nWARN: Unable to resolve link target: x.html\n"
           "[WARNING] Could not convert TeX math $x$\n[typst]: Compiling a.typ...warning: unknown font family: y\n"
           "warning: unknown font family: z\nOutput created: _site/index.html\n")
    assert quarto.warnings_in(log) == ["WARN: Unable to resolve link target: x.html",
                                       "[WARNING] Could not convert TeX math $x$", "warning: unknown font family: z"]


def test_run_writes_the_log_and_a_failure_quotes_its_last_error_line(tmp_path):
    fake = _script(tmp_path / "quarto", 'echo "rendering $1"; echo "ERROR: something broke" >&2; exit 4')
    log = tmp_path / "logs" / "q.log"
    with pytest.raises(AnalysisError) as info:
        quarto.run(str(fake), ["render"], tmp_path, dict(os.environ), log)
    assert str(info.value) == f"quarto render exited with status 4: ERROR: something broke (log: {log})"
    assert log.read_text() == "rendering render\nERROR: something broke\n"
    ok = _script(tmp_path / "ok", "echo fine")
    assert quarto.run(str(ok), ["render"], tmp_path, dict(os.environ), log) == "fine\n"
