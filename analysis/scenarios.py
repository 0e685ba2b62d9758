"""Scenarios on the income model: presets, sensitivity, break-even grid, Monte Carlo,
the year-by-year contract paths and the enterprise's payback; and three commands:

    python -m analysis scenario [--preset low|base|high] [--set NAME=VALUE ...] [--json]
    python -m analysis sensitivity [--preset P] [--set NAME=VALUE ...] [--output NAME] [--json]
    python -m analysis montecarlo --draws N [--seed S] [--preset P] [--set NAME=VALUE ...] [--json]

Presets take the low, base or high column of every row of ``data/assumptions.csv``
(not "pessimistic"/"optimistic": a low cost raises profit). Bad input raises
:class:`~analysis.errors.ParameterError` (exit 2, one line on stderr).
"""
from __future__ import annotations

import json
import math
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import model
from analysis.errors import ParameterError
from analysis.parameters import (
    ASSUMPTION_NAMES, PRESETS, SETTABLE, Parameters, assumption_table, check_value, format_number,
    get_parameters, parameter_table, to_number,
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
    "enterprise_yuan", "profit_yuan", "revenue_yuan",
)
SOBOL_OUTPUT = "per_person_yuan"


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
    (of the table), output_low, output_high, output_base, swing = |output_high - output_low|;
    sorted by swing, largest first (ties keep table order). Assumptions that do not enter the
    season (wages, discount rate...) have swing 0.
    """
    p = p or get_parameters("base")
    output = _check_output(output)
    table = assumption_table()
    output_base = model.season(p)[output]
    rows = []
    for name in ASSUMPTION_NAMES:
        row = table.loc[name]
        at_low = model.season(p.replace(**{name: row["low"]}))[output]
        at_high = model.season(p.replace(**{name: row["high"]}))[output]
        rows.append({"parameter": name, "label_en": row["label_en"], "label_zh": row["label_zh"],
                     "unit": row["unit"], "low": float(row["low"]), "base": float(row["base"]),
                     "high": float(row["high"]), "output_low": at_low, "output_high": at_high,
                     "output_base": output_base, "swing": abs(at_high - at_low)})
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
    per_person_yuan explained by each varied input alone; binning estimator).
    varied: the inputs drawn; exact_quantiles: False when histograms were used (draws above
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


def check_count(name: str, value, minimum: int) -> int:
    """*value* as an integer >= *minimum* (accepts '1000', 1e6); ParameterError naming it otherwise."""
    rule = f"must be an integer >= {minimum}" if minimum != 1 else "must be an integer > 0"
    try:
        number = float(value) if not isinstance(value, (int, np.integer)) else int(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={value}: {rule}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number != int(number) or number < minimum:
        raise ParameterError(f"{name}={value}: {rule}")
    return int(number)


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
        if (name in model.SEASON_INPUTS and name not in fixed and row["distribution"] != "fixed"
                and row["low"] < row["high"]):
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
               "share_of_poverty_line": ("persons", "poverty_line_yuan")}


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
    """Seeded Monte Carlo of one season over the assumptions' distributions.

    Each season input with a non-fixed distribution (and not named in *fixed*) is drawn from
    its triangular (mode = base) or uniform law on low-high by the inverse CDF of uniforms;
    everything else is taken from *p* (default: base preset). Each input has its own PCG64
    stream (spawned from *seed* by its position in the assumptions table), so results do not
    depend on *chunk* (sums may differ in the last bits). Up to EXACT_QUANTILE_MAX_DRAWS draws,
    all outputs are kept (numpy) and the quantiles are exact (np.quantile); above, draws go in
    chunks of *chunk* through the compiled kernel (:mod:`analysis.kernel`; memory bounded by
    *chunk* x MC_LANES) and the quantiles come from 65,536-bin histograms between analytic
    bounds; chunk k goes to lane k % MC_LANES, lanes run on threads (results do not depend on
    the number of threads). *thresholds*: shares of the poverty line (default
    DEFAULT_THRESHOLD_SHARES).

    Raises ParameterError for draws <= 0, a negative seed or keep, or a threshold outside 0-1.
    """
    draws = check_count("draws", draws, 1)
    seed = check_count("seed", seed, 0)
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
        bounds = _output_bounds(p, varied)
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

        def run_lane(lane: int) -> _Lane:
            """Every MC_LANES-th chunk from chunk *lane*, with this lane's own streams and sums."""
            stream, results = _Draws(varied, seed, size), _Lane(varied, computed, bounds, tested, limits, weight, size)
            stream.skip(lane * size)
            for start in range(lane * size, draws, size * MC_LANES):
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
                with ThreadPoolExecutor(threads) as pool:  # the kernel and numpy's generators release the GIL
                    lanes = list(pool.map(run_lane, range(MC_LANES)))
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
    return pd.DataFrame(rows, columns=["parameter", "label_en", "label_zh", "output", "first_order_index"])


# --- the contract over its years -------------------------------------------------------------------

def _lognormal_factor(z: np.ndarray, cv: float) -> np.ndarray:
    """Multiplicative shocks with mean 1 and coefficient of variation *cv* from standard normals *z*."""
    sigma = math.sqrt(math.log1p(cv * cv))
    return np.exp(sigma * z - sigma * sigma / 2.0)


def contract_paths(p: Parameters | None = None, draws: int = 2000, seed: int = DEFAULT_SEED,
                   years: int | None = None, quantiles=QUANTILES) -> pd.DataFrame:
    """Year-by-year paths of the contract with price and yield varying across years.

    Each year the price and the yield are the values of *p* times independent lognormal
    shocks with mean 1 and coefficient of variation price_cv / yield_cv. *years* defaults to
    the contract length (fact tianfu_contract_years). Present values discount year t by
    (1 + discount_rate) ** t (end-of-year flows). Long format, one row per year x quantile
    (pointwise quantiles across draws): year, quantile, village_pool_yuan, households_yuan,
    enterprise_yuan, per_person_yuan, cumulative_village_pool_yuan, cumulative_households_yuan,
    cumulative_enterprise_yuan, pv_cumulative_village_pool_yuan, pv_cumulative_households_yuan,
    pv_cumulative_enterprise_yuan.
    """
    p = p or get_parameters("base")
    draws = check_count("draws", draws, 1)
    seed = check_count("seed", seed, 0)
    years = check_count("years", int(p.contract_years) if years is None else years, 1)
    rng = np.random.Generator(np.random.PCG64(seed))
    price = p.price_yuan_per_kg * _lognormal_factor(rng.standard_normal((draws, years)), p.price_cv)
    yield_ = p.yield_kg_per_segment * _lognormal_factor(rng.standard_normal((draws, years)), p.yield_cv)
    out = model.season_arrays(**(model.season_inputs(p) | {"price_yuan_per_kg": price,
                                                             "yield_kg_per_segment": yield_}))
    discount = (1.0 + p.discount_rate) ** -np.arange(1, years + 1)
    flows = {"village_pool_yuan": out["village_pool_yuan"], "households_yuan": out["households_pool_yuan"],
             "enterprise_yuan": out["enterprise_yuan"]}
    columns = dict(flows)
    columns["per_person_yuan"] = out["per_person_yuan"]
    for name, flow in flows.items():
        columns[f"cumulative_{name}"] = np.cumsum(flow, axis=1)
    for name, flow in flows.items():
        columns[f"pv_cumulative_{name}"] = np.cumsum(flow * discount, axis=1)
    qs = np.asarray(quantiles, dtype=float)
    summary = {name: np.quantile(values, qs, axis=0) for name, values in columns.items()}  # (quantile, year)
    year_index, quantile_index = np.meshgrid(np.arange(years), np.arange(len(qs)), indexing="ij")
    frame = pd.DataFrame({"year": year_index.ravel() + 1, "quantile": qs[quantile_index.ravel()]})
    for name, values in summary.items():
        frame[name] = values[quantile_index.ravel(), year_index.ravel()]
    return frame


def enterprise_payback(p: Parameters | None = None) -> dict:
    """The enterprise's simple payback on its investment, under labelled assumptions.

    Investment = stated minimum x (1 + investment_above_stated_share). Yearly profit = its
    share of the contract segments' profit + its own segments (produced minus those for poor
    households) at enterprise_own_margin_ratio x the contract profit per segment - yearly land
    rent; the same every year. payback_years = investment / yearly profit (inf if never);
    npv_contract_yuan discounts the contract years at discount_rate.
    """
    p = p or get_parameters("base")
    annual = model.enterprise_annual_profit(p)
    investment = p.investment_stated_yuan * (1.0 + p.investment_above_stated_share)
    profit = annual["annual_profit_yuan"]
    years = np.arange(1, int(p.contract_years) + 1)
    npv = -investment + float((profit * (1.0 + p.discount_rate) ** -years).sum())
    return {
        "investment_yuan": investment,
        "own_segments": annual["own_segments"],
        "contract_share_yuan": annual["contract_share_yuan"],
        "own_profit_yuan": annual["own_profit_yuan"],
        "land_rent_yuan": annual["land_rent_yuan"],
        "annual_profit_yuan": profit,
        "payback_years": investment / profit if profit > 0 else math.inf,
        "contract_years": p.contract_years,
        "npv_contract_yuan": npv,
        "assumptions": {
            "investment_above_stated_share": p.investment_above_stated_share,
            "enterprise_own_margin_ratio": p.enterprise_own_margin_ratio,
            "land_rent_period_years": p.land_rent_period_years,
            "discount_rate": p.discount_rate,
            "rules": "own segments earn the contract profit per segment times enterprise_own_margin_ratio; "
                     "land rent is paid by the enterprise outside the cost per segment; "
                     "every year equals the season of the given parameters",
        },
    }


# --- command line ------------------------------------------------------------------------------------

OUTPUT_UNITS = {
    "share_of_poverty_line": "share", "break_even_price_yuan_per_kg": "yuan/kg",
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
        values[name] = check_value(name, text.strip())
    return values


def _add_common(parser) -> None:
    parser.add_argument("--preset", default="base", help="column of the assumptions table: low, base or high")
    parser.add_argument("--set", dest="assignments", action="append", metavar="NAME=VALUE", default=[],
                        help=f"override a parameter (repeatable); names: {', '.join(SETTABLE)}")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _parameters_from(args) -> tuple[Parameters, dict[str, float]]:
    overrides = parse_assignments(args.assignments)
    return get_parameters(args.preset, **overrides), overrides


def _json_number(value):
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
        _print_json({"preset": args.preset, "overrides": overrides,
                     **{k: _json_number(v) for k, v in result.items()}, "parameters": p.as_dict()})
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
    parser.add_argument("--draws", required=True, help="number of draws (integer > 0)")
    parser.add_argument("--seed", default=str(DEFAULT_SEED), help=f"random seed (integer >= 0; default {DEFAULT_SEED})")
    _add_common(parser)


def run_montecarlo(args) -> int:
    """Run the Monte Carlo; parameters named with --set are held fixed at their value."""
    draws = check_count("draws", args.draws, 1)
    seed = check_count("seed", args.seed, 0)
    p, overrides = _parameters_from(args)
    result = monte_carlo(draws, seed, p, fixed=tuple(overrides), progress=sys.stderr.isatty())
    if args.json:
        _print_json({"draws": result.draws, "seed": result.seed, "preset": args.preset, "overrides": overrides,
                     "varied": list(result.varied), "exact_quantiles": result.exact_quantiles,
                     "quantiles": _records(result.quantiles),
                     "threshold_probabilities": _records(result.threshold_probabilities),
                     "first_order": _records(result.first_order)})
        return 0
    lines = [f"Monte Carlo: {draws:,} draws, seed {seed}, preset {args.preset}; varied: {', '.join(result.varied)}", "",
             f"  {'output':<24}" + "".join(f"{c:>14}" for c in ("q05", "q25", "q50", "q75", "q95", "mean"))]
    for row in result.quantiles.to_dict("records"):
        lines.append(f"  {row['output']:<24}" + "".join(f"{row[c]:>14,.4g}" for c in ("q05", "q25", "q50", "q75", "q95", "mean")))
    lines += ["", "  P(per-person transfer >= share of the poverty line)"]
    for row in result.threshold_probabilities.itertuples(index=False):
        lines.append(f"    {row.threshold_share:>5.0%} ({row.threshold_yuan:,.0f} yuan): {row.probability:.4f}")
    lines += ["", "  First-order variance shares of per_person_yuan"]
    for row in result.first_order.itertuples(index=False):
        lines.append(f"    {row.parameter:<30}{row.first_order_index:.3f}")
    print("\n".join(lines))
    return 0
