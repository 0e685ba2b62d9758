"""Benchmark `make site` (offline-preview path) against plain sequential nbconvert.

Measures, in one run, on this machine (1 and 2 alternate ROUNDS times; best of, with the CPU
seconds each used, since this 2-core machine is shared and single runs vary):

1. baseline: ``jupyter nbconvert --execute --to html`` of the same page notebooks, one after
   the other in one process (the plain way), into a temporary folder;
2. cold ``make site``: ``.cache/site/`` and ``_site/`` removed first (figures, tables and
   every notebook are rebuilt; the .venv and the machine's caches in .cache/fonts and
   .cache/numba are warm);
3. no-op ``make site``: run again with nothing changed;
4. the weight of each page of ``_site/``: its HTML plus the images, stylesheet and font it
   loads.

Targets (issue 5): cold <= 0.6 x baseline, no-op <= 2 s, each page <= 2 MB. The script prints
the numbers and whether each target is met; it does not fail on a miss (it is a measurement,
not a test). Run: ``.venv/bin/python benchmarks/bench_site.py`` (or ``make bench``).
"""
from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import paths, site

COLD_RATIO_TARGET = 0.6
ROUNDS = 2  # baseline and cold build alternate this many times (this machine is shared: best of)
NOOP_TARGET_S = 2.0
PAGE_TARGET_BYTES = 2 * 1024 * 1024


def timed(command: list[str], **kwargs) -> float:
    """Seconds taken by *command*; exits with its status if it fails. The CPU seconds it used
    (user + system of it and its children) are added to CPU_SECONDS[-1]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True, **kwargs)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS[-1] += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"bench_site: {' '.join(command)} failed with status {result.returncode}")
    return seconds


CPU_SECONDS = [0.0]


def measured(command: list[str], **kwargs) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of *command*."""
    CPU_SECONDS.append(0.0)
    return timed(command, **kwargs), CPU_SECONDS.pop()


def page_weight(site_dir: Path, page: Path) -> int:
    """Bytes a browser loads for *page*: the HTML and every local src/href stylesheet, image, font."""
    text = page.read_text(encoding="utf-8")
    loaded = {page.resolve()}
    refs = re.findall(r'<(?:img|script)[^>]+src="([^"#?]+)"', text)
    refs += re.findall(r'<link[^>]+href="([^"#?]+)"', text)
    for ref in refs:
        if re.match(r"(?i)[a-z]+:", ref):
            continue
        target = (page.parent / ref).resolve()
        if target.is_file():
            loaded.add(target)
            if target.suffix == ".css":
                for font in re.findall(r'url\("?([^")]+)"?\)', target.read_text(encoding="utf-8")):
                    font_path = (target.parent / font).resolve()
                    if font_path.is_file():
                        loaded.add(font_path)
    return sum(path.stat().st_size for path in loaded)


def main() -> int:
    pages = site.read_pages()
    notebooks = [str(paths.ROOT / page.source) for page in pages]
    env = dict(os.environ)
    if site.find_quarto(try_install=False):
        print("bench_site: NOTE quarto is on PATH, so `make site` renders the Quarto site, not the preview")

    # make sure figures/tables exist for the baseline (the gallery and data pages read them)
    timed(["make", "--no-print-directory", "site"], env=env)

    jupyter = str(Path(sys.executable).parent / "jupyter")
    baselines, colds = [], []
    for _ in range(ROUNDS):  # alternate, so both see the same machine load
        with tempfile.TemporaryDirectory(prefix="bench-nbconvert-") as out:
            baselines.append(measured([jupyter, "nbconvert", "--execute", "--to", "html", "--output-dir", out,
                                       *notebooks], env=env))
        shutil.rmtree(paths.SITE_CACHE_DIR, ignore_errors=True)
        shutil.rmtree(paths.SITE_DIR, ignore_errors=True)
        colds.append(measured(["make", "--no-print-directory", "site"], env=env))
    noop = timed(["make", "--no-print-directory", "site"], env=env)

    # What `make site` writes besides the pages, done the plain way (sequential commands): the
    # baseline above executes the notebooks only, while a cold `make site` also writes these.
    export = sum(timed([sys.executable, "-m", "analysis", name, *argv], env=env)
                 for name, argv in site.SITE_OUTPUT_COMMANDS)

    baseline, baseline_cpu = min(baselines)
    cold, cold_cpu = min(colds)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {len(notebooks)} pages, "
          f"load average {os.getloadavg()[0]:.2f}; best of {ROUNDS} alternating rounds")
    print(f"baseline  jupyter nbconvert --execute --to html, sequential: {baseline:7.2f} s  ({baseline_cpu:.1f} CPU-s; "
          f"all: {', '.join(f'{w:.1f}' for w, _ in baselines)})")
    ratio = cold / baseline
    print(f"cold      make site (no .cache/site, no _site):             {cold:7.2f} s  ({cold_cpu:.1f} CPU-s; "
          f"all: {', '.join(f'{w:.1f}' for w, _ in colds)})\n"
          f"          = {ratio:.2f} x baseline (target <= {COLD_RATIO_TARGET}) {'OK' if ratio <= COLD_RATIO_TARGET else 'MISSED'}")
    full = baseline + export
    print(f"baseline + the same figures/tables export, sequential:     {full:7.2f} s  "
          f"(export {export:.2f} s); cold = {cold / full:.2f} x that")
    print(f"no-op     make site (nothing changed):                      {noop:7.2f} s  "
          f"(target <= {NOOP_TARGET_S:.0f} s) {'OK' if noop <= NOOP_TARGET_S else 'MISSED'}")
    print("page weights (HTML + images + CSS + font loaded by the page):")
    for page in pages:
        weight = page_weight(paths.SITE_DIR, paths.SITE_DIR / page.html_path)
        flag = "OK" if weight <= PAGE_TARGET_BYTES else "OVER 2 MB"
        print(f"  {page.html_path:<45} {weight / 1024:8.0f} KiB  {flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
