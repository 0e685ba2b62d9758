"""Scenarios on the income model: presets, sensitivity, break-even grid, Monte Carlo, the policy
levers as axes, what the dividend implies for the exits from poverty, the year-by-year contract
paths and the enterprise's payback; and three commands:

    python -m analysis scenario [--preset low|base|high] [--set NAME=VALUE ...] [--json]
    python -m analysis sensitivity [--preset P] [--set NAME=VALUE ...] [--output NAME] [--json]
    python -m analysis montecarlo --draws N [--seed S] [--force] [--preset P] [--set NAME=VALUE ...] [--json]

Presets take the low, base or high column of every row of ``data/assumptions.csv``
(not "pessimistic"/"optimistic": a low cost raises profit). Bad input raises
:class:`~analysis.errors.ParameterError` (exit 2, one line on stderr): values out of range,
values whose outputs overflow (named), more than MAX_DRAWS draws without ``--force``, seeds
outside 0..MAX_SEED. The Monte Carlo draws only uncertainties; the policy levers
(:data:`analysis.parameters.POLICY_LEVERS`) are held at the run's values and shown as axes
(:func:`subsidy_share_curve`).

Functions for the report (each returns a tidy DataFrame or a dict; columns in its docstring):
:func:`presets_table`, :func:`sensitivity`, :func:`break_even_grid`, :func:`monte_carlo`,
:func:`subsidy_share_curve`, :func:`poverty_gap_lift`, :func:`exits_explained`,
:func:`poverty_line_by_year`, :func:`contract_paths`, :func:`contract_term_summary`,
:func:`enterprise_payback`, :func:`booked_cost_sensitivity`; in :mod:`analysis.model`:
:func:`~analysis.model.income_channel_recipients`, :func:`~analysis.model.wage_bill_check`.
"""
from __future__ import annotations

import json
import math
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import model
from analysis.errors import ParameterError
from analysis.parameters import (
    ASSUMPTION_NAMES, POLICY_LEVERS, PRESETS, SETTABLE, Parameters, assumption_table, check_value, format_number,
    get_parameters, outside_range, parameter_table, to_number,
)

DEFAULT_SEED = 20180604  # any fixed integer; this one is the article's date
DEFAULT_THRESHOLD_SHARES = (0.10, 0.25, 0.50)  # per-person transfer as a share of the poverty line
QUANTILES = (0.05, 0.25, 0.50, 0.75, 0.95)
GRID_MARGIN_SHARE = 0.25  # the break-even grid spans each assumption's low-high widened by this share
CHUNK_DRAWS = 1 << 16  # Monte Carlo draws evaluated at once (bounds memory: 512 KiB per float array)
EXACT_QUANTILE_MAX_DRAWS = 100_000  # above this, quantiles come from fine histograms (bounded memory, faster)
HISTOGRAM_BINS = 1 << 16
MC_LANES = 2  # above EXACT_QUANTILE_MAX_DRAWS, chunk k goes to lane k % MC_LANES; lanes run on threads
SOBOL_BINS = 32  # equal-probability bins of each input for first-order indices
SAMPLES_KEPT = 10_000
MC_OUTPUTS: tuple[str, ...] = (
    "per_person_yuan", "per_household_yuan", "share_of_poverty_line", "households_pool_yuan", "village_pool_yuan",
    "enterprise_yuan", "profit_yuan", "revenue_yuan", "per_recipient_person_yuan", "per_recipient_household_yuan",
    "recipient_share_of_poverty_line",
)
SOBOL_OUTPUT = "per_person_yuan"
# first_order also reports these outputs: each is SOBOL_OUTPUT times a constant in every run (the
# recipients are policy levers, never drawn), so its variance shares are SOBOL_OUTPUT's.
SOBOL_ALSO = ("per_recipient_person_yuan",)
MAX_SEED = 2**63 - 1  # seeds are signed 64-bit integers (what JSON readers and other languages hold)
EXACT_FLOAT_INTEGER = 2**53  # above this, a number written with an exponent or a point may have been rounded
# The command line refuses more draws than this without --force: `montecarlo --draws 1e9` took 26 s on
# the 2-core build machine (December 2026, with other work running), so 1e10 would take minutes, 1e12 hours.
MAX_DRAWS = 1_000_000_000
MAX_DRAWS_TIME = "about 30 s on 2 cores"
WAIT_SECONDS = 0.1  # the main thread waits for the lanes in steps of this, so Ctrl-C stops a run between chunks


# --- presets, sensitivity, grid ----------------------------------------------------------------------

def presets_table() -> pd.DataFrame:
    """One row per preset (low, base, high): column ``preset`` then every key of :func:`model.season`."""
    rows = [{"preset": preset, **model.season(get_parameters(preset))} for preset in PRESETS]
    return pd.DataFrame(rows)


def _check_output(output: str) -> str:
    if output not in model.SEASON_OUTPUTS:
        raise ParameterError(f"output={output}: choose one of {', '.join(model.SEASON_OUTPUTS)}")
    return output


def sensitivity(p: Parameters | None = None, output: str = "per_person_yuan") -> pd.DataFrame:
    """One-at-a-time sensitivity of a season output to each assumption over its low-high range.

    Each assumption in turn is set to its low and its high value, all others staying at *p*
    (default: the base preset). Columns: parameter, label_en, label_zh, unit, low, base, high
    (of the table), output_low, output_high, output_base (at *p*), swing = |output_high -
    output_low|, value (*p*'s value of the parameter), outside_range (value outside low-high: the
    run's output_base then lies outside the bar from output_low to output_high, and a tornado
    shows both ends and marks it), is_zero_swing (swing == 0: no effect at these parameters, e.g.
    wages, which do not enter the season, or yield when the price is so low that there is no
    profit at either end), is_policy_lever (a choice, not an uncertainty: subsidy_fraction);
    sorted by swing, largest first (ties keep table order).
    """
    p = p or get_parameters("base")
    output = _check_output(output)
    table = assumption_table()
    output_base = model.season(p)[output]
    flags = outside_range(p)
    rows = []
    for name in ASSUMPTION_NAMES:
        row = table.loc[name]
        at_low = model.season(p.replace(**{name: row["low"]}))[output]
        at_high = model.season(p.replace(**{name: row["high"]}))[output]
        swing = abs(at_high - at_low)
        rows.append({"parameter": name, "label_en": row["label_en"], "label_zh": row["label_zh"],
                     "unit": row["unit"], "low": float(row["low"]), "base": float(row["base"]),
                     "high": float(row["high"]), "output_low": at_low, "output_high": at_high,
                     "output_base": output_base, "swing": swing, "value": float(getattr(p, name)),
                     "outside_range": bool(flags[name]), "is_zero_swing": bool(swing == 0),
                     "is_policy_lever": name in POLICY_LEVERS})
    frame = pd.DataFrame(rows)
    return frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def _widened_range(table: pd.DataFrame, name: str, n: int) -> np.ndarray:
    row = table.loc[name]
    low, high = float(row["low"]), float(row["high"])
    margin = (high - low) * GRID_MARGIN_SHARE
    return np.linspace(max(low - margin, 0.0), high + margin, n)


def break_even_grid(p: Parameters | None = None, prices=None, yields=None, n: int = 41) -> pd.DataFrame:
    """Season outputs over a price x yield grid (long format, price outer, yield inner).

    Columns: price_yuan_per_kg, yield_kg_per_segment, profit_yuan, per_person_yuan,
    share_of_poverty_line. Default axes: *n* points over each assumption's low-high widened by
    GRID_MARGIN_SHARE of the range on each side. Other inputs from *p* (default base preset).
    """
    p = p or get_parameters("base")
    if int(n) < 2:
        raise ParameterError(f"n={n}: must be an integer >= 2")
    table = assumption_table() if prices is None or yields is None else None  # read and checked once
    prices = _widened_range(table, "price_yuan_per_kg", int(n)) if prices is None else np.asarray(prices, dtype=float)
    yields = _widened_range(table, "yield_kg_per_segment", int(n)) if yields is None else np.asarray(yields, dtype=float)
    for name, axis in (("price_yuan_per_kg", prices), ("yield_kg_per_segment", yields)):
        for value in axis:
            check_value(name, value)
    price_grid, yield_grid = np.meshgrid(prices, yields, indexing="ij")
    inputs = model.season_inputs(p) | {"price_yuan_per_kg": price_grid, "yield_kg_per_segment": yield_grid}
    out = model.season_arrays(**inputs)
    return pd.DataFrame({
        "price_yuan_per_kg": price_grid.ravel(), "yield_kg_per_segment": yield_grid.ravel(),
        "profit_yuan": out["profit_yuan"].ravel(), "per_person_yuan": out["per_person_yuan"].ravel(),
        "share_of_poverty_line": out["share_of_poverty_line"].ravel(),
    })


# --- Monte Carlo ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonteCarloResult:
    """The summary of a Monte Carlo run.

    quantiles: output, q05, q25, q50, q75, q95, mean (one row per MC_OUTPUTS).
    threshold_probabilities: threshold_share, threshold_yuan, probability that the per-person
    transfer reaches threshold_share x poverty line.
    samples: the first ``keep`` draws (varied inputs and MC_OUTPUTS), for plotting.
    first_order: parameter, label_en, label_zh, output, first_order_index (variance share of
    per_person_yuan explained by each varied input alone; binning estimator), then the same rows
    for per_recipient_person_yuan (SOBOL_ALSO: a constant multiple of per_person_yuan in every
    run, since the recipients are never drawn, so the same shares).
    varied: the uncertain inputs drawn (never a policy lever); exact_quantiles: False when histograms were used (draws above
    EXACT_QUANTILE_MAX_DRAWS; error below 1/65536 of each output's range).
    """

    draws: int
    seed: int
    quantiles: pd.DataFrame
    threshold_probabilities: pd.DataFrame
    samples: pd.DataFrame
    first_order: pd.DataFrame
    varied: tuple[str, ...]
    exact_quantiles: bool


def check_count(name: str, value, minimum: int, maximum: int | None = None) -> int:
    """*value* as an exact integer >= *minimum* (and <= *maximum*); accepts 1000, '1000', '1e6', 1e6.

    Digits are read exactly at any size; a number written with an exponent or a decimal point
    (or given as a float) only up to 2**53, where every integer is exact (above, '1e20' or
    9007199254740993.0 may stand for a rounded value). ParameterError, one line naming it:
    ``draws=2.5: must be an integer > 0``, ``seed=1e20: must be an integer written in digits
    (from 2**53 a number with an exponent or a point is not exact)``,
    ``seed=9223372036854775808: must be an integer between 0 and 9223372036854775807``.
    """
    rule = f"must be an integer >= {minimum}" if minimum != 1 else "must be an integer > 0"
    if maximum is not None:
        rule = f"must be an integer between {minimum} and {maximum}"
    if isinstance(value, bool):
        raise ParameterError(f"{name}={value}: {rule}")
    if isinstance(value, (int, np.integer)):
        number = int(value)
    else:
        text = value.strip() if isinstance(value, str) else value
        try:
            number = int(text) if isinstance(text, str) else None  # exact digits ('12', '-3', '1_000')
        except ValueError:
            number = None
        if number is None:
            try:
                approx = float(text)
            except (TypeError, ValueError):
                raise ParameterError(f"{name}={value}: {rule}") from None
            if not math.isfinite(approx) or not approx.is_integer():
                raise ParameterError(f"{name}={value}: {rule}")
            if abs(approx) >= EXACT_FLOAT_INTEGER:
                raise ParameterError(f"{name}={value}: must be an integer written in digits (from 2**53 a number "
                                     "with an exponent or a point is not exact)")
            number = int(approx)
    if number < minimum or (maximum is not None and number > maximum):
        raise ParameterError(f"{name}={value}: {rule}")
    return number


def _inverse_cdf(u: np.ndarray, distribution: str, low: float, mode: float, high: float) -> np.ndarray:
    """Values at uniforms *u* of the triangular (low, mode, high) or uniform (low, high) law, by
    the inverse CDF (kernel.chunk does the same operations in the same order)."""
    width = high - low
    if distribution != "triangular":
        return low + u * width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.where(u < (mode - low) / width, left, right)


def _varied_inputs(fixed: tuple[str, ...], table: pd.DataFrame | None = None
                   ) -> list[tuple[int, str, str, float, float, float]]:
    """(stream index, name, distribution, low, base, high) of each season input the Monte Carlo draws."""
    table = assumption_table() if table is None else table
    varied = []
    for index, name in enumerate(ASSUMPTION_NAMES):
        row = table.loc[name]
        if (name in model.SEASON_INPUTS and name not in fixed and name not in POLICY_LEVERS
                and row["distribution"] != "fixed" and row["low"] < row["high"]):
            varied.append((index, name, row["distribution"], float(row["low"]), float(row["base"]),
                           float(row["high"])))
    return varied


def _output_bounds(p: Parameters, varied) -> dict[str, tuple[float, float]]:
    """Min and max of each MC output over the corners of the varied inputs' box.

    Every season output is monotone in each input, so its extremes lie on the corners.
    """
    corners = np.array(np.meshgrid(*[[low, high] for _, _, _, low, _, high in varied], indexing="ij"))
    inputs = model.season_inputs(p) | {v[1]: corners[i].ravel() for i, v in enumerate(varied)}
    out = model.season_arrays(**inputs)
    return {name: (float(np.min(out[name])), float(np.max(out[name]))) for name in MC_OUTPUTS}


def _histogram_quantiles(counts: np.ndarray, low: float, high: float, qs) -> list[float]:
    """Quantiles *qs* of the draws counted in equal bins between *low* and *high*, each
    interpolated linearly inside its bin."""
    if high <= low:
        return [low for _ in qs]
    cumulative = np.cumsum(counts)
    width = (high - low) / len(counts)
    targets = np.asarray(qs, dtype=float) * cumulative[-1]
    result = []
    for target, b in zip(targets, np.searchsorted(cumulative, targets, side="left").tolist()):  # one search
        before = cumulative[b - 1] if b else 0
        inside = (target - before) / counts[b] if counts[b] else 0.0
        result.append(float(low + (b + inside) * width))
    return result


class _Draws:
    """The varied inputs' streams: one PCG64 generator per input, spawned from the seed by the
    input's position in the assumptions table; row j of the uniforms is input j's stream."""

    def __init__(self, varied, seed: int, size: int):
        streams = np.random.SeedSequence(seed).spawn(len(ASSUMPTION_NAMES))
        self.generators = [np.random.Generator(np.random.PCG64(streams[index])) for index, *_ in varied]
        self.uniforms = np.empty((len(varied), size))

    def skip(self, n: int) -> None:
        """Move every stream past *n* draws (one 64-bit PCG64 output per uniform)."""
        for generator in self.generators:
            generator.bit_generator.advance(n)

    def next(self, n: int) -> np.ndarray:
        """The next *n* uniforms of every stream, shape (inputs, n): a view into a reused buffer,
        valid until the next call."""
        for generator, row in zip(self.generators, self.uniforms):
            generator.random(n, out=row[:n])
        return self.uniforms[:, :n]


class _FirstOrderSums:
    """Running sums for first-order indices: draws and sum of the output per equal-probability
    bin (SOBOL_BINS of them) of each input's uniform, and the output's sum and sum of squares."""

    def __init__(self, count: int):
        self.counts = np.zeros((count, SOBOL_BINS), dtype=np.int64)
        self.sums = np.zeros((count, SOBOL_BINS))
        self.totals = np.zeros(2)  # sum and sum of squares of the output

    def add(self, uniforms: np.ndarray, y: np.ndarray) -> None:
        """Add the draws of *y* binned by each row of *uniforms* (the exact path; kernel.chunk
        adds to the same arrays)."""
        self.totals += float(y.sum()), float(np.square(y).sum())
        for row, counts, sums in zip(uniforms, self.counts, self.sums):
            index = (row * SOBOL_BINS).astype(np.int64)  # 0 <= u < 1, so the bin is below SOBOL_BINS
            counts += np.bincount(index, minlength=SOBOL_BINS)
            sums += np.bincount(index, weights=y, minlength=SOBOL_BINS)

    def merge(self, other: "_FirstOrderSums") -> None:
        """Add the sums of *other* (same inputs) to these."""
        self.counts += other.counts
        self.sums += other.sums
        self.totals += other.totals


# Outputs that are households_pool_yuan divided by inputs (the product of these inputs).
POOL_RATIOS = {"per_household_yuan": ("households",), "per_person_yuan": ("persons",),
               "share_of_poverty_line": ("persons", "poverty_line_yuan"),
               "per_recipient_person_yuan": ("recipient_persons",),
               "per_recipient_household_yuan": ("recipient_households",),
               "recipient_share_of_poverty_line": ("recipient_persons", "poverty_line_yuan")}


class _Lane:
    """One lane's running results on the histogram path (every MC_LANES-th chunk): HISTOGRAM_BINS-
    bin histograms and sums of the *computed* outputs, counts of draws where *tested* reaches each
    of *limits*, first-order sums of *weight* and the kept input values; :func:`kernel.chunk`
    adds each chunk to them."""

    def __init__(self, varied, computed: list[str], bounds: dict, tested: str, limits, weight: str, size: int):
        from analysis import kernel
        self.chunk = kernel.chunk
        self.tested, self.weight = kernel.OUTPUTS.index(tested), kernel.OUTPUTS.index(weight)
        self.laws = np.array([(kernel.TRIANGULAR if law == "triangular" else kernel.UNIFORM, low, mode, high)
                              for _, _, law, low, mode, high in varied], dtype=float).reshape(len(varied), 4)
        self.positions = np.array([kernel.INPUTS.index(name) for _, name, *_ in varied], dtype=np.int64)
        self.histogrammed = np.array([kernel.OUTPUTS.index(name) for name in computed], dtype=np.int64)
        self.bounds = np.array([(low, HISTOGRAM_BINS / (high - low) if high > low else 0.0)
                                for low, high in (bounds[name] for name in computed)]).reshape(len(computed), 2)
        self.counts = np.zeros((len(computed), HISTOGRAM_BINS), dtype=np.int64)
        self.sums = np.zeros(len(computed))
        self.limits = np.asarray(limits, dtype=float)
        self.reached = np.zeros(len(self.limits), dtype=np.int64)
        self.first_order = _FirstOrderSums(len(varied))
        self.values = np.empty((len(varied), size))
        self.kept: dict[int, np.ndarray] = {}

    def add(self, start: int, uniforms: np.ndarray, inputs: np.ndarray, keep: int) -> None:
        """Evaluate the chunk of draws starting at draw *start* from its *uniforms* (one row per
        varied input), the other season *inputs* as in kernel.INPUTS; keep its first draws below *keep*."""
        n = uniforms.shape[1]
        self.chunk(uniforms, self.laws, self.positions, inputs, self.values, self.histogrammed, self.bounds,
                   self.counts, self.sums, self.tested, self.limits, self.reached, self.weight,
                   self.first_order.counts, self.first_order.sums, self.first_order.totals)
        if start < keep:
            self.kept[start] = self.values[:, :min(n, keep - start)].copy()

    def merge(self, other: "_Lane") -> None:
        """Add *other*'s results (same inputs and outputs) to these."""
        self.counts += other.counts
        self.sums += other.sums
        self.reached += other.reached
        self.first_order.merge(other.first_order)
        self.kept |= other.kept


def monte_carlo(draws: int, seed: int = DEFAULT_SEED, p: Parameters | None = None, thresholds=None,
                keep: int = SAMPLES_KEPT, fixed: tuple[str, ...] = (), chunk: int = CHUNK_DRAWS,
                progress: bool = False) -> MonteCarloResult:
    """Seeded Monte Carlo of one season over the uncertain assumptions' distributions.

    Each season input with a non-fixed distribution (and not named in *fixed*, and not a policy
    lever: subsidy_fraction, recipient_households, recipient_persons are choices, held at *p*'s
    values) is drawn from its triangular (mode = base) or uniform law on low-high by the inverse
    CDF of uniforms; everything else is taken from *p* (default: base preset). Each input has its
    own PCG64 stream (spawned from *seed* by its position in the assumptions table), so results
    do not depend on *chunk* (sums may differ in the last bits). Up to EXACT_QUANTILE_MAX_DRAWS
    draws, all outputs are kept (numpy) and the quantiles are exact (np.quantile); above, draws go
    in chunks of *chunk* through the compiled kernel (:mod:`analysis.kernel`; memory bounded by
    *chunk* x MC_LANES) and the quantiles come from 65,536-bin histograms between analytic
    bounds; chunk k goes to lane k % MC_LANES, lanes run on threads (results do not depend on
    the number of threads). Ctrl-C (KeyboardInterrupt) stops the lanes between chunks and is
    raised again. *thresholds*: shares of the poverty line (default DEFAULT_THRESHOLD_SHARES).

    Raises ParameterError for draws <= 0, a seed outside 0..MAX_SEED, a negative keep, a
    threshold outside 0-1, or parameters whose outputs overflow (inf or NaN).
    """
    draws = check_count("draws", draws, 1)
    seed = check_count("seed", seed, 0, MAX_SEED)
    keep = min(check_count("keep", keep, 0), draws)
    chunk = check_count("chunk", chunk, 1)
    shares = tuple(DEFAULT_THRESHOLD_SHARES if thresholds is None else thresholds)
    for share in shares:
        value = to_number("threshold_share", share)
        if not 0 <= value <= 1:
            raise ParameterError(f"threshold_share={format_number(value)}: must be between 0 and 1")
    p = p or get_parameters("base")
    table = assumption_table()                        # read once (it is read from disk and validated)
    varied = _varied_inputs(tuple(fixed), table)
    names = [name for _, name, *_ in varied]
    fixed_inputs = model.season_inputs(p)
    bounds = _output_bounds(p, varied)
    largest = max(abs(value) for value in bounds[SOBOL_OUTPUT])
    overflowing = [name for name, (low, high) in bounds.items() if not (math.isfinite(low) and math.isfinite(high))]
    if overflowing or not math.isfinite(largest * largest * draws):
        raise ParameterError(f"{(overflowing or [SOBOL_OUTPUT])[0]}: overflows (inf or nan) over the drawn ranges "
                             "at these parameters: use values of a smaller magnitude")
    exact = draws <= EXACT_QUANTILE_MAX_DRAWS
    if exact:                                         # every draw held (at most 100,000)
        first_order = _FirstOrderSums(len(varied))
        uniforms = _Draws(varied, seed, draws).next(draws)
        values = {name: _inverse_cdf(u, law, low, mode, high) for u, (_, name, law, low, mode, high)
                  in zip(uniforms, varied)}
        out = model.season_arrays(**(fixed_inputs | values))
        outputs = {name: np.broadcast_to(out[name], (draws,)) for name in MC_OUTPUTS}
        kept = np.array([values[name][:keep] for name in names]).reshape(len(names), keep)
        reached = np.array([np.count_nonzero(outputs["share_of_poverty_line"] >= share) for share in shares])
        first_order.add(uniforms, np.ascontiguousarray(outputs[SOBOL_OUTPUT]))
        quantiles = {name: np.quantile(outputs[name], QUANTILES) for name in MC_OUTPUTS}
        means = {name: float(outputs[name].mean()) for name in MC_OUTPUTS}
    else:
        # An output that is another one times a positive constant over the whole box has the same
        # histogram bins (up to rounding) and a scaled sum: it is not counted per draw. So are
        # per household, per person and share of the line (households' pool over fixed inputs) and,
        # when the profit cannot be negative, the village pool and the enterprise's part.
        size = min(chunk, draws)
        divisors = {name: math.prod(fixed_inputs[i] for i in inputs) for name, inputs in POOL_RATIOS.items()
                    if not set(inputs) & set(names)}
        multiples = {name: ("households_pool_yuan", 1.0 / divisor) for name, divisor in divisors.items()}
        village_share = float(fixed_inputs["village_share"])
        if bounds["profit_yuan"][0] >= 0 and 0 < village_share < 1 and "village_share" not in names:
            multiples |= {"village_pool_yuan": ("profit_yuan", village_share),
                          "enterprise_yuan": ("profit_yuan", 1.0 - village_share)}
        computed = [name for name in MC_OUTPUTS if name not in multiples]
        line = "share_of_poverty_line"
        tested, limits = ((line, shares) if line in computed else
                          ("households_pool_yuan", [share * divisors[line] for share in shares]))
        weight = SOBOL_OUTPUT if SOBOL_OUTPUT in computed else "households_pool_yuan"
        from analysis import kernel
        inputs = np.array([float(fixed_inputs[name]) for name in kernel.INPUTS])
        # Load (or compile) the kernel here, in the main thread, where Ctrl-C is received: an empty chunk.
        _Lane(varied, computed, bounds, tested, limits, weight, size).add(0, np.empty((len(varied), 0)), inputs, 0)
        stop = threading.Event()

        def run_lane(lane: int) -> _Lane:
            """Every MC_LANES-th chunk from chunk *lane*, with this lane's own streams and sums;
            returns early (its sums incomplete) once *stop* is set."""
            stream, results = _Draws(varied, seed, size), _Lane(varied, computed, bounds, tested, limits, weight, size)
            stream.skip(lane * size)
            for start in range(lane * size, draws, size * MC_LANES):
                if stop.is_set():
                    break
                n = min(size, draws - start)
                results.add(start, stream.next(n), inputs, keep)
                stream.skip(size * (MC_LANES - 1))
                with bar_lock:
                    bar.update(n)
            return results

        from tqdm import tqdm
        bar_lock = threading.Lock()
        with tqdm(total=draws, disable=not progress, file=sys.stderr, unit="draw", unit_scale=True) as bar:
            threads = min(MC_LANES, os.cpu_count() or 1)
            if threads > 1:
                pool = ThreadPoolExecutor(threads)  # the kernel and numpy's generators release the GIL
                try:
                    futures = [pool.submit(run_lane, lane) for lane in range(MC_LANES)]
                    while wait(futures, timeout=WAIT_SECONDS).not_done:  # a timed wait: Ctrl-C gets through
                        pass
                    lanes = [future.result() for future in futures]
                except BaseException:
                    stop.set()  # the lanes stop after their current chunk
                    raise
                finally:
                    pool.shutdown(wait=True)
            else:
                lanes = [run_lane(lane) for lane in range(MC_LANES)]
        results = lanes[0]
        for other in lanes[1:]:
            results.merge(other)
        first_order, reached = results.first_order, results.reached
        kept = np.concatenate([results.kept[start] for start in sorted(results.kept)], axis=1) if results.kept \
            else np.empty((len(names), 0))
        counts = dict(zip(computed, results.counts))
        sums = dict(zip(computed, results.sums.tolist()))
        counts |= {name: counts[source] for name, (source, _) in multiples.items()}
        means = {name: sums[name] / draws for name in computed}
        means |= {name: sums[source] / draws * factor for name, (source, factor) in multiples.items()}
        quantiles = {name: _histogram_quantiles(counts[name], *bounds[name], QUANTILES) for name in MC_OUTPUTS}

    rows = [{"output": name, **{f"q{round(q * 100):02d}": float(v) for q, v in zip(QUANTILES, quantiles[name])},
             "mean": means[name]} for name in MC_OUTPUTS]
    threshold_probabilities = pd.DataFrame({
        "threshold_share": [float(s) for s in shares],
        "threshold_yuan": [float(s) * p.poverty_line_yuan for s in shares],
        "probability": reached / draws,
    })
    return MonteCarloResult(
        draws=draws, seed=seed, quantiles=pd.DataFrame(rows), threshold_probabilities=threshold_probabilities,
        samples=_samples(fixed_inputs, names, kept), first_order=_first_order(varied, first_order, draws, table),
        varied=tuple(names), exact_quantiles=exact,
    )


def _samples(fixed_inputs: dict, names: list[str], inputs: np.ndarray) -> pd.DataFrame:
    """The kept draws: varied inputs (rows of *inputs*) then MC_OUTPUTS from the model."""
    keep = inputs.shape[1]
    out = model.season_arrays(**(fixed_inputs | dict(zip(names, inputs))))
    columns = {name: inputs[i] for i, name in enumerate(names)}
    columns |= {name: np.broadcast_to(out[name], (keep,)).astype(float) for name in MC_OUTPUTS}
    return pd.DataFrame(columns, columns=names + list(MC_OUTPUTS), dtype=float)


def _first_order(varied, sums: _FirstOrderSums, draws: int, table: pd.DataFrame) -> pd.DataFrame:
    """First-order (main-effect) variance shares: Var(E[Y | X_i]) / Var(Y), X_i binned by probability."""
    total, total_sq = sums.totals
    mean = total / draws
    variance = total_sq / draws - mean * mean
    rows = []
    for (_, name, *_), counts, bin_sums in zip(varied, sums.counts, sums.sums):
        filled = counts > 0
        bin_means = bin_sums[filled] / counts[filled]
        explained = float((counts[filled] * (bin_means - mean) ** 2).sum() / draws)
        index = explained / variance if variance > 0 else 0.0
        rows.append({"parameter": name, "label_en": table.at[name, "label_en"], "label_zh": table.at[name, "label_zh"],
                     "output": SOBOL_OUTPUT, "first_order_index": min(max(index, 0.0), 1.0)})
    rows += [row | {"output": also} for also in SOBOL_ALSO for row in list(rows)]  # the same shares (a constant multiple)
    return pd.DataFrame(rows, columns=["parameter", "label_en", "label_zh", "output", "first_order_index"])


# --- policy levers and what the dividend implies ----------------------------------------------------

SUBSIDY_CURVE_POINTS = 21  # subsidy shares 0, 0.05, ..., 1 (default of subsidy_share_curve)
SUBSIDY_CURVE_DRAWS = EXACT_QUANTILE_MAX_DRAWS  # draws of its band (exact quantiles)
GAP_POINTS = 41  # shortfalls per person (default of poverty_gap_lift)
BOOKED_COST_POINTS = 41  # booked costs per segment (default of booked_cost_sensitivity)
RECIPIENT_RULES = ("all_registered", "not_yet_exited")


def _recipient_rules(p: Parameters) -> dict[str, tuple[float, float]]:
    """(recipient households, recipient persons) of each recipient rule: every registered poor household,
    or the run's recipients (by default those not out of poverty at end-2017)."""
    return {"all_registered": (p.households, p.persons),
            "not_yet_exited": (p.recipient_households, p.recipient_persons)}


def subsidy_share_curve(p: Parameters | None = None, shares=None, draws: int = SUBSIDY_CURVE_DRAWS,
                        seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The dividend per recipient person against the subsidy share (a policy lever, an axis), for two
    recipient rules, with the Monte Carlo band of the uncertain inputs at each share.

    Recipient rules: 'all_registered' (recipient_households = households, recipient_persons =
    persons: the average over every registered poor household) and 'not_yet_exited' (*p*'s
    recipient_households and recipient_persons; by default the registered households not out of
    poverty at end-2017). *shares*: default SUBSIDY_CURVE_POINTS points from 0 to 1, plus *p*'s
    subsidy_fraction. At share s: per recipient person = s x villages' pool / recipient persons.
    The band comes from one seeded :func:`monte_carlo` run (*draws*, *seed*) of the villages' pool
    over the uncertain inputs (price, yield, cost...; policy levers are never drawn): as the
    dividend is the pool times s / recipient persons (s >= 0, recipients fixed), its quantiles at
    every share are the pool's quantiles times that factor, exactly.

    Long format, rule outer, share inner; columns: recipients, recipient_households,
    recipient_persons, subsidy_fraction, per_recipient_person_yuan (at *p*'s values), q05, q25,
    q50, q75, q95, mean (of the Monte Carlo, yuan per recipient person), poverty_line_yuan,
    share_of_poverty_line (per_recipient_person_yuan / poverty_line_yuan), q05_share_of_poverty_line,
    q95_share_of_poverty_line, is_run_share (s is *p*'s subsidy_fraction), draws, seed.
    """
    p = p or get_parameters("base")
    steps = SUBSIDY_CURVE_POINTS - 1
    grid = np.arange(steps + 1) / steps if shares is None else np.asarray(shares, dtype=float)  # 0.3, not 0.30000000000000004
    grid = np.array([check_value("subsidy_fraction", share) for share in np.ravel(grid)])
    if shares is None and not np.isclose(grid, p.subsidy_fraction, rtol=0, atol=1e-12).any():
        grid = np.sort(np.append(grid, p.subsidy_fraction))
    result = monte_carlo(draws, seed, p, keep=0)
    pool = result.quantiles.set_index("output").loc["village_pool_yuan"]
    central = model.season(p)["village_pool_yuan"]
    columns = [f"q{round(q * 100):02d}" for q in QUANTILES] + ["mean"]
    rows = []
    for rule, (households, persons) in _recipient_rules(p).items():
        for share in grid:
            factor = share / persons
            row = {"recipients": rule, "recipient_households": households, "recipient_persons": persons,
                   "subsidy_fraction": float(share), "per_recipient_person_yuan": central * factor}
            row |= {column: float(pool[column]) * factor for column in columns}
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame["poverty_line_yuan"] = p.poverty_line_yuan
    frame["share_of_poverty_line"] = frame["per_recipient_person_yuan"] / p.poverty_line_yuan
    frame["q05_share_of_poverty_line"] = frame["q05"] / p.poverty_line_yuan
    frame["q95_share_of_poverty_line"] = frame["q95"] / p.poverty_line_yuan
    frame["is_run_share"] = np.isclose(frame["subsidy_fraction"], p.subsidy_fraction, rtol=0, atol=1e-12)
    frame["draws"] = result.draws
    frame["seed"] = result.seed
    return frame


def _persons_per_household(p: Parameters) -> float:
    return p.persons / p.households


def poverty_gap_lift(p: Parameters | None = None, shortfalls=None, n: int = GAP_POINTS) -> pd.DataFrame:
    """How many households the households' pool alone could lift over the poverty line, by how far
    below the line they start, and what share of the article's exits it could explain at most.

    For each shortfall g per person (default *n* points over the assumption
    poverty_shortfall_yuan_per_person's low-high, plus its low, base, high and *p*'s value):
    gap per household = g x persons / households (households of the registered average size);
    households_liftable = households' pool / gap per household (the pool given only to as many
    households as it can close: the most it could lift); households_liftable_capped = at most the
    recipient households; share_of_exits_explained_max = min(capped, exits) / exits, with exits =
    fact households_out_of_poverty_2017 (113); share_of_exits_from_other_channels_min = 1 - that;
    other_income_needed_yuan = max(exits x gap per household - households' pool, 0) (what wages and
    other channels must bring for every exit even if the whole pool went to those who exited);
    per_recipient_person_yuan and per_registered_person_yuan (the pool spread evenly: the shortfall
    it closes per person); closes_gap_evenly (spread evenly over the recipients, it closes g).

    Columns: shortfall_yuan_per_person, persons_per_household, gap_per_household_yuan,
    households_pool_yuan, households_liftable, households_liftable_capped, exits_households,
    share_of_exits_explained_max, share_of_exits_from_other_channels_min, other_income_needed_yuan,
    per_recipient_person_yuan, per_registered_person_yuan, closes_gap_evenly, assumption_point
    ('low', 'base' or 'high' where g is that value of the assumption, else ''), is_run_value
    (g is *p*'s poverty_shortfall_yuan_per_person); sorted by shortfall.
    """
    p = p or get_parameters("base")
    row = assumption_table().loc["poverty_shortfall_yuan_per_person"]
    points = {"low": float(row["low"]), "base": float(row["base"]), "high": float(row["high"])}
    if shortfalls is None:
        if int(n) < 2:
            raise ParameterError(f"n={n}: must be an integer >= 2")
        grid = np.linspace(points["low"], points["high"], int(n))
        grid = np.unique(np.concatenate([grid, list(points.values()), [p.poverty_shortfall_yuan_per_person]]))
    else:
        grid = np.asarray([check_value("poverty_shortfall_yuan_per_person", g) for g in np.ravel(shortfalls)])
    s = model.season(p)
    exits = model.exited_households()
    size = _persons_per_household(p)
    pool = s["households_pool_yuan"]
    gap = grid * size
    liftable = pool / gap
    capped = np.minimum(liftable, p.recipient_households)
    explained = np.minimum(capped, exits) / exits
    frame = pd.DataFrame({
        "shortfall_yuan_per_person": grid, "persons_per_household": size, "gap_per_household_yuan": gap,
        "households_pool_yuan": pool, "households_liftable": liftable, "households_liftable_capped": capped,
        "exits_households": exits, "share_of_exits_explained_max": explained,
        "share_of_exits_from_other_channels_min": 1.0 - explained,
        "other_income_needed_yuan": np.maximum(exits * gap - pool, 0.0),
        "per_recipient_person_yuan": s["per_recipient_person_yuan"], "per_registered_person_yuan": s["per_person_yuan"],
    })
    frame["closes_gap_evenly"] = frame["per_recipient_person_yuan"] >= frame["shortfall_yuan_per_person"]
    names = {value: name for name, value in reversed(points.items())}
    frame["assumption_point"] = frame["shortfall_yuan_per_person"].map(lambda g: names.get(float(g), ""))
    frame["is_run_value"] = frame["shortfall_yuan_per_person"] == p.poverty_shortfall_yuan_per_person
    return frame.sort_values("shortfall_yuan_per_person", kind="stable").reset_index(drop=True)


def exits_explained(p: Parameters | None = None) -> dict:
    """What "113 households out of poverty" implies, at *p*'s assumed shortfall per person.

    Keys: exits_households (fact households_out_of_poverty_2017), persons_per_household (persons /
    households), exited_persons_estimate (exits x persons per household), persons_income_increased
    and its qualifier (fact persons_income_increased_2017: "300多名群众增加收入", at least 300),
    exited_persons_at_least_stated (the estimate is at least that number: the two figures may
    describe the same people), households_pool_yuan, per_registered_person_yuan,
    per_recipient_person_yuan (the shortfall per person the dividend closes, spread evenly),
    shortfall_yuan_per_person, households_liftable, share_of_exits_explained_max,
    share_of_exits_from_other_channels_min, other_income_needed_yuan (as :func:`poverty_gap_lift`),
    and the same two shares at the assumption's high and low shortfall:
    share_of_exits_explained_max_at_high_shortfall, share_of_exits_explained_max_at_low_shortfall.
    """
    from analysis.data import fact

    p = p or get_parameters("base")
    row = assumption_table().loc["poverty_shortfall_yuan_per_person"]
    gaps = poverty_gap_lift(p, shortfalls=np.unique([p.poverty_shortfall_yuan_per_person, row["high"], row["low"]]))
    by = gaps.set_index("shortfall_yuan_per_person")
    at = by.loc[p.poverty_shortfall_yuan_per_person]
    stated = fact("persons_income_increased_2017")
    exits = model.exited_households()
    estimate = exits * _persons_per_household(p)
    return {
        "exits_households": exits,
        "persons_per_household": _persons_per_household(p),
        "exited_persons_estimate": estimate,
        "persons_income_increased": float(stated.value),
        "persons_income_increased_qualifier": stated.qualifier,
        "exited_persons_at_least_stated": bool(estimate >= float(stated.value)),
        "households_pool_yuan": float(at["households_pool_yuan"]),
        "per_registered_person_yuan": float(at["per_registered_person_yuan"]),
        "per_recipient_person_yuan": float(at["per_recipient_person_yuan"]),
        "shortfall_yuan_per_person": p.poverty_shortfall_yuan_per_person,
        "households_liftable": float(at["households_liftable"]),
        "share_of_exits_explained_max": float(at["share_of_exits_explained_max"]),
        "share_of_exits_from_other_channels_min": float(at["share_of_exits_from_other_channels_min"]),
        "other_income_needed_yuan": float(at["other_income_needed_yuan"]),
        "share_of_exits_explained_max_at_high_shortfall": float(by.loc[float(row["high"]),
                                                                       "share_of_exits_explained_max"]),
        "share_of_exits_explained_max_at_low_shortfall": float(by.loc[float(row["low"]),
                                                                      "share_of_exits_explained_max"]),
    }


# --- the contract over its years -------------------------------------------------------------------

LOSS_RULES = ("floor", "carry_forward")


def _lognormal_factor(z: np.ndarray, cv: float) -> np.ndarray:
    """Multiplicative shocks with mean 1 and coefficient of variation *cv* from standard normals *z*."""
    sigma = math.sqrt(math.log1p(cv * cv))
    return np.exp(sigma * z - sigma * sigma / 2.0)


def poverty_line_by_year(p: Parameters | None = None, years: int | None = None) -> pd.DataFrame:
    """The poverty line in each contract year (current prices): poverty_line_yuan x (1 +
    poverty_line_growth_rate) ** (season year - poverty_line_year), season year = first_season_year
    + year - 1. Columns: year (1..contract years), season_year, poverty_line_yuan, deflator (the
    line over poverty_line_yuan: real values, in yuan of poverty_line_year, are nominal / deflator;
    the national standard is a constant 2,300 yuan at 2010 prices, so it moves with the price index).
    """
    p = p or get_parameters("base")
    years = check_count("years", int(p.contract_years) if years is None else years, 1)
    year = np.arange(1, years + 1)
    season_year = p.first_season_year + year - 1
    deflator = (1.0 + p.poverty_line_growth_rate) ** (season_year - p.poverty_line_year)
    return pd.DataFrame({"year": year, "season_year": season_year, "poverty_line_yuan": p.poverty_line_yuan * deflator,
                         "deflator": deflator})


def _check_loss_rule(loss_rule: str) -> str:
    if loss_rule not in LOSS_RULES:
        raise ParameterError(f"loss_rule={loss_rule}: choose one of {', '.join(LOSS_RULES)}")
    return loss_rule


def _disaster_mask(p: Parameters, rng, draws: int, years: int, disaster_years) -> np.ndarray:
    """(draws, years) booleans: a disaster year. Random (probability disaster_probability_per_year,
    independent years) or, with *disaster_years*, exactly those years (1-based) in every draw."""
    uniforms = rng.random((draws, years))  # drawn either way: the price and yield draws stay the same
    if disaster_years is None:
        return uniforms < p.disaster_probability_per_year
    mask = np.zeros((draws, years), dtype=bool)
    for year in disaster_years:
        year = check_count("disaster_year", year, 1, years)
        mask[:, year - 1] = True
    return mask


def _simulate_term(p: Parameters, draws: int, seed: int, years: int, loss_rule: str, real: bool,
                   disaster_years) -> dict[str, np.ndarray]:
    """Every draw's path: (draws, years) arrays of the flows, and the poverty line by year."""
    rng = np.random.Generator(np.random.PCG64(seed))
    price = p.price_yuan_per_kg * _lognormal_factor(rng.standard_normal((draws, years)), p.price_cv)
    yield_ = p.yield_kg_per_segment * _lognormal_factor(rng.standard_normal((draws, years)), p.yield_cv)
    disaster = _disaster_mask(p, rng, draws, years, disaster_years)
    yield_ = np.where(disaster, yield_ * (1.0 - p.disaster_yield_loss_share), yield_)
    profit = p.segments * yield_ * price - p.segments * p.cost_yuan_per_segment
    if loss_rule == "floor":
        distributable = np.maximum(profit, 0.0)
    else:  # losses carried forward and recovered from later profits before the split
        distributable = np.empty_like(profit)
        carried = np.zeros(draws)
        for t in range(years):
            distributable[:, t] = np.maximum(profit[:, t] - carried, 0.0)
            carried = np.maximum(carried - profit[:, t], 0.0)
    village_pool = p.village_share * distributable
    households = p.subsidy_fraction * village_pool
    line = poverty_line_by_year(p, years)
    deflator = line["deflator"].to_numpy() if real else np.ones(years)
    per_recipient_person = households / p.recipient_persons
    return {
        "village_pool_yuan": village_pool / deflator, "households_yuan": households / deflator,
        "enterprise_yuan": (profit - village_pool) / deflator, "per_person_yuan": households / p.persons / deflator,
        "per_recipient_household_yuan": households / p.recipient_households / deflator,
        "per_recipient_person_yuan": per_recipient_person / deflator,
        "recipient_share_of_poverty_line": per_recipient_person / line["poverty_line_yuan"].to_numpy(),
        "disaster": disaster, "zero_dividend": households <= 0.0,
        "poverty_line_yuan": line["poverty_line_yuan"].to_numpy() / deflator,
        "season_year": line["season_year"].to_numpy(),
    }


def contract_paths(p: Parameters | None = None, draws: int = 2000, seed: int = DEFAULT_SEED,
                   years: int | None = None, quantiles=QUANTILES, loss_rule: str = "floor", real: bool = False,
                   disaster_years=None) -> pd.DataFrame:
    """Year-by-year paths of the contract with price and yield varying across years, disaster years,
    and the poverty line moving.

    Each year the price and the yield are the values of *p* times independent lognormal shocks
    with mean 1 and coefficient of variation price_cv / yield_cv (no trend: price and cost stay
    at the first season's current prices). A year is a disaster year with probability
    disaster_probability_per_year (independently), or exactly the years in *disaster_years*
    (1-based, in every draw; then no random ones); its yield loses disaster_yield_loss_share.
    *loss_rule*: 'floor' (the villages' pool is 0 in a loss year and the enterprise carries the
    loss, as in the one-season model) or 'carry_forward' (a loss is recovered from later profits
    before the split). The poverty line by year is :func:`poverty_line_by_year`; *real*: money in
    yuan of poverty_line_year (deflated by the line's index), else current prices. *years*
    defaults to the contract length (fact tianfu_contract_years). Present values discount year t
    by (1 + discount_rate) ** t (end-of-year flows).

    Long format, one row per year x quantile (pointwise quantiles across draws): year, quantile,
    village_pool_yuan, households_yuan, enterprise_yuan, per_person_yuan,
    cumulative_village_pool_yuan, cumulative_households_yuan, cumulative_enterprise_yuan,
    pv_cumulative_village_pool_yuan, pv_cumulative_households_yuan, pv_cumulative_enterprise_yuan,
    per_recipient_household_yuan, per_recipient_person_yuan, recipient_share_of_poverty_line,
    cumulative_per_recipient_household_yuan; and per year (the same on each quantile row):
    season_year, poverty_line_yuan, share_of_draws_disaster, share_of_draws_zero_dividend.
    """
    p = p or get_parameters("base")
    draws = check_count("draws", draws, 1)
    seed = check_count("seed", seed, 0, MAX_SEED)
    years = check_count("years", int(p.contract_years) if years is None else years, 1)
    sim = _simulate_term(p, draws, seed, years, _check_loss_rule(loss_rule), bool(real), disaster_years)
    discount = (1.0 + p.discount_rate) ** -np.arange(1, years + 1)
    flows = {name: sim[name] for name in ("village_pool_yuan", "households_yuan", "enterprise_yuan")}
    columns = dict(flows)
    columns["per_person_yuan"] = sim["per_person_yuan"]
    for name, flow in flows.items():
        columns[f"cumulative_{name}"] = np.cumsum(flow, axis=1)
    for name, flow in flows.items():
        columns[f"pv_cumulative_{name}"] = np.cumsum(flow * discount, axis=1)
    for name in ("per_recipient_household_yuan", "per_recipient_person_yuan", "recipient_share_of_poverty_line"):
        columns[name] = sim[name]
    columns["cumulative_per_recipient_household_yuan"] = np.cumsum(sim["per_recipient_household_yuan"], axis=1)
    qs = np.asarray(quantiles, dtype=float)
    summary = {name: np.quantile(values, qs, axis=0) for name, values in columns.items()}  # (quantile, year)
    year_index, quantile_index = np.meshgrid(np.arange(years), np.arange(len(qs)), indexing="ij")
    year_index, quantile_index = year_index.ravel(), quantile_index.ravel()
    frame = pd.DataFrame({"year": year_index + 1, "quantile": qs[quantile_index]})
    for name, values in summary.items():
        frame[name] = values[quantile_index, year_index]
    frame["season_year"] = sim["season_year"][year_index]
    frame["poverty_line_yuan"] = sim["poverty_line_yuan"][year_index]
    frame["share_of_draws_disaster"] = sim["disaster"].mean(axis=0)[year_index]
    frame["share_of_draws_zero_dividend"] = sim["zero_dividend"].mean(axis=0)[year_index]
    return frame


def contract_term_summary(p: Parameters | None = None, draws: int = 2000, seed: int = DEFAULT_SEED,
                          years: int | None = None, loss_rule: str = "floor", real: bool = False,
                          disaster_years=None) -> dict:
    """What can go wrong over the term: the draws of :func:`contract_paths` (same arguments, same
    draws) summarised.

    Keys: draws, seed, years, loss_rule, real; p_zero_dividend_year_any (share of paths with at
    least one year in which the households' part is 0), mean_zero_dividend_years,
    p_disaster_year_any, mean_disaster_years; cumulative_per_recipient_household_yuan and
    cumulative_per_recipient_person_yuan (over the whole term: {q05, q25, q50, q75, q95, mean});
    final_poverty_line_yuan (the last year's line, in the money of *real*);
    mean_recipient_share_of_poverty_line (over years and draws).
    """
    p = p or get_parameters("base")
    draws = check_count("draws", draws, 1)
    seed = check_count("seed", seed, 0, MAX_SEED)
    years = check_count("years", int(p.contract_years) if years is None else years, 1)
    sim = _simulate_term(p, draws, seed, years, _check_loss_rule(loss_rule), bool(real), disaster_years)

    def spread(values: np.ndarray) -> dict[str, float]:
        out = {f"q{round(q * 100):02d}": float(v) for q, v in zip(QUANTILES, np.quantile(values, QUANTILES))}
        return out | {"mean": float(values.mean())}

    zero_years = sim["zero_dividend"].sum(axis=1)
    disaster_years_count = sim["disaster"].sum(axis=1)
    return {
        "draws": draws, "seed": seed, "years": years, "loss_rule": loss_rule, "real": bool(real),
        "p_zero_dividend_year_any": float(np.mean(zero_years > 0)),
        "mean_zero_dividend_years": float(zero_years.mean()),
        "p_disaster_year_any": float(np.mean(disaster_years_count > 0)),
        "mean_disaster_years": float(disaster_years_count.mean()),
        "cumulative_per_recipient_household_yuan": spread(sim["per_recipient_household_yuan"].sum(axis=1)),
        "cumulative_per_recipient_person_yuan": spread(sim["per_recipient_person_yuan"].sum(axis=1)),
        "final_poverty_line_yuan": float(sim["poverty_line_yuan"][-1]),
        "mean_recipient_share_of_poverty_line": float(sim["recipient_share_of_poverty_line"].mean()),
    }


# --- the enterprise ---------------------------------------------------------------------------------

def enterprise_payback(p: Parameters | None = None, booked_cost_yuan_per_segment: float | None = None) -> dict:
    """The enterprise's simple payback on its investment, within the means of its base.

    Investment = stated minimum x (1 + investment_above_stated_share). Yearly profit
    (:func:`analysis.model.enterprise_annual_profit`): its share of the contract segments' profit
    (on the cost it books for them, *booked_cost_yuan_per_segment*, default the actual cost) +
    the own segments its base can grow out (ground_fungus_area_mu x segments_per_mu, less the
    contract segments) at enterprise_own_margin_ratio x the contract profit per segment + the rest
    sold as bags at bag_sale_margin_yuan_per_segment - yearly land rent; the same every year.
    payback_years = investment / yearly profit (inf if never); pays_back_within_term = payback_years
    <= contract_years; npv_contract_yuan discounts the contract years at discount_rate.

    Keys: investment_yuan, own_segments, own_grown_segments, bags_sold_segments, capacity_segments,
    contract_share_yuan, own_profit_yuan, bag_sales_profit_yuan, land_rent_yuan, annual_profit_yuan,
    payback_years, contract_years, pays_back_within_term, npv_contract_yuan, booked_cost_yuan_per_segment,
    contract_cost_advance_yuan, cost_advance_yuan (the yearly cost it advances: contract and own
    grow-out segments x cost), assumptions (the assumptions used and the rules, in words).
    """
    p = p or get_parameters("base")
    annual = model.enterprise_annual_profit(p, booked_cost_yuan_per_segment)
    investment = p.investment_stated_yuan * (1.0 + p.investment_above_stated_share)
    profit = annual["annual_profit_yuan"]
    years = np.arange(1, int(p.contract_years) + 1)
    npv = -investment + float((profit * (1.0 + p.discount_rate) ** -years).sum())
    payback = investment / profit if profit > 0 else math.inf
    return {
        "investment_yuan": investment,
        "own_segments": annual["own_segments"],
        "own_grown_segments": annual["own_grown_segments"],
        "bags_sold_segments": annual["bags_sold_segments"],
        "capacity_segments": annual["capacity_segments"],
        "contract_share_yuan": annual["contract_share_yuan"],
        "own_profit_yuan": annual["own_profit_yuan"],
        "bag_sales_profit_yuan": annual["bag_sales_profit_yuan"],
        "land_rent_yuan": annual["land_rent_yuan"],
        "annual_profit_yuan": profit,
        "payback_years": payback,
        "contract_years": p.contract_years,
        "pays_back_within_term": bool(payback <= p.contract_years),
        "npv_contract_yuan": npv,
        "booked_cost_yuan_per_segment": annual["booked_cost_yuan_per_segment"],
        "contract_cost_advance_yuan": annual["contract_cost_advance_yuan"],
        "cost_advance_yuan": annual["cost_advance_yuan"],
        "assumptions": {
            "investment_above_stated_share": p.investment_above_stated_share,
            "enterprise_own_margin_ratio": p.enterprise_own_margin_ratio,
            "segments_per_mu": p.segments_per_mu,
            "bag_sale_margin_yuan_per_segment": p.bag_sale_margin_yuan_per_segment,
            "land_rent_period_years": p.land_rent_period_years,
            "discount_rate": p.discount_rate,
            "rules": "own segments are grown out only as far as the base holds them (area x segments per mu, "
                     "after the contract segments) and earn the contract profit per segment times "
                     "enterprise_own_margin_ratio; the rest are sold as bags at bag_sale_margin_yuan_per_segment; "
                     "land rent is paid by the enterprise outside the cost per segment; every year equals the "
                     "season of the given parameters; financing of the cost advance, depreciation and subsidies "
                     "received are not modelled",
        },
    }


def booked_cost_sensitivity(p: Parameters | None = None, booked_costs=None, n: int = BOOKED_COST_POINTS
                            ) -> pd.DataFrame:
    """What the cost the enterprise books for the contract segments does (it controls what is
    deducted before the 40/60 split); the actual cost stays *p*'s cost_yuan_per_segment.

    *booked_costs*: default *n* points over the cost assumption's low-high, plus the actual cost.
    Columns: booked_cost_yuan_per_segment, booked_minus_actual_yuan_per_segment, village_pool_yuan,
    households_pool_yuan, per_recipient_person_yuan, enterprise_contract_yuan (its part including
    what it books above the actual cost), enterprise_annual_profit_yuan, payback_years,
    pays_back_within_term, is_actual (booked = actual); sorted by booked cost.
    """
    p = p or get_parameters("base")
    if booked_costs is None:
        low, high = assumption_table().loc["cost_yuan_per_segment", ["low", "high"]].astype(float)
        grid = np.unique(np.append(np.linspace(low, high, int(n)), p.cost_yuan_per_segment))
    else:
        grid = np.asarray([check_value("cost_yuan_per_segment", c) for c in np.ravel(booked_costs)])
    rows = []
    for booked in np.sort(grid):
        booked = float(booked)
        s = model.season(p.replace(cost_yuan_per_segment=booked))
        payback = enterprise_payback(p, booked)
        rows.append({"booked_cost_yuan_per_segment": booked,
                     "booked_minus_actual_yuan_per_segment": booked - p.cost_yuan_per_segment,
                     "village_pool_yuan": s["village_pool_yuan"], "households_pool_yuan": s["households_pool_yuan"],
                     "per_recipient_person_yuan": s["per_recipient_person_yuan"],
                     "enterprise_contract_yuan": payback["contract_share_yuan"],
                     "enterprise_annual_profit_yuan": payback["annual_profit_yuan"],
                     "payback_years": payback["payback_years"],
                     "pays_back_within_term": payback["pays_back_within_term"],
                     "is_actual": booked == p.cost_yuan_per_segment})
    return pd.DataFrame(rows)


# --- command line ------------------------------------------------------------------------------------

OUTPUT_UNITS = {
    "share_of_poverty_line": "share", "recipient_share_of_poverty_line": "share", "break_even_price_yuan_per_kg": "yuan/kg",
    "break_even_price_yuan_per_jin": "yuan/jin", "break_even_yield_kg_per_segment": "kg/segment",
    "price_yuan_per_jin": "yuan/jin", "profit_yuan_per_segment": "yuan/segment",
}


def parse_assignments(items: list[str] | None) -> dict[str, float]:
    """``['NAME=VALUE', ...]`` from ``--set`` as ``{name: float}``; ParameterError on bad syntax,
    an unknown name, a non-number or a value out of its range (persons >= households is
    checked when the Parameters are built)."""
    values: dict[str, float] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--set {item!r}: expected NAME=VALUE with NAME one of the settable parameters")
        if name in values:
            raise ParameterError(f"--set {item!r}: {name} is set twice (give each parameter once)")
        values[name] = check_value(name, text.strip())
    return values


def _add_common(parser) -> None:
    parser.add_argument("--preset", default="base", help="column of the assumptions table: low, base or high")
    parser.add_argument("--set", dest="assignments", action="append", metavar="NAME=VALUE", default=[],
                        help=f"override a parameter (repeatable); names: {', '.join(SETTABLE)}")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _parameters_from(args) -> tuple[Parameters, dict[str, float]]:
    overrides = parse_assignments(args.assignments)
    p = get_parameters(args.preset, **overrides)
    check_finite(_season_outputs, p, overrides, args.preset)
    return p, overrides


def _season_outputs(p: Parameters) -> dict:
    return model.season_arrays(**model.season_inputs(p))


def check_finite(evaluate, p: Parameters, overrides: dict[str, float], preset: str = "base") -> None:
    """ParameterError naming the override that makes the outputs ``evaluate(p)`` (a dict of
    arrays) overflow to inf or NaN: ``price_yuan_per_kg=1e+308: out of the computable range:
    revenue_yuan overflows (inf or nan)``. The override named is the first whose return to the
    preset's value makes the outputs finite; failing that, every override is named."""
    bad = model.overflowing(evaluate(p))
    if not bad:
        return
    preset_p = get_parameters(preset)
    culprits = [name for name in overrides if not model.overflowing(evaluate(p.replace(**{name: getattr(preset_p, name)})))]
    named = culprits[:1] or list(overrides)
    given = ", ".join(f"{name}={format_number(overrides[name])}" for name in named) or f"preset {preset}"
    raise ParameterError(f"{given}: out of the computable range: {bad[0]} overflows (inf or nan)")


def _monte_carlo_sums(p: Parameters, fixed: tuple[str, ...], draws: int) -> dict:
    """The Monte Carlo's bounds of each output and of its variance sum (SOBOL_OUTPUT squared x draws)."""
    bounds = _output_bounds(p, _varied_inputs(fixed))
    out = {name: np.array(bound) for name, bound in bounds.items()}
    with np.errstate(over="ignore", invalid="ignore"):
        out[f"{SOBOL_OUTPUT} squared and summed over the draws"] = np.square(out[SOBOL_OUTPUT]) * draws
    return out


def _json_number(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{key: _json_number(value) for key, value in row.items()} for row in frame.to_dict("records")]


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False))


def _format_value(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "undefined"
    if unit in {"share", "ratio", "coefficient_of_variation", "rate_per_year", "kg_per_segment", "kg/segment"}:
        return f"{value:,.4f}"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def configure_scenario(parser) -> None:
    """Options of ``python -m analysis scenario``."""
    _add_common(parser)


def run_scenario(args) -> int:
    """Print one season under a preset and overrides (table, or one JSON object with --json)."""
    p, overrides = _parameters_from(args)
    result = model.season(p)
    if args.json:
        flags = outside_range(p)
        _print_json({"preset": args.preset, "overrides": overrides,
                     **{k: _json_number(v) for k, v in result.items()}, "parameters": p.as_dict(),
                     "outside_range": [name for name in SETTABLE if flags[name]],
                     "policy_levers": list(POLICY_LEVERS)})
        return 0
    units = parameter_table().set_index("name")
    changed = ", ".join(f"{k}={format_number(v)}" for k, v in overrides.items()) or "none"
    lines = [f"Tianfu contract, one season: preset {args.preset}; overrides: {changed}", "", "Inputs"]
    for name in model.SEASON_INPUTS:
        row = units.loc[name]
        lines.append(f"  {name:<34}{_format_value(getattr(p, name), row['unit']):>18}  {row['unit']:<26}{row['kind']}")
    lines += ["", "Outputs"]
    for name, value in result.items():
        unit = OUTPUT_UNITS.get(name, "yuan")
        lines.append(f"  {name:<34}{_format_value(value, unit):>18}  {unit}")
    print("\n".join(lines))
    return 0


def configure_sensitivity(parser) -> None:
    """Options of ``python -m analysis sensitivity``."""
    _add_common(parser)
    parser.add_argument("--output", default="per_person_yuan", help="season output to vary (default per_person_yuan)")


def run_sensitivity(args) -> int:
    """Print the one-at-a-time sensitivity (table, or one JSON object with --json)."""
    p, overrides = _parameters_from(args)
    frame = sensitivity(p, args.output)
    if args.output not in model.BREAK_EVEN_OUTPUTS:
        check_finite(lambda q: {args.output: sensitivity(q, args.output)[["output_low", "output_high"]].to_numpy()},
                     p, overrides, args.preset)
    if args.json:
        _print_json({"preset": args.preset, "overrides": overrides, "output": args.output, "rows": _records(frame)})
        return 0
    lines = [f"Sensitivity of {args.output} (preset {args.preset}; base {frame['output_base'].iloc[0]:,.2f})", "",
             f"  {'parameter':<34}{'low':>12}{'high':>12}{'output_low':>16}{'output_high':>16}{'swing':>14}"]
    for row in frame.itertuples(index=False):
        lines.append(f"  {row.parameter:<34}{format_number(row.low):>12}{format_number(row.high):>12}"
                     f"{row.output_low:>16,.2f}{row.output_high:>16,.2f}{row.swing:>14,.2f}")
    print("\n".join(lines))
    return 0


def configure_montecarlo(parser) -> None:
    """Options of ``python -m analysis montecarlo``."""
    parser.add_argument("--draws", required=True,
                        help=f"number of draws (integer > 0; at most {MAX_DRAWS:,}, {MAX_DRAWS_TIME}, unless --force)")
    parser.add_argument("--seed", default=str(DEFAULT_SEED),
                        help=f"random seed (integer 0 to 2**63-1; default {DEFAULT_SEED})")
    parser.add_argument("--force", action="store_true", help=f"allow more than {MAX_DRAWS:,} draws")
    _add_common(parser)


def run_montecarlo(args) -> int:
    """Run the Monte Carlo; parameters named with --set are held fixed at their value."""
    draws = check_count("draws", args.draws, 1)
    if draws > MAX_DRAWS and not args.force:
        raise ParameterError(f"draws={args.draws}: above the maximum of {MAX_DRAWS} ({MAX_DRAWS_TIME} for {MAX_DRAWS:,}); "
                             "add --force to run it anyway")
    seed = check_count("seed", args.seed, 0, MAX_SEED)
    p, overrides = _parameters_from(args)
    fixed = tuple(overrides)
    check_finite(lambda q: _monte_carlo_sums(q, fixed, draws), p, overrides, args.preset)
    result = monte_carlo(draws, seed, p, fixed=fixed, progress=sys.stderr.isatty())
    if args.json:
        _print_json({"draws": result.draws, "seed": result.seed, "preset": args.preset, "overrides": overrides,
                     "varied": list(result.varied), "policy_levers": list(POLICY_LEVERS),
                     "exact_quantiles": result.exact_quantiles,
                     "quantiles": _records(result.quantiles),
                     "threshold_probabilities": _records(result.threshold_probabilities),
                     "first_order": _records(result.first_order)})
        return 0
    lines = [f"Monte Carlo: {draws:,} draws, seed {seed}, preset {args.preset}; varied: {', '.join(result.varied)}", "",
             f"  {'output':<34}" + "".join(f"{c:>14}" for c in ("q05", "q25", "q50", "q75", "q95", "mean"))]
    for row in result.quantiles.to_dict("records"):
        lines.append(f"  {row['output']:<34}" + "".join(f"{row[c]:>14,.4g}" for c in ("q05", "q25", "q50", "q75", "q95", "mean")))
    lines += ["", "  P(per-person transfer >= share of the poverty line)"]
    for row in result.threshold_probabilities.itertuples(index=False):
        lines.append(f"    {row.threshold_share:>5.0%} ({row.threshold_yuan:,.0f} yuan): {row.probability:.4f}")
    outputs = ", ".join(dict.fromkeys(result.first_order["output"]))
    lines += ["", f"  First-order variance shares (the same for {outputs})" if len(SOBOL_ALSO) else
              "  First-order variance shares", ]
    for row in result.first_order[result.first_order["output"] == SOBOL_OUTPUT].itertuples(index=False):
        lines.append(f"    {row.parameter:<30}{row.first_order_index:.3f}")
    lines += ["", f"  Held at this run's values (policy levers): "
                  f"{', '.join(f'{name}={format_number(getattr(p, name))}' for name in POLICY_LEVERS)}"]
    print("\n".join(lines))
    return 0
