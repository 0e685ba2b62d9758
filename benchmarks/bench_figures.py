"""Benchmark of the figure export: measures and prints, asserts nothing.

Target (issue 4): every figure × 3 formats (PNG, SVG, PDF) × one language in <= 15 s on a
2-core machine. Each run is a fresh ``python -m analysis figures`` process into a temporary
folder (so imports, data loading and the model are included), with 1 and with 2 render
processes, for English and Chinese at the default size, and for both languages at once (what
``make site`` runs). The first run also builds the cached working and figure fonts if they are
missing (reported separately). Last, the rendering of the site's export is split by step in
this process (drawing, then PNG, SVG, PDF; fonts ready): CPU seconds, best of the repeats.

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
from collections import defaultdict
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


def time_steps(repeats: int) -> dict[str, float]:
    """CPU seconds per step of rendering every figure in both languages at the default size, in this process."""
    from analysis import figures, style

    style.prepare_rendering(style.FORMATS)
    for figure_id in figures.FIGURES:
        figures.prepared(figure_id)
    best: dict[str, float] = {}
    for _ in range(repeats):
        steps: dict[str, float] = defaultdict(float)
        for figure_id in figures.FIGURES:
            for lang in style.LANGUAGES:
                start = time.process_time()
                fig = figures.make_figure(figure_id, lang, style.DEFAULT_SIZE, df=figures.prepared(figure_id))
                steps["draw calls"] += time.process_time() - start
                with style.figure_style(style.DEFAULT_SIZE):
                    for fmt in style.FORMATS:  # the first format also lays the figure out, as in the export
                        start = time.process_time()
                        style.render_formats(fig, [fmt])
                        steps[fmt] += time.process_time() - start
        if not best or sum(steps.values()) < sum(best.values()):
            best = dict(steps)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from fontTools.ttLib import TTFont

    from analysis import figures, style

    start = time.perf_counter()
    style.working_font_path()
    print(f"working font ready in {time.perf_counter() - start:.2f} s ({style.working_font_path().name})")
    start = time.perf_counter()
    style.figure_font_path()
    with TTFont(str(style.figure_font_path()), lazy=True) as font:
        glyphs = len(font.getGlyphOrder())
    print(f"figure font ready in {time.perf_counter() - start:.2f} s ({style.figure_font_path().name}, "
          f"{glyphs} glyphs, {style.figure_font_path().stat().st_size / 1e6:.2f} MB)")
    print(f"{len(figures.FIGURES)} figures x {len(style.FORMATS)} formats x 1 language, size {style.DEFAULT_SIZE}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for lang in (*style.LANGUAGES, "all"):
            for jobs in (1, 2):
                runs = [run_export(lang, jobs, Path(tmp) / f"{lang}{jobs}{i}") for i in range(args.repeats)]
                times = [wall for wall, _ in runs]
                best = min(times)
                target = TARGET_S * (len(style.LANGUAGES) if lang == "all" else 1)
                verdict = "meets" if best <= target else "MISSES"
                print(f"lang={lang} jobs={jobs}: best {best:.2f} s, median {statistics.median(times):.2f} s wall "
                      f"(CPU {min(cpu for _, cpu in runs):.2f} s) over {args.repeats} runs, load "
                      f"{os.getloadavg()[0]:.1f} -> {verdict} the {target:.0f} s target")
        files = sum(1 for p in Path(tmp).rglob("*") if p.is_file())
    print(f"({files} files written in all runs)")
    steps = time_steps(args.repeats)
    print(f"in-process, {len(figures.FIGURES)} figures x {len(style.LANGUAGES)} languages at {style.DEFAULT_SIZE} "
          f"(PNG {style.SIZES[style.DEFAULT_SIZE].png_dpi:g} dpi), CPU s best of {args.repeats}: "
          + ", ".join(f"{step} {seconds:.2f}" for step, seconds in steps.items())
          + f"; total {sum(steps.values()):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
