"""Tests of analysis/kernelpool.py: real kernels forked from a real server, run by nbclient."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from analysis import kernelpool, paths
from analysis.errors import AnalysisError

KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]  # as analysis.site runs its kernels
ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # an object's memory address in its repr


@pytest.fixture(scope="module")
def server():
    """One fork server for the module, preloading what the report's notebooks import."""
    with kernelpool.ForkServer(preload=kernelpool.NOTEBOOK_PRELOAD) as started:
        yield started


def make_notebook(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source, id=f"cell-{i}") for i, source in enumerate(sources, 1)]
    return nb


def execute(nb, kernel_name: str, cwd: Path, **options):
    """Execute *nb* in place as analysis.site does (no timings, cwd = the notebook's folder)."""
    NotebookClient(nb, kernel_name=kernel_name, resources={"metadata": {"path": str(cwd)}},
                   record_timing=False, extra_arguments=list(KERNEL_ARGS), **options).execute()
    return nb


def texts(nb) -> list[str]:
    """The stream text of each cell, "" for a cell that printed nothing."""
    return ["".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream") for cell in nb.cells]


def processes_naming(text: str) -> list[int]:
    """Pids of live processes whose command line contains *text* (a forked kernel keeps the server's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_outputs_are_byte_identical_to_a_fresh_kernel(server, tmp_path):
    sources = (
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport pandas as pd",
        "plt.plot([1, 2, 3], [4, 1, 9])\nplt.title('ok')\nplt.show()",
        "pd.DataFrame({'households': [243, 113], 'village': ['a', 'b']})",
        "print('hello', 6 * 7)",
        "from IPython.display import Markdown\nMarkdown('**bold** text')",
        "sum(range(10))",
    )
    pooled = execute(make_notebook(*sources), server.kernel_name, tmp_path)
    fresh = execute(make_notebook(*sources), "python3", tmp_path)
    assert nbformat.writes(pooled) == nbformat.writes(fresh)
    assert [cell.execution_count for cell in pooled.cells] == [1, 2, 3, 4, 5, 6]
    figure = pooled.cells[1].outputs[-1]
    assert figure.output_type == "display_data" and figure.data["image/png"].startswith("iVBORw0KGgo")  # PNG magic
    assert sorted(pooled.cells[2].outputs[0].data) == ["text/html", "text/plain"]
    assert texts(pooled)[3] == "hello 42\n"  # 6 * 7 = 42
    assert pooled.cells[4].outputs[0].data["text/markdown"] == "**bold** text"
    assert pooled.cells[5].outputs[0].data["text/plain"] == "45"  # 0 + 1 + ... + 9 = 9 * 10 / 2


@pytest.mark.slow
def test_a_real_notebook_is_byte_identical_to_a_fresh_kernel(server):
    source = paths.NOTEBOOKS_DIR / "02-governance.ipynb"
    pooled = execute(nbformat.read(source, as_version=4), server.kernel_name, source.parent)
    fresh = execute(nbformat.read(source, as_version=4), "python3", source.parent)
    # a pandas Styler's text/plain carries its memory address, which differs between any two
    # fresh kernels as well: compare with addresses blanked, and check that only they differ
    pooled_text, fresh_text = nbformat.writes(pooled), nbformat.writes(fresh)
    assert ADDRESS.sub(" at 0x?", pooled_text) == ADDRESS.sub(" at 0x?", fresh_text)
    assert len(ADDRESS.findall(pooled_text)) == len(ADDRESS.findall(fresh_text)) <= 1
    kinds = {out.output_type for cell in pooled.cells if cell.cell_type == "code" for out in cell.outputs}
    images = [out for cell in pooled.cells if cell.cell_type == "code" for out in cell.outputs
              if "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})]
    assert "error" not in kinds and images


def test_no_state_leaks_from_one_kernel_to_the_next(server, tmp_path):
    execute(make_notebook("import analysis.paths as p\np.X = 1\nleaked = 2\nprint(p.X + leaked)"),
            server.kernel_name, tmp_path)
    second = execute(make_notebook("import analysis.paths as p\nprint(hasattr(p, 'X'), 'leaked' in globals())"),
                     server.kernel_name, tmp_path)
    assert texts(second) == ["False False\n"]


def test_the_kernel_gets_the_clients_cwd_and_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("DASUHE_KERNELPOOL_PROBE", "set after the server started")
    nb = execute(make_notebook("import os\nprint(os.getcwd())\nprint(os.environ['DASUHE_KERNELPOOL_PROBE'])"),
                 server.kernel_name, tmp_path)
    assert texts(nb) == [f"{tmp_path}\nset after the server started\n"]


def test_an_interrupt_reaches_the_kernel(server, tmp_path):
    nb = make_notebook("import time\ntime.sleep(60)", "print('still running')")
    started = time.monotonic()
    execute(nb, server.kernel_name, tmp_path, timeout=3, interrupt_on_timeout=True, allow_errors=True)
    assert time.monotonic() - started < 30  # interrupted after 3 s, not after the 60 s sleep
    assert [out.ename for out in nb.cells[0].outputs if out.output_type == "error"] == ["KeyboardInterrupt"]
    assert texts(nb)[1] == "still running\n"  # same kernel, still alive


def start_kernel(server):
    """A kernel through jupyter_client directly: (manager, client, kernel pid)."""
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name=server.kernel_name)
    manager.start_kernel(extra_arguments=list(KERNEL_ARGS))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    printed = []
    client.execute_interactive("import os; print(os.getpid())", timeout=60,
                               output_hook=lambda msg: printed.append(msg["content"].get("text", "")))
    return manager, client, int("".join(printed))


def wait_until_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not is_running(pid)


def test_shutdown_ends_the_kernel_then_the_proxy_with_status_0(server):
    manager, client, kernel_pid = start_kernel(server)
    proxy = manager.provisioner.process
    assert kernel_pid != proxy.pid and proxy.poll() is None
    client.stop_channels()
    manager.shutdown_kernel(now=False)
    assert proxy.wait(10) == 0  # not killed by jupyter_client's fallback (-9)
    assert wait_until_gone(kernel_pid)


def test_a_killed_proxy_takes_its_kernel_with_it(server):
    manager, client, kernel_pid = start_kernel(server)
    client.stop_channels()
    manager.provisioner.process.kill()
    manager.provisioner.process.wait(10)
    assert wait_until_gone(kernel_pid)
    manager.cleanup_resources()


def test_the_proxy_exits_with_the_kernels_exit_status(server):
    manager, client, kernel_pid = start_kernel(server)
    proxy = manager.provisioner.process
    client.execute("import os; os._exit(3)")
    assert proxy.wait(10) == 3
    assert wait_until_gone(kernel_pid)
    client.stop_channels()
    manager.cleanup_resources()


def test_jupyter_path_is_restored(monkeypatch):
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    with kernelpool.ForkServer(preload=()) as pool:
        assert os.environ["JUPYTER_PATH"] == pool.folder
    assert "JUPYTER_PATH" not in os.environ
    monkeypatch.setenv("JUPYTER_PATH", "/opt/jupyter-a")
    with kernelpool.ForkServer(preload=()) as pool:
        assert os.environ["JUPYTER_PATH"] == f"{pool.folder}{os.pathsep}/opt/jupyter-a"
    assert os.environ["JUPYTER_PATH"] == "/opt/jupyter-a"


def test_nothing_is_left_after_the_block(tmp_path):
    with kernelpool.ForkServer(preload=["pandas"]) as pool:
        nb = execute(make_notebook("import os\nprint(os.getpid())"), pool.kernel_name, tmp_path)
        kernel_pid, server_pid, socket_path, folder = int(texts(nb)[0]), pool.process.pid, pool.socket_path, pool.folder
        assert processes_naming(socket_path) == [server_pid]  # the notebook's kernel and proxy have ended
        manager, client, live_kernel_pid = start_kernel(pool)  # one left running when the block ends
        live_proxy = manager.provisioner.process
    assert not is_running(kernel_pid) and not is_running(server_pid) and not is_running(live_kernel_pid)
    assert live_proxy.wait(10) == 1  # its server went away
    assert processes_naming(socket_path) == []
    assert not Path(folder).exists()
    client.stop_channels()
    manager.cleanup_resources()


def test_a_preload_that_fails_is_one_line_and_leaves_nothing():
    before = os.environ.get("JUPYTER_PATH")
    pool = kernelpool.ForkServer(preload=["analysis.no_such_module"])
    with pytest.raises(AnalysisError) as caught:
        pool.start()
    assert str(caught.value) == ("kernel pool: the fork server did not start: cannot preload "
                                 "analysis.no_such_module: ModuleNotFoundError: No module named 'analysis.no_such_module'")
    assert pool.process.poll() == 2
    assert not Path(pool.folder).exists()
    assert os.environ.get("JUPYTER_PATH") == before


def test_main_without_a_command_prints_the_usage_and_returns_2(capsys):
    assert kernelpool.main([]) == 2
    assert capsys.readouterr().err == (
        "usage: python -m analysis.kernelpool serve SOCKET PARENT_PID MODULE... | proxy SOCKET ARGS...\n")
