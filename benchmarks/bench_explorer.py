"""Benchmark the scenario explorer (analysis/explorer.py, site_assets/explorer.js).

Measures on this machine:

1. the fragment's weight per language and size (UTF-8 bytes, and gzip-compressed as a web
   server would send it) against the issue's budget of 50 KB added to the page;
2. the time to build a fragment (configuration from data/ + inlined assets), best of ROUNDS;
3. in headless Chromium (Debian's /usr/bin/chromium), the time from a changed input to every
   output, both charts and the URL updated: UPDATES updates of the price field, each one an
   `input` event handled synchronously; median and worst, against one frame (16 ms).

Prints the numbers and whether each target is met; it does not fail on a miss. Run:
``.venv/bin/python benchmarks/bench_explorer.py`` (or ``make bench``).
"""
from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

from analysis import explorer

BUDGET_BYTES = 50 * 1024
UPDATE_TARGET_MS = 16.0
ROUNDS = 5
UPDATES = 400
CHROMIUM = Path("/usr/bin/chromium")

_TIME_UPDATES = """(n) => {
  const field = document.querySelector('[data-explorer] [data-param="price_yuan_per_kg"]');
  const times = [];
  for (let i = 0; i < n; i++) {
    field.value = String(40 + (i % 400) / 10);
    const start = performance.now();
    field.dispatchEvent(new Event('input'));
    times.push(performance.now() - start);
  }
  return times;
}"""


def weights() -> None:
    print("fragment weight (budget 50 KB = 51,200 bytes)")
    for lang in ("en", "zh"):
        for compact in (False, True):
            data = explorer.explorer_html(lang, compact=compact).encode("utf-8")
            ok = "ok" if len(data) <= BUDGET_BYTES else "OVER BUDGET"
            print(f"  {lang} {'compact' if compact else 'full   '}  {len(data):>7,} bytes  "
                  f"gzip {len(gzip.compress(data, mtime=0)):>6,} bytes  {ok}")


def build_time() -> None:
    explorer.explorer_html("en")  # assets read and minified once per process
    best = min(_timed(lambda: explorer.explorer_html("en")) for _ in range(ROUNDS))
    print(f"build one fragment (assets cached): best of {ROUNDS}: {best * 1000:.1f} ms")


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def update_time() -> None:
    if not CHROMIUM.exists():
        print(f"update time: skipped ({CHROMIUM} not found)")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "explorer.html"
        page_file.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">'
                             f"</head><body>{explorer.explorer_html('en')}</body></html>", encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(page_file.as_uri())
            page.evaluate(_TIME_UPDATES, 20)  # warm up the JIT
            times = page.evaluate(_TIME_UPDATES, UPDATES)
            browser.close()
    median, worst = statistics.median(times), max(times)
    ok = "ok" if median <= UPDATE_TARGET_MS else "SLOWER THAN ONE FRAME"
    print(f"update after an input ({UPDATES} updates, full explorer): median {median:.2f} ms, "
          f"worst {worst:.2f} ms (target median <= {UPDATE_TARGET_MS:.0f} ms): {ok}")


def main() -> int:
    weights()
    build_time()
    update_time()
    return 0


if __name__ == "__main__":
    sys.exit(main())
