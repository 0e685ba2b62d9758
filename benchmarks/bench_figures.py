"""Benchmark of the figure export: measures and prints, asserts nothing.

Target (issue 4): every figure × 3 formats (PNG, SVG, PDF) × one language in <= 15 s on a
2-core machine. Each run is a fresh ``python -m analysis figures`` process into a temporary
folder (so imports, data loading and the model are included), with 1 and with 2 render
processes, for English and Chinese at the default size. The first run also builds the cached
working font if it is missing (reported separately).

Usage: python benchmarks/bench_figures.py [--repeats N]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 15.0


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_export(lang: str, jobs: int, out: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``python -m analysis figures`` process (all figures, all formats)."""
    cpu = _children_cpu_s()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "figures", "--lang", lang, "--jobs", str(jobs),
                    "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - start, _children_cpu_s() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from analysis import figures, style

    start = time.perf_counter()
    style.working_font_path()
    print(f"working font ready in {time.perf_counter() - start:.2f} s ({style.working_font_path().name})")
    print(f"{len(figures.FIGURES)} figures x {len(style.FORMATS)} formats x 1 language, size {style.DEFAULT_SIZE}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for lang in style.LANGUAGES:
            for jobs in (1, 2):
                runs = [run_export(lang, jobs, Path(tmp) / f"{lang}{jobs}{i}") for i in range(args.repeats)]
                times = [wall for wall, _ in runs]
                best = min(times)
                verdict = "meets" if best <= TARGET_S else "MISSES"
                print(f"lang={lang} jobs={jobs}: best {best:.2f} s, median {statistics.median(times):.2f} s wall "
                      f"(CPU {min(cpu for _, cpu in runs):.2f} s) over {args.repeats} runs, load "
                      f"{os.getloadavg()[0]:.1f} -> {verdict} the {TARGET_S:.0f} s target")
        files = sum(1 for p in Path(tmp).rglob("*") if p.is_file())
    print(f"({files} files written in all runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
