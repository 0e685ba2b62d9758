"""Benchmark: a full build of the site (every page executed, HTML and PDF by Quarto) from cold caches.

Measures ``python -m analysis site --no-cache --out <tmp>`` with the page cache emptied, so every
page is executed and Quarto renders every edition; then a second run with nothing changed (the
"up to date" path). The target (issue 9) compares the full build with the 95 s a bare ``quarto
render`` of the same pages took here when Quarto executed each page once per format: the build
must take at most 0.6 × 95 s = 57 s per edition. Prints its measurements; it is not a test.
Run: ``.venv/bin/python benchmarks/bench_site.py`` (or ``make bench``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import paths, site  # noqa: E402

BASELINE_S = 95.0  # a bare `quarto render` of the ten pages, each executed twice (measured for issue 9)
TARGET_SHARE = 0.6


def run(out: Path, *extra: str) -> tuple[float, float]:
    """Wall and CPU seconds (this process's children) of one build."""
    before = os.times()
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "analysis", "site", "--out", str(out), *extra], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    after = os.times()
    return time.monotonic() - started, (after.children_user - before.children_user) + (
        after.children_system - before.children_system)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "_site"
        shutil.rmtree(paths.SITE_CACHE_DIR / "executed", ignore_errors=True)
        cold, cold_cpu = run(out, "--no-cache")
        warm, warm_cpu = run(out)
    editions = len(site.EDITIONS)
    per_edition = cold / editions
    print(f"site build, cold caches: {cold:.1f} s wall, {cold_cpu:.1f} CPU-s ({editions} edition(s), "
          f"{len(site.read_pages())} pages each, HTML + PDF)")
    print(f"  per edition: {per_edition:.1f} s; target <= {TARGET_SHARE} x {BASELINE_S:.0f} s = "
          f"{TARGET_SHARE * BASELINE_S:.0f} s: {'met' if per_edition <= TARGET_SHARE * BASELINE_S else 'MISSED'}")
    print(f"site build, nothing changed: {warm:.1f} s wall, {warm_cpu:.1f} CPU-s")
    print(f"  load average now: {os.getloadavg()[0]:.1f} (other processes share the {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
