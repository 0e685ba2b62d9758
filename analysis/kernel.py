"""The Monte Carlo's compiled chunk kernel (numba): one pass over the draws of a chunk.

:func:`analysis.scenarios.monte_carlo` imports this module only above
``EXACT_QUANTILE_MAX_DRAWS`` draws (smaller runs keep every draw and use numpy), so importing
:mod:`analysis` never loads numba. The kernel is compiled on its first call and cached in
``.cache/numba/`` (``paths.NUMBA_CACHE_DIR``), so later processes load it in a fraction of a
second. It releases the GIL: the Monte Carlo's lanes run it on threads.

It works through the chunk in blocks of BLOCK draws that stay in the CPU's cache: it turns the
uniforms into the varied inputs (the inverse CDFs of ``scenarios._inverse_cdf``, operation for
operation, so the values are bit-identical), computes the outputs with the operations of
:func:`analysis.model.season_arrays` in the same order, and adds them to the histograms, sums,
threshold counts and first-order sums. numpy would make one pass over memory per operation
instead (the former numpy path took about twice as long for 1,000,000 draws).
"""
from __future__ import annotations

import os

from analysis import paths

os.environ.setdefault("NUMBA_CACHE_DIR", str(paths.NUMBA_CACHE_DIR))  # read by numba when it is imported

import numba  # noqa: E402
import numpy as np  # noqa: E402

UNIFORM, TRIANGULAR = 0, 1  # law codes of the varied inputs
BLOCK = 2048  # draws per block: the block's 11 inputs and 11 outputs (352 KiB) stay in a core's L2 cache
# The outputs the kernel computes, in this order (scenarios.MC_OUTPUTS names them; a test checks).
OUTPUTS = ("per_person_yuan", "per_household_yuan", "share_of_poverty_line", "households_pool_yuan",
           "village_pool_yuan", "enterprise_yuan", "profit_yuan", "revenue_yuan", "per_recipient_person_yuan",
           "per_recipient_household_yuan", "recipient_share_of_poverty_line")
# The season inputs, in the order of the kernel's *inputs* vector (model.SEASON_INPUTS; a test checks).
INPUTS = ("segments", "yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment", "village_share",
          "households", "persons", "subsidy_fraction", "poverty_line_yuan", "recipient_households",
          "recipient_persons")


@numba.njit(cache=True, nogil=True)
def histogram_bin(value: float, low: float, scale: float, bins: int) -> int:
    """Bin of *value* among *bins* bins of width 1/scale from *low*: truncation of
    (value - low) x scale, below 0 (or NaN) -> bin 0, at or above *bins* -> the last bin."""
    scaled = (value - low) * scale
    if not scaled >= 0.0:
        return 0
    if scaled >= bins:
        return bins - 1
    return int(scaled)


@numba.njit(cache=True, nogil=True)
def chunk(uniforms, laws, positions, inputs, values, histogrammed, hist_bounds, hist_counts, hist_sums,
          tested, limits, reached, weight, sobol_counts, sobol_sums, weight_sums):
    """Evaluate one chunk of draws and add it to the running results (arrays updated in place).

    uniforms: (k, n) uniforms of the k varied inputs; laws: (k, 4) law code, low, mode, high;
    positions: (k,) index in INPUTS of each varied input; inputs: the season inputs in INPUTS
    order (the values of the fixed ones); values: (k, >= n) receives the drawn inputs;
    histogrammed: (h,) indices in OUTPUTS of the outputs counted in hist_counts (h, bins)
    from hist_bounds (h, 2: low, bins per unit) and summed into hist_sums (h,); reached (t,)
    += draws where OUTPUTS[tested] >= limits (t,); sobol_counts/sobol_sums (k, sobol bins) +=
    draws and sum of OUTPUTS[weight] per equal-probability bin of each input's uniform;
    weight_sums (2,) += sum and sum of squares of OUTPUTS[weight].
    """
    k, n = uniforms.shape
    bins, sobol_bins = hist_counts.shape[1], sobol_counts.shape[1]
    x = np.empty((len(inputs), BLOCK))  # the block's season inputs, one row each (fixed rows stay)
    for m in range(len(inputs)):
        x[m, :] = inputs[m]
    out = np.empty((len(OUTPUTS), BLOCK))  # the block's outputs, one row each
    for start in range(0, n, BLOCK):
        m = min(n, start + BLOCK) - start
        for j in range(k):  # inverse CDFs; both triangular branches then a select (vectorised)
            u, v, row = uniforms[j, start:start + m], values[j, start:start + m], x[positions[j]]
            low, mode, high = laws[j, 1], laws[j, 2], laws[j, 3]
            width = high - low
            if laws[j, 0] == TRIANGULAR:
                split = (mode - low) / width
                for i in range(m):
                    left = low + np.sqrt(u[i] * width * (mode - low))
                    right = high - np.sqrt((1.0 - u[i]) * width * (high - mode))
                    row[i] = left if u[i] < split else right
            else:
                for i in range(m):
                    row[i] = low + u[i] * width
            v[:] = row[:m]
        for i in range(m):  # model.season_arrays, in its order of operations
            revenue = x[0, i] * x[1, i] * x[2, i]
            profit = revenue - x[0, i] * x[3, i]
            pool = x[4, i] * max(profit, 0.0)
            households_pool = x[7, i] * pool
            per_person = households_pool / x[6, i]
            out[0, i], out[1, i], out[2, i] = per_person, households_pool / x[5, i], per_person / x[8, i]
            out[3, i], out[4, i], out[5, i], out[6, i], out[7, i] = households_pool, pool, profit - pool, profit, revenue
            per_recipient_person = households_pool / x[10, i]
            out[8, i], out[9, i] = per_recipient_person, households_pool / x[9, i]
            out[10, i] = per_recipient_person / x[8, i]
        for h in range(len(histogrammed)):
            values_h, counts, low, scale = out[histogrammed[h]], hist_counts[h], hist_bounds[h, 0], hist_bounds[h, 1]
            total = 0.0
            for i in range(m):
                total += values_h[i]
                counts[histogram_bin(values_h[i], low, scale, bins)] += 1
            hist_sums[h] += total
        for t in range(len(limits)):
            count = 0
            for i in range(m):
                if out[tested, i] >= limits[t]:
                    count += 1
            reached[t] += count
        y = out[weight]
        total, total_sq = 0.0, 0.0
        for i in range(m):
            total += y[i]
            total_sq += y[i] * y[i]
        weight_sums[0] += total
        weight_sums[1] += total_sq
        for j in range(k):
            u, counts, sums = uniforms[j, start:start + m], sobol_counts[j], sobol_sums[j]
            for i in range(m):
                b = int(u[i] * sobol_bins)  # 0 <= u < 1
                counts[b] += 1
                sums[b] += y[i]
