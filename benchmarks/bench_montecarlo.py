"""Benchmark of the Monte Carlo (analysis.scenarios.monte_carlo): measures and prints, asserts nothing.

1. 1,000,000 draws, chunked through the compiled kernel (analysis/kernel.py) on MC_LANES threads
   (target: <= 1 s on a 2-core machine), with the parameters built beforehand as for the loops,
   and end to end (p=None: also builds the parameters from data/). The kernel's compilation
   (first call on a machine, then cached in .cache/numba/) is timed apart: a warm-up run.
2. The same computation as a plain Python loop over draws, timed on LOOP_DRAWS draws and
   scaled to 1,000,000 (target ratio: >= 100x): (a) calling the model once per draw, (b) the
   same outputs written out as scalar arithmetic (the fastest loop one could write). Both
   loops do what the Monte Carlo does: draw, compute the outputs, add the first-order sums
   (draws and output per equal-probability bin of each input), then quantiles, means and
   threshold counts.
3. Peak resident memory of a fresh process running 1e6, 1e7 and 1e8 draws (bounded by chunking;
   the fresh process also loads numba and the cached kernel).

Usage: python benchmarks/bench_montecarlo.py [--quick]   (--quick skips the 1e8-draw process)
"""
from __future__ import annotations

import math
import os
import random
import statistics
import subprocess
import sys
import time

from analysis import model, scenarios
from analysis.parameters import assumption_table, get_parameters

DRAWS = 1_000_000
LOOP_DRAWS = 20_000
REPEATS = 7  # best of: this machine is shared, single runs vary by 30% and more
LOOP_REPEATS = 3
SEED = scenarios.DEFAULT_SEED
MEMORY_DRAWS = (1_000_000, 10_000_000, 100_000_000)

# Peak RSS from /proc/self/status (VmHWM): getrusage's ru_maxrss of a child keeps the parent's peak at fork.
CHILD = """
import re, sys, time
from analysis import scenarios
start = time.perf_counter()
draws = int(sys.argv[1])
if draws:
    scenarios.monte_carlo(draws, seed=int(sys.argv[2]))
seconds = time.perf_counter() - start
with open("/proc/self/status") as status:
    print(seconds, re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
"""


def time_vectorised(p=None) -> list[float]:
    """Wall times of REPEATS runs of DRAWS draws (after one warm-up run); *p* None: end to end."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        scenarios.monte_carlo(DRAWS, seed=SEED, p=p)
        times.append(time.perf_counter() - start)
    return times


def _triangular(u: float, low: float, mode: float, high: float) -> float:
    if u < (mode - low) / (high - low):
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))


def _draw_inputs(rng: random.Random, laws, uniforms: list[float]) -> dict[str, float]:
    """One draw of the varied inputs; their uniforms go into *uniforms* (for the first-order sums)."""
    x = {}
    for j, (name, law, low, base, high) in enumerate(laws):
        u = uniforms[j] = rng.random()
        x[name] = _triangular(u, low, base, high) if law == "triangular" else low + (high - low) * u
    return x


def _add_first_order(uniforms: list[float], y: float, counts: list[list[int]], sums: list[list[float]]) -> None:
    """Count the draw and add *y* in each input's equal-probability bin (scenarios.SOBOL_BINS bins)."""
    for u, input_counts, input_sums in zip(uniforms, counts, sums):
        b = int(u * scenarios.SOBOL_BINS)
        input_counts[b] += 1
        input_sums[b] += y


def _laws():
    """The inputs the Monte Carlo draws (never the policy levers), with their laws."""
    table = assumption_table()
    varied = [name for _, name, *_ in scenarios._varied_inputs(())]
    return [(name, table.at[name, "distribution"], *table.loc[name, ["low", "base", "high"]].astype(float))
            for name in varied]


def _summarise(columns: dict[str, list[float]]) -> None:
    """Quantiles, means and threshold counts of the collected outputs, as the vectorised run reports."""
    for values in columns.values():
        statistics.quantiles(values, n=20)
        statistics.fmean(values)
    for share in scenarios.DEFAULT_THRESHOLD_SHARES:
        sum(v >= share for v in columns["share_of_poverty_line"])


def _loop_state(laws):
    """Empty output columns, one uniform per input, first-order counts and sums per input and bin."""
    return ({name: [] for name in scenarios.MC_OUTPUTS}, [0.0] * len(laws),
            [[0] * scenarios.SOBOL_BINS for _ in laws], [[0.0] * scenarios.SOBOL_BINS for _ in laws])


def time_model_loop(draws: int) -> float:
    """A plain Python loop over draws calling the project's model (season_arrays) once per draw."""
    p = get_parameters("base")
    fixed = model.season_inputs(p)
    laws = _laws()
    rng = random.Random(SEED)
    start = time.perf_counter()
    columns, uniforms, counts, sums = _loop_state(laws)
    for _ in range(draws):
        out = model.season_arrays(**(fixed | _draw_inputs(rng, laws, uniforms)))
        for name in scenarios.MC_OUTPUTS:
            columns[name].append(float(out[name]))
        _add_first_order(uniforms, columns[scenarios.SOBOL_OUTPUT][-1], counts, sums)
    _summarise(columns)
    return time.perf_counter() - start


def time_inline_loop(draws: int) -> float:
    """The fastest plain loop: the same outputs written out as scalar Python arithmetic per draw."""
    p = get_parameters("base")
    laws = _laws()
    rng = random.Random(SEED)
    start = time.perf_counter()
    columns, uniforms, counts, sums = _loop_state(laws)
    for _ in range(draws):
        x = _draw_inputs(rng, laws, uniforms)
        revenue = p.segments * x["yield_kg_per_segment"] * x["price_yuan_per_kg"]
        profit = revenue - p.segments * x["cost_yuan_per_segment"]
        pool = p.village_share * max(profit, 0.0)
        households_pool = p.subsidy_fraction * pool  # a policy lever: held at the run's value
        person = households_pool / p.persons
        recipient_person = households_pool / p.recipient_persons
        for name, value in (("per_person_yuan", person), ("per_household_yuan", households_pool / p.households),
                            ("share_of_poverty_line", person / p.poverty_line_yuan),
                            ("households_pool_yuan", households_pool), ("village_pool_yuan", pool),
                            ("enterprise_yuan", profit - pool), ("profit_yuan", profit), ("revenue_yuan", revenue),
                            ("per_recipient_person_yuan", recipient_person),
                            ("per_recipient_household_yuan", households_pool / p.recipient_households),
                            ("recipient_share_of_poverty_line", recipient_person / p.poverty_line_yuan)):
            columns[name].append(value)
        _add_first_order(uniforms, person, counts, sums)
    _summarise(columns)
    return time.perf_counter() - start


def child_run(draws: int) -> tuple[float, int]:
    """(seconds, peak RSS in KiB) of a fresh process running *draws* draws (0 = import only)."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(draws), str(SEED)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), int(out[1])


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    print(f"Monte Carlo benchmark (chunk {scenarios.CHUNK_DRAWS:,} draws; exact quantiles up to "
          f"{scenarios.EXACT_QUANTILE_MAX_DRAWS:,} draws; {scenarios.MC_LANES} lanes on "
          f"{min(scenarios.MC_LANES, os.cpu_count() or 1)} threads; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs)")

    start = time.perf_counter()
    scenarios.monte_carlo(scenarios.EXACT_QUANTILE_MAX_DRAWS + 1, seed=SEED)
    print(f"warm-up: first run above {scenarios.EXACT_QUANTILE_MAX_DRAWS:,} draws in this process (loads numba, "
          f"compiles the kernel or loads it from .cache/numba/): {time.perf_counter() - start:.2f} s")
    for label, p in (("end to end (p=None)", None), ("parameters built beforehand", get_parameters("base"))):
        times = time_vectorised(p)
        best = min(times)
        print(f"compiled kernel, {label}: {DRAWS:,} draws in {best:.3f} s (best of {REPEATS}; all: "
              f"{', '.join(f'{t:.3f}' for t in times)}) -> {DRAWS / best / 1e6:.2f} M draws/s; target <= 1 s")
    print(f"ratios below use the parameters-built-beforehand time ({best:.3f} s), as the loops build them "
          f"beforehand too")

    for label, timer in (("plain Python loop calling the model per draw", time_model_loop),
                         ("plain Python loop, arithmetic written inline", time_inline_loop)):
        loop = min(timer(LOOP_DRAWS) for _ in range(LOOP_REPEATS))
        scaled = loop * DRAWS / LOOP_DRAWS
        print(f"{label}: {LOOP_DRAWS:,} draws in {loop:.3f} s (best of {LOOP_REPEATS}) -> {scaled:.1f} s scaled to {DRAWS:,}; "
              f"ratio {scaled / best:.0f}x; target >= 100x")

    base_seconds, base_kib = child_run(0)
    print(f"fresh process, import only: peak RSS {base_kib / 1024:.0f} MiB")
    for draws in MEMORY_DRAWS:
        if quick and draws > 10_000_000:
            print(f"{draws:,} draws: skipped (--quick)")
            continue
        seconds, kib = child_run(draws)
        print(f"fresh process, {draws:>11,} draws: {seconds - base_seconds:7.2f} s, peak RSS {kib / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
