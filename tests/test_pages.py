"""Tests of analysis/pages.py: a committed page notebook → the executed notebook of an edition."""
from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis import pages, paths
from analysis.errors import AnalysisError, ParameterError


def _page(*cells):
    return new_notebook(cells=list(cells), metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                    "display_name": "Python 3"}})


def _tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


PARAMS = 'lang = "en"  # language of the page\npreset = "base"  # assumption preset\ndraws = None'


def test_edition_keeps_untagged_prose_and_the_prose_of_its_language_only():
    nb = _page(new_markdown_cell("# Title"), _tagged(new_markdown_cell("English"), "lang-en"),
               _tagged(new_markdown_cell("中文"), "lang-zh"), new_code_cell("1 + 1"))
    assert [c.source for c in pages.edition_notebook(nb, "en").cells] == ["# Title", "English", "1 + 1"]
    assert [c.source for c in pages.edition_notebook(nb, "zh").cells] == ["# Title", "中文", "1 + 1"]
    assert len(nb.cells) == 4  # the committed notebook is not changed


def test_a_cell_with_two_language_tags_is_one_clear_error():
    cell = _tagged(new_markdown_cell("x"), "lang-en", "lang-zh")
    with pytest.raises(AnalysisError) as info:
        pages.cell_language(cell)
    assert str(info.value) == "a cell carries 2 language tags (en, zh): give it one"


def test_set_parameters_writes_values_keeping_comments_and_folds_the_cell():
    nb = _page(_tagged(new_code_cell(PARAMS), "parameters"), new_code_cell("x = 1"))
    out = pages.edition_notebook(nb, "zh", {"lang": "zh", "draws": 1000}, "zh/index.ipynb")
    assert out.cells[0].source == (
        '#| code-summary: "本页参数"\n'
        "lang = 'zh'  # language of the page\n"
        'preset = "base"  # assumption preset\n'
        "draws = 1000"
    )
    assert nb.cells[0].source == PARAMS
    english = pages.edition_notebook(nb, "en")
    assert english.cells[0].source.splitlines()[0] == '#| code-summary: "Parameters of this page"'


def test_an_unknown_parameter_names_the_page_and_its_parameters():
    nb = _page(_tagged(new_code_cell(PARAMS), "parameters"))
    with pytest.raises(ParameterError) as info:
        pages.edition_notebook(nb, "en", {"pricee": 50}, "notebooks/05.ipynb")
    assert str(info.value) == "notebooks/05.ipynb: unknown parameter 'pricee': the page's parameters are lang, preset, draws"
    with pytest.raises(ParameterError) as info:
        pages.set_parameters(_page(new_code_cell("x = 1")), {"lang": "zh"}, "data.ipynb")
    assert str(info.value) == "data.ipynb: unknown parameter 'lang': the page's parameters are none"


def test_page_parameters_reads_the_defaults():
    nb = _page(_tagged(new_code_cell(PARAMS + "\nprefix = '../'"), "parameters"))
    assert pages.page_parameters(nb) == {"lang": "en", "preset": "base", "draws": None, "prefix": "../"}
    assert pages.page_parameters(_page(new_code_cell("x = 1"))) == {}


def test_check_parameters_refuses_a_name_papermill_injected_that_the_page_lacks():
    namespace = {"In": ["", PARAMS, "# Parameters\nlang = \"zh\"\npricee = 50\n", "from analysis import pages"]}
    with pytest.raises(ParameterError) as info:
        pages.check_parameters(namespace)
    assert str(info.value) == "unknown parameter 'pricee': the page's parameters are lang, preset, draws"
    pages.check_parameters({"In": ["", PARAMS, "# Parameters\nlang = \"zh\"\n"]})  # known: passes
    pages.check_parameters({"In": ["", PARAMS, "from analysis import pages"]})  # Jupyter: nothing injected
    pages.check_parameters({})  # not IPython at all


@pytest.mark.parametrize("content, message", [
    (b"{", "not a readable notebook"),
    (b'{"cells": [}', "not a readable notebook"),
    (b"\xff\xfe", "not UTF-8 text (byte 0)"),
])
def test_a_broken_page_is_one_line_naming_it(tmp_path, content, message):
    path = tmp_path / "p.ipynb"
    path.write_bytes(content)
    with pytest.raises(AnalysisError) as info:
        pages.read_notebook(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


def test_a_missing_page_is_one_line(tmp_path):
    with pytest.raises(AnalysisError) as info:
        pages.read_notebook(tmp_path / "gone.ipynb")
    assert str(info.value) == f"{tmp_path / 'gone.ipynb'}: page not found"


@pytest.mark.slow
def test_execute_takes_stderr_out_of_the_page_and_returns_it(tmp_path):
    nb = _page(new_code_cell("import sys, warnings\nprint('shown')\nsys.stderr.write('noise\\n');"),
               new_code_cell("warnings.warn('careful')\n2 + 3"))
    executed = pages.execute(nb, tmp_path, "p.ipynb")
    out = nbformat.reads(executed.notebook, as_version=4)
    assert [o["output_type"] for o in out.cells[0].outputs] == ["stream"]
    assert out.cells[0].outputs[0]["text"] == "shown\n"
    assert out.cells[1].outputs[0]["data"]["text/plain"] == "5"
    assert executed.stderr[0] == "noise"
    assert "UserWarning: careful" in executed.stderr[1]
    assert pages.execute(nb, tmp_path, "p.ipynb").notebook == executed.notebook  # deterministic


@pytest.mark.slow
def test_execute_runs_in_the_given_folder_and_a_failing_cell_is_one_line(tmp_path):
    nb = _page(new_code_cell("import os\nos.getcwd()"), new_code_cell("1 / 0"))
    with pytest.raises(AnalysisError) as info:
        pages.execute(nb, tmp_path, "notebooks/x.ipynb")
    assert str(info.value) == "notebooks/x.ipynb: cell 2 raised ZeroDivisionError: division by zero"
    ok = pages.execute(_page(new_code_cell("import os\nos.getcwd()")), tmp_path, "x")
    assert nbformat.reads(ok.notebook, as_version=4).cells[0].outputs[0]["data"]["text/plain"] == repr(str(tmp_path))


@pytest.mark.slow
def test_a_dying_kernel_and_a_cell_that_runs_too_long_are_one_line_each(tmp_path):
    from analysis import paths

    with pytest.raises(AnalysisError) as info:
        pages.execute(_page(new_code_cell("import os, sys\nsys.stderr.write('last words\\n')\nsys.stderr.flush()\n"
                                          "os.write(2, b'from the process\\n')\nos._exit(1)")), tmp_path, "notebooks/d.ipynb")
    log = paths.SITE_CACHE_DIR / "kernels" / "notebooks_d.ipynb.log"
    assert str(info.value) == f"notebooks/d.ipynb: its kernel died; its log is {log}"
    assert "from the process" in log.read_text(encoding="utf-8")  # the kernel's own stderr, not the terminal's
    with pytest.raises(AnalysisError) as info:
        pages.execute(_page(new_code_cell("import time\ntime.sleep(30)")), tmp_path, "t.ipynb", timeout=2)
    assert str(info.value) == "t.ipynb: a cell ran longer than 2 s"


@pytest.mark.slow
def test_papermill_with_an_unknown_parameter_stops_a_real_page(tmp_path):
    """A page run by papermill with a misspelt parameter stops in one line instead of running the defaults."""
    out = tmp_path / "out.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "papermill", str(paths.NOTEBOOKS_DIR / "02-governance.ipynb"), str(out),
         "-p", "langg", "zh", "--cwd", str(paths.NOTEBOOKS_DIR)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "ParameterError: unknown parameter 'langg': the page's parameters are lang" in result.stderr


def test_git_stores_a_notebook_without_the_outputs_a_run_left(tmp_path):
    """The repository's .gitattributes names the nbstripout filter; with it configured (make venv does),
    a notebook saved with outputs is committed without them."""
    attributes = (paths.ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "*.ipynb filter=nbstripout" in attributes.splitlines()
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], check=True)
    (repo / ".gitattributes").write_text(attributes, encoding="utf-8")
    subprocess.run([str(paths.ROOT / ".venv" / "bin" / "nbstripout"), "--install"], cwd=repo, check=True)
    clean = subprocess.run(["git", "-C", str(paths.ROOT), "config", "filter.nbstripout.clean"], capture_output=True,
                           text=True).stdout.strip() or f'"{paths.ROOT}/.venv/bin/python" -m nbstripout --keep-id'
    subprocess.run(git + ["config", "filter.nbstripout.clean", clean], check=True)  # as make venv sets it
    cell = new_code_cell("1 + 1", execution_count=1,
                         outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)])
    nbformat.write(_page(cell), repo / "p.ipynb")
    subprocess.run(git + ["add", "p.ipynb"], check=True)
    stored = subprocess.run(git + ["show", ":p.ipynb"], capture_output=True, text=True, check=True).stdout
    code = nbformat.reads(stored, as_version=4).cells[0]
    assert (code.outputs, code.execution_count) == ([], None)
    assert code.id == nbformat.read(repo / "p.ipynb", as_version=4).cells[0].id  # cell ids are kept
    assert "outputs" in (repo / "p.ipynb").read_text()  # the working copy keeps what the run left


def test_every_page_has_its_prose_in_every_edition():
    """The untranslated-prose check lists nothing on main (issue 13): every markdown cell tagged,
    each English cell followed by its Chinese one, every sentence of code in both languages, every
    caption translated."""
    from analysis import site

    problems = [line for page in site.read_pages()
                for line in pages.untranslated(pages.read_notebook(paths.ROOT / page.source), site.EDITIONS, page.source)]
    assert problems == []


def test_untranslated_names_what_lacks_a_translation():
    nb = _page(new_markdown_cell("# Title"), _tagged(new_markdown_cell("English"), "lang-en"),
               new_code_cell('#| fig-cap: "A figure"\nreport.markdown("One sentence {x}", lang, x=1)'),
               new_code_cell('report.markdown({"en": "Both"}, lang)'))
    for number, cell in enumerate(nb.cells, start=1):
        cell["id"] = f"c{number}"
    assert pages.untranslated(nb, ("en", "zh"), "p.ipynb") == [
        "p.ipynb: cell 1 (c1): markdown cell without a language tag (lang-en/lang-zh)",
        "p.ipynb: cell 2 (c2): no zh version follows this en cell",
        "p.ipynb: cell 3 (c3): fig-cap has no zh version",
        "p.ipynb: cell 3 (c3): line 2: report.markdown gives one text; give {'en': ..., 'zh': ...}",
        "p.ipynb: cell 4 (c4): line 1: report.markdown has no zh text",
    ]
