"""Tests for analysis/scenarios.py: presets, sensitivity, grid, Monte Carlo, contract paths, payback."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import kernel, model, scenarios
from analysis.errors import ParameterError
from analysis.parameters import ASSUMPTION_NAMES, POLICY_LEVERS, assumption_table, get_parameters

HAND = dict(yield_kg_per_segment=0.05, price_yuan_per_kg=60, cost_yuan_per_segment=1.5, subsidy_fraction=0.5,
            poverty_line_yuan=3000)
VARIED = ("yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment")  # the uncertain season inputs
RECIPIENT_PERSONS = 130 * 690 / 243  # (243 - 113) households of the registered average size


@pytest.fixture(scope="module")
def hand():
    return get_parameters("base", **HAND)


def test_presets_table_has_one_row_per_preset():
    table = scenarios.presets_table()
    assert table.shape == (3, 1 + len(model.SEASON_OUTPUTS))
    assert list(table["preset"]) == ["low", "base", "high"]
    low = model.season(get_parameters("low"))
    assert table.iloc[0]["per_person_yuan"] == low["per_person_yuan"]


def test_sensitivity_by_hand(hand):
    table = scenarios.sensitivity(hand)
    assert list(table.columns) == ["parameter", "label_en", "label_zh", "unit", "low", "base", "high", "output_low",
                                   "output_high", "output_base", "swing", "value", "outside_range", "is_zero_swing",
                                   "is_policy_lever"]
    assert len(table) == len(ASSUMPTION_NAMES) == 32
    assert table["swing"].is_monotonic_decreasing
    row = table.set_index("parameter").loc["price_yuan_per_kg"]
    low, high = assumption_table().loc["price_yuan_per_kg", ["low", "high"]]
    # per person = subsidy x village share x segments x (yield x price - cost) / persons
    assert row["output_low"] == pytest.approx(0.5 * 0.6 * 800_000 * (0.05 * low - 1.5) / 690)
    assert row["output_high"] == pytest.approx(0.5 * 0.6 * 800_000 * (0.05 * high - 1.5) / 690)
    assert row["output_base"] == pytest.approx(360_000 / 690)
    assert row["swing"] == pytest.approx(0.5 * 0.6 * 800_000 * 0.05 * (high - low) / 690)
    assert table.set_index("parameter").at["daily_wage_yuan", "swing"] == 0.0  # wages do not enter the season
    flags = table.set_index("parameter")
    assert flags.at["daily_wage_yuan", "is_zero_swing"] and not flags.at["price_yuan_per_kg", "is_zero_swing"]
    assert flags.at["price_yuan_per_kg", "value"] == 60 and not flags["outside_range"].any()
    assert list(flags.index[flags["is_policy_lever"]]) == ["subsidy_fraction"]


def test_sensitivity_marks_a_value_outside_the_assumed_range(hand):
    high = assumption_table().at["price_yuan_per_kg", "high"]
    row = scenarios.sensitivity(hand.replace(price_yuan_per_kg=high + 20)).set_index("parameter").loc["price_yuan_per_kg"]
    assert row["outside_range"] and row["value"] == high + 20
    # both ends of the assumed range stay in the frame; the run's value lies beyond the high end
    assert row["output_high"] == pytest.approx(0.5 * 0.6 * 800_000 * (0.05 * high - 1.5) / 690)
    assert row["output_base"] == pytest.approx(0.5 * 0.6 * 800_000 * (0.05 * (high + 20) - 1.5) / 690)
    assert row["output_base"] > row["output_high"] > row["output_low"]


def test_sensitivity_flags_assumptions_without_effect_at_a_loss():
    # price 30, cost 2: even the high yield gives 0.065 x 30 = 1.95 < 2 yuan a segment: no profit, no effect
    table = scenarios.sensitivity(get_parameters(price_yuan_per_kg=30, cost_yuan_per_segment=2)).set_index("parameter")
    assert table.at["yield_kg_per_segment", "is_zero_swing"] and table.at["subsidy_fraction", "is_zero_swing"]
    assert not table.at["price_yuan_per_kg", "is_zero_swing"]  # at the high price 70 there is a profit


def test_sensitivity_rejects_an_unknown_output():
    with pytest.raises(ParameterError) as caught:
        scenarios.sensitivity(output="happiness")
    assert str(caught.value) == f"output=happiness: choose one of {', '.join(model.SEASON_OUTPUTS)}"


def test_break_even_grid_by_hand(hand):
    grid = scenarios.break_even_grid(hand, prices=[30, 60], yields=[0.05])
    assert list(grid.columns) == ["price_yuan_per_kg", "yield_kg_per_segment", "profit_yuan", "per_person_yuan",
                                  "share_of_poverty_line"]
    # 800,000 x (0.05 x 30 - 1.5) = 0 (break-even); 800,000 x (0.05 x 60 - 1.5) = 1,200,000
    np.testing.assert_allclose(grid["profit_yuan"], [0.0, 1_200_000], atol=1e-6)
    np.testing.assert_allclose(grid["per_person_yuan"], [0.0, 360_000 / 690])


def test_break_even_grid_default_spans_the_ranges_with_margin():
    grid = scenarios.break_even_grid()
    assert grid.shape == (41 * 41, 5)
    low, high = assumption_table().loc["price_yuan_per_kg", ["low", "high"]]
    margin = (high - low) * scenarios.GRID_MARGIN_SHARE
    assert grid["price_yuan_per_kg"].min() == pytest.approx(low - margin)
    assert grid["price_yuan_per_kg"].max() == pytest.approx(high + margin)


def test_monte_carlo_is_reproducible_and_chunk_independent():
    a = scenarios.monte_carlo(5000, seed=7, keep=100)
    b = scenarios.monte_carlo(5000, seed=7, keep=100, chunk=777)
    pd.testing.assert_frame_equal(a.quantiles, b.quantiles)
    pd.testing.assert_frame_equal(a.threshold_probabilities, b.threshold_probabilities)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    pd.testing.assert_frame_equal(a.first_order, b.first_order, check_exact=False, rtol=1e-9)
    c = scenarios.monte_carlo(5000, seed=8, keep=100)
    assert not a.samples.equals(c.samples)


def test_monte_carlo_shapes_and_ranges():
    result = scenarios.monte_carlo(2000, seed=1, keep=50)
    assert (result.draws, result.seed, result.varied) == (2000, 1, VARIED)
    assert list(result.quantiles.columns) == ["output", "q05", "q25", "q50", "q75", "q95", "mean"]
    assert list(result.quantiles["output"]) == list(scenarios.MC_OUTPUTS)
    assert result.samples.shape == (50, len(VARIED) + len(scenarios.MC_OUTPUTS))
    assert len(scenarios.MC_OUTPUTS) == 11 and scenarios.MC_OUTPUTS[-3:] == (
        "per_recipient_person_yuan", "per_recipient_household_yuan", "recipient_share_of_poverty_line")
    table = assumption_table()
    for name in VARIED:
        assert result.samples[name].between(table.at[name, "low"], table.at[name, "high"]).all()
    probabilities = result.threshold_probabilities
    assert list(probabilities["threshold_share"]) == list(scenarios.DEFAULT_THRESHOLD_SHARES)
    line = get_parameters().poverty_line_yuan
    np.testing.assert_allclose(probabilities["threshold_yuan"], [0.10 * line, 0.25 * line, 0.50 * line])
    assert probabilities["probability"].is_monotonic_decreasing
    assert list(result.first_order["parameter"]) == list(VARIED) * 2
    assert list(result.first_order["output"]) == ["per_person_yuan"] * 3 + ["per_recipient_person_yuan"] * 3
    shares = result.first_order.pivot(index="parameter", columns="output", values="first_order_index")
    assert (shares["per_person_yuan"] == shares["per_recipient_person_yuan"]).all()  # a constant multiple


@pytest.mark.parametrize("threshold", [10, 100_000])  # the exact path and the compiled kernel
def test_monte_carlo_never_draws_policy_levers(monkeypatch, threshold):
    table = assumption_table().copy()
    table.loc["subsidy_fraction", "distribution"] = "uniform"  # even with a law in the table, a choice is not drawn
    monkeypatch.setattr(scenarios, "assumption_table", lambda: table)
    monkeypatch.setattr(scenarios, "EXACT_QUANTILE_MAX_DRAWS", threshold)
    p = get_parameters(subsidy_fraction=0.4, recipient_households=100)
    result = scenarios.monte_carlo(3000, seed=3, p=p, keep=10, chunk=1000)
    assert result.varied == VARIED and not set(result.varied) & set(POLICY_LEVERS)
    q = result.quantiles.set_index("output")
    # households' pool = 0.4 x villages' pool in every draw; per recipient = that / 100 households
    assert q.loc["households_pool_yuan", "q50"] == pytest.approx(0.4 * q.loc["village_pool_yuan", "q50"], rel=1e-9)
    assert q.loc["per_recipient_household_yuan", "mean"] == pytest.approx(q.loc["households_pool_yuan", "mean"] / 100)
    assert q.loc["per_recipient_person_yuan", "mean"] == pytest.approx(
        q.loc["households_pool_yuan", "mean"] / (100 * 690 / 243))


def test_monte_carlo_with_everything_fixed_returns_the_season(hand):
    result = scenarios.monte_carlo(100, seed=1, p=hand, fixed=VARIED, thresholds=(0.17, 0.18))
    q = result.quantiles.set_index("output")
    assert q.loc["per_person_yuan", "q05"] == q.loc["per_person_yuan", "q95"] == pytest.approx(360_000 / 690)
    assert q.loc["per_recipient_person_yuan", "q50"] == pytest.approx(360_000 / RECIPIENT_PERSONS)  # = 975.24
    assert q.loc["per_recipient_household_yuan", "q50"] == pytest.approx(360_000 / 130)
    # 360,000 / 690 / 3000 = 0.1739: reaches 17% of the line in every draw, 18% in none
    assert list(result.threshold_probabilities["probability"]) == [1.0, 0.0]


def test_histogram_path_with_everything_fixed_returns_the_season(hand, monkeypatch):
    monkeypatch.setattr(scenarios, "EXACT_QUANTILE_MAX_DRAWS", 10)  # the kernel with no varied input
    result = scenarios.monte_carlo(3000, seed=1, p=hand, fixed=VARIED, thresholds=(0.17, 0.18), chunk=1000)
    q = result.quantiles.set_index("output")
    assert not result.exact_quantiles and result.varied == () and result.first_order.empty
    assert q.loc["per_person_yuan", "q05"] == q.loc["per_person_yuan", "q95"] == pytest.approx(360_000 / 690)
    assert q.loc["per_person_yuan", "mean"] == pytest.approx(360_000 / 690)
    assert q.loc["recipient_share_of_poverty_line", "mean"] == pytest.approx(360_000 / RECIPIENT_PERSONS / 3000)
    assert list(result.threshold_probabilities["probability"]) == [1.0, 0.0]  # 0.1739 of the line


def test_first_order_index_of_the_only_varied_input_is_one(hand):
    result = scenarios.monte_carlo(20_000, seed=2, p=hand, fixed=("yield_kg_per_segment", "cost_yuan_per_segment"))
    assert result.varied == ("price_yuan_per_kg",)
    assert result.first_order["first_order_index"].iloc[0] > 0.99  # per person is linear in price here


def test_histogram_quantiles_match_exact_ones(monkeypatch):
    exact = scenarios.monte_carlo(20_000, seed=3, keep=0)
    monkeypatch.setattr(scenarios, "EXACT_QUANTILE_MAX_DRAWS", 10)
    approx = scenarios.monte_carlo(20_000, seed=3, keep=0, chunk=3000)
    assert exact.exact_quantiles and not approx.exact_quantiles
    for output in ("per_person_yuan", "profit_yuan"):
        e = exact.quantiles.set_index("output").loc[output]
        a = approx.quantiles.set_index("output").loc[output]
        spread = e["q95"] - e["q05"]
        for column in ("q05", "q50", "q95"):
            assert a[column] == pytest.approx(e[column], abs=spread * 1e-3)
        assert a["mean"] == pytest.approx(e["mean"], rel=1e-12)


def test_histogram_quantiles_by_hand():
    # counts 2, 0, 6, 2 in bins of width 1 on [0, 4]; cumulative 2, 2, 8, 10
    counts = np.array([2, 0, 6, 2])
    # q=0.1: 1st of 10 -> bin 0, 1/2 in -> 0.5; q=0.5: 5th -> bin 2, (5-2)/6 in -> 2.5; q=0.95: 9.5th -> 3 + 1.5/2
    assert scenarios._histogram_quantiles(counts, 0.0, 4.0, (0.1, 0.5, 0.95)) == [0.5, 2.5, 3.75]


def test_histogram_bins_clip_at_the_bounds():
    bins = scenarios.HISTOGRAM_BINS
    values = [0.0, 0.5, 1.0, bins - 0.1, bins, -1e-9, -5.0, float("nan"), bins + 7.0]
    # bin width 1 from 0: truncation; just below 0, far below 0 and NaN -> bin 0; at or above the top -> last bin
    assert [kernel.histogram_bin(v, 0.0, 1.0, bins) for v in values] == [0, 0, 1, bins - 1, bins - 1, 0, 0, 0,
                                                                          bins - 1]
    # low 10, 4 bins per unit: (10.3 - 10) x 4 = 1.2 -> bin 1
    assert kernel.histogram_bin(10.3, 10.0, 4.0, bins) == 1


def test_kernel_names_follow_the_model():
    assert kernel.INPUTS == model.SEASON_INPUTS
    assert set(kernel.OUTPUTS) == set(scenarios.MC_OUTPUTS)


@pytest.mark.parametrize(("low", "mode", "high"), [(0.04, 0.045, 0.05), (50, 60, 70), (1.0, 1.0, 2.0), (1.0, 2.0, 2.0)])
def test_kernel_draws_and_outputs_equal_numpy_bit_for_bit(low, mode, high):
    # 5,000 draws > kernel.BLOCK (several blocks); the uniform law on the same range as a second input
    u = np.concatenate([np.random.default_rng(1).random(5000), [0.0, (mode - low) / (high - low), 1 - 2 ** -53]])
    u = u[u < 1]  # uniforms are below 1 (the split is 1 when mode = high)
    uniforms = np.array([u, u[::-1]])
    laws = np.array([(kernel.TRIANGULAR, low, mode, high), (kernel.UNIFORM, low, mode, high)])
    names = ["price_yuan_per_kg", "yield_kg_per_segment"]
    p = get_parameters()
    inputs = np.array([float(getattr(p, name)) for name in kernel.INPUTS])
    values = np.empty(uniforms.shape)
    counts, sums = np.zeros((len(kernel.OUTPUTS), 8), dtype=np.int64), np.zeros(len(kernel.OUTPUTS))
    bounds = np.array([(0.0, 0.0)] * len(kernel.OUTPUTS))  # scale 0: every draw in bin 0
    reached, sobol_counts, sobol_sums, weight_sums = (np.zeros(1, dtype=np.int64), np.zeros((2, 4), dtype=np.int64),
                                                      np.zeros((2, 4)), np.zeros(2))
    revenue = kernel.OUTPUTS.index("revenue_yuan")
    kernel.chunk(uniforms, laws, np.array([kernel.INPUTS.index(name) for name in names]), inputs, values,
                 np.arange(len(kernel.OUTPUTS)), bounds, counts, sums, revenue, np.array([0.0]), reached, revenue,
                 sobol_counts, sobol_sums, weight_sums)
    triangular, uniform = (scenarios._inverse_cdf(row, law, low, mode, high)
                           for row, law in zip(uniforms, ["triangular", "uniform"]))
    np.testing.assert_array_equal(values, [triangular, uniform])
    assert values[0, 5000] == low and values[0, -1] == pytest.approx(high, abs=(high - low) * 1e-7)
    out = model.season_arrays(**(model.season_inputs(p) | dict(zip(names, values))))
    np.testing.assert_allclose(sums, [out[name].sum() for name in kernel.OUTPUTS], rtol=1e-12)
    assert counts[:, 0].tolist() == [len(u)] * len(kernel.OUTPUTS) and reached.tolist() == [len(u)]
    # sobol bins: 4 equal-probability bins of each uniform; the weight's sums per bin
    for row, bin_counts, bin_sums in zip(uniforms, sobol_counts, sobol_sums):
        index = (row * 4).astype(int)
        assert bin_counts.tolist() == np.bincount(index, minlength=4).tolist()
        np.testing.assert_allclose(bin_sums, np.bincount(index, weights=out["revenue_yuan"], minlength=4), rtol=1e-12)
    np.testing.assert_allclose(weight_sums, [out["revenue_yuan"].sum(), np.square(out["revenue_yuan"]).sum()],
                               rtol=1e-12)


def test_histogram_path_is_chunk_independent(monkeypatch):
    monkeypatch.setattr(scenarios, "EXACT_QUANTILE_MAX_DRAWS", 10)
    a = scenarios.monte_carlo(30_000, seed=5, keep=100, chunk=777)
    b = scenarios.monte_carlo(30_000, seed=5, keep=100, chunk=4096)
    columns = ["output", "q05", "q25", "q50", "q75", "q95"]  # from integer counts: identical
    pd.testing.assert_frame_equal(a.quantiles[columns], b.quantiles[columns])
    np.testing.assert_allclose(a.quantiles["mean"], b.quantiles["mean"], rtol=1e-12)
    pd.testing.assert_frame_equal(a.threshold_probabilities, b.threshold_probabilities)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    pd.testing.assert_frame_equal(a.first_order, b.first_order, check_exact=False, rtol=1e-9)
    exact = scenarios.monte_carlo(30_000, seed=5, keep=100)
    pd.testing.assert_frame_equal(a.samples, exact.samples)  # the same draws as the exact path
    pd.testing.assert_frame_equal(a.threshold_probabilities, exact.threshold_probabilities)
    pd.testing.assert_frame_equal(a.first_order, exact.first_order, check_exact=False, rtol=1e-9)


def test_histogram_path_does_not_depend_on_threads(monkeypatch):
    monkeypatch.setattr(scenarios, "EXACT_QUANTILE_MAX_DRAWS", 10)
    threaded = scenarios.monte_carlo(20_000, seed=9, keep=5000, chunk=1000)  # 20 chunks over MC_LANES lanes
    monkeypatch.setattr(scenarios.os, "cpu_count", lambda: 1)
    serial = scenarios.monte_carlo(20_000, seed=9, keep=5000, chunk=1000)
    for name in ("quantiles", "threshold_probabilities", "samples", "first_order"):
        pd.testing.assert_frame_equal(getattr(threaded, name), getattr(serial, name), check_exact=True)


def test_histogram_path_scaled_outputs(monkeypatch):
    monkeypatch.setattr(scenarios, "EXACT_QUANTILE_MAX_DRAWS", 10)
    p = get_parameters(cost_yuan_per_segment=1.5)
    q = scenarios.monte_carlo(20_000, seed=6, p=p, fixed=("cost_yuan_per_segment",), keep=0).quantiles.set_index("output")
    pool = q.loc["households_pool_yuan"]
    # per person = households' pool / 690 persons; share of the line = per person / poverty line
    pd.testing.assert_series_equal(q.loc["per_person_yuan"], pool / 690, check_names=False, rtol=1e-12)
    pd.testing.assert_series_equal(q.loc["per_household_yuan"], pool / 243, check_names=False, rtol=1e-12)
    pd.testing.assert_series_equal(q.loc["share_of_poverty_line"], pool / 690 / p.poverty_line_yuan,
                                   check_names=False, rtol=1e-12)
    pd.testing.assert_series_equal(q.loc["per_recipient_household_yuan"], pool / 130, check_names=False, rtol=1e-12)
    pd.testing.assert_series_equal(q.loc["per_recipient_person_yuan"], pool / RECIPIENT_PERSONS, check_names=False,
                                   rtol=1e-12)
    pd.testing.assert_series_equal(q.loc["recipient_share_of_poverty_line"],
                                   pool / RECIPIENT_PERSONS / p.poverty_line_yuan, check_names=False, rtol=1e-12)
    # yield x price >= 0.04 x 40 = 1.6 >= cost 1.5, so profit >= 0: village pool = 0.6 x profit
    pd.testing.assert_series_equal(q.loc["village_pool_yuan"], q.loc["profit_yuan"] * 0.6, check_names=False,
                                   rtol=1e-12)
    pd.testing.assert_series_equal(q.loc["enterprise_yuan"], q.loc["profit_yuan"] * 0.4, check_names=False,
                                   rtol=1e-12)


@pytest.mark.parametrize("case", ["loss_possible", "poverty_line_varied"])
def test_histogram_path_matches_exact_quantiles_in_general_cases(monkeypatch, case):
    p = get_parameters()
    if case == "loss_possible":  # price 40: 0.04 x 40 = 1.6 < cost 2, the villages' pool is sometimes 0
        p = p.replace(price_yuan_per_kg=40)
        fixed = ("price_yuan_per_kg",)
    else:
        table = assumption_table().copy()
        table.loc["poverty_line_yuan", "distribution"] = "triangular"
        monkeypatch.setattr(scenarios, "assumption_table", lambda: table)
        fixed = ()
    exact = scenarios.monte_carlo(20_000, seed=8, p=p, fixed=fixed, keep=0)
    monkeypatch.setattr(scenarios, "EXACT_QUANTILE_MAX_DRAWS", 10)
    approx = scenarios.monte_carlo(20_000, seed=8, p=p, fixed=fixed, keep=0, chunk=3000)
    assert ("poverty_line_yuan" in approx.varied) == (case == "poverty_line_varied")
    pd.testing.assert_frame_equal(approx.threshold_probabilities, exact.threshold_probabilities)
    for output in scenarios.MC_OUTPUTS:
        e = exact.quantiles.set_index("output").loc[output]
        a = approx.quantiles.set_index("output").loc[output]
        spread = e["q95"] - e["q05"]
        for column in ("q05", "q25", "q50", "q75", "q95"):
            assert a[column] == pytest.approx(e[column], abs=spread * 1e-3)
        assert a["mean"] == pytest.approx(e["mean"], rel=1e-12)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"draws": 0}, "draws=0: must be an integer > 0"),
    ({"draws": -5}, "draws=-5: must be an integer > 0"),
    ({"draws": 2.5}, "draws=2.5: must be an integer > 0"),
    ({"draws": 10, "seed": -1}, "seed=-1: must be an integer between 0 and 9223372036854775807"),
    ({"draws": 10, "seed": 2**63}, "seed=9223372036854775808: must be an integer between 0 and 9223372036854775807"),
    ({"draws": 10, "seed": 1e20}, "seed=1e+20: must be an integer written in digits (from 2**53 a number with an "
                                  "exponent or a point is not exact)"),
    ({"draws": 10, "seed": "9007199254740993.0"}, "seed=9007199254740993.0: must be an integer written in digits "
                                                  "(from 2**53 a number with an exponent or a point is not exact)"),
    ({"draws": 10, "thresholds": (1.5,)}, "threshold_share=1.5: must be between 0 and 1"),
])
def test_monte_carlo_bad_arguments(kwargs, message):
    with pytest.raises(ParameterError) as caught:
        scenarios.monte_carlo(**kwargs)
    assert str(caught.value) == message


def test_check_count_reads_digits_exactly():
    assert scenarios.check_count("seed", "9223372036854775807", 0, scenarios.MAX_SEED) == 2**63 - 1
    assert scenarios.check_count("seed", "9007199254740993", 0) == 2**53 + 1  # digits: not rounded
    assert scenarios.check_count("draws", "1e6", 1) == 1_000_000 and scenarios.check_count("draws", 2e3, 1) == 2000


def test_contract_paths_without_variability_by_hand(hand):
    p = hand.replace(price_cv=0, yield_cv=0, discount_rate=0.05, disaster_probability_per_year=0)
    paths = scenarios.contract_paths(p, draws=10, seed=1)
    assert paths.shape == (13 * 5, 2 + 10 + 4 + 4)
    assert list(paths.columns[:5]) == ["year", "quantile", "village_pool_yuan", "households_yuan", "enterprise_yuan"]
    last = paths[(paths["year"] == 13) & (paths["quantile"] == 0.5)].iloc[0]
    assert last["village_pool_yuan"] == pytest.approx(720_000)
    assert last["cumulative_village_pool_yuan"] == pytest.approx(13 * 720_000)
    assert last["cumulative_enterprise_yuan"] == pytest.approx(13 * 480_000)
    present_value_factor = sum(1.05 ** -t for t in range(1, 14))  # end-of-year flows, years 1..13
    assert last["pv_cumulative_households_yuan"] == pytest.approx(360_000 * present_value_factor)
    assert last["cumulative_per_recipient_household_yuan"] == pytest.approx(13 * 360_000 / 130)
    # the line of 2016 (poverty_line_year) grows 3.1% a year; year 13 is the season of 2017 + 12 = 2029
    growth = p.poverty_line_growth_rate
    assert (last["season_year"], last["poverty_line_yuan"]) == (2029, pytest.approx(3000 * (1 + growth) ** 13))
    assert last["recipient_share_of_poverty_line"] == pytest.approx(360_000 / RECIPIENT_PERSONS / (3000 * (1 + growth) ** 13))
    assert (last["share_of_draws_disaster"], last["share_of_draws_zero_dividend"]) == (0.0, 0.0)


@pytest.mark.parametrize("loss_rule", ["floor", "carry_forward"])
def test_contract_with_a_forced_disaster_year_by_hand(hand, loss_rule):
    p = hand.replace(price_cv=0, yield_cv=0, disaster_yield_loss_share=0.6, discount_rate=0)
    paths = scenarios.contract_paths(p, draws=5, seed=1, loss_rule=loss_rule, disaster_years=(5,))
    median = paths[paths["quantile"] == 0.5].set_index("year")
    # year 5: yield 0.05 x (1 - 0.6) = 0.02; revenue 800,000 x 0.02 x 60 = 960,000 < cost 1,200,000: a loss of 240,000
    assert median.at[5, "village_pool_yuan"] == 0.0 and median.at[5, "share_of_draws_disaster"] == 1.0
    assert median.at[5, "enterprise_yuan"] == pytest.approx(-240_000)
    assert median.at[5, "share_of_draws_zero_dividend"] == 1.0
    # year 6: floor -> the usual 0.6 x 1,200,000 = 720,000; carried forward -> 0.6 x (1,200,000 - 240,000) = 576,000
    year_six = 0.6 * 1_200_000 if loss_rule == "floor" else 0.6 * (1_200_000 - 240_000)
    assert median.at[6, "village_pool_yuan"] == pytest.approx(year_six)
    # over 13 years, per recipient household: 12 normal years (less the loss recovered) x 0.5 x 0.6 / 130
    total_profit = 12 * 1_200_000 - (0 if loss_rule == "floor" else 240_000)
    assert median.at[13, "cumulative_per_recipient_household_yuan"] == pytest.approx(total_profit * 0.6 * 0.5 / 130)
    summary = scenarios.contract_term_summary(p, draws=5, seed=1, loss_rule=loss_rule, disaster_years=(5,))
    assert summary["p_zero_dividend_year_any"] == 1.0 and summary["mean_zero_dividend_years"] == 1.0
    assert summary["p_disaster_year_any"] == 1.0
    assert summary["cumulative_per_recipient_household_yuan"]["q50"] == pytest.approx(total_profit * 0.6 * 0.5 / 130)


def test_contract_paths_in_real_terms_deflate_by_the_poverty_line(hand):
    p = hand.replace(price_cv=0, yield_cv=0, disaster_probability_per_year=0)
    real = scenarios.contract_paths(p, draws=3, seed=1, real=True)
    median = real[real["quantile"] == 0.5].set_index("year")
    growth = p.poverty_line_growth_rate
    # year t is deflated by (1 + growth) ** t (2016 yuan); the line itself stays 3,000 in 2016 yuan
    assert median.at[3, "per_recipient_household_yuan"] == pytest.approx(360_000 / 130 / (1 + growth) ** 3)
    assert median.at[3, "poverty_line_yuan"] == pytest.approx(3000)
    line = scenarios.poverty_line_by_year(p)
    assert list(line.columns) == ["year", "season_year", "poverty_line_yuan", "deflator"]
    assert line["poverty_line_yuan"].iloc[0] == pytest.approx(3000 * (1 + growth))  # 2017: a year after 2016


def test_contract_term_probability_of_a_zero_dividend_year(hand):
    # no variability, a disaster every year with probability 1 and full loss: every year pays nothing
    p = hand.replace(price_cv=0, yield_cv=0, disaster_probability_per_year=1, disaster_yield_loss_share=1)
    summary = scenarios.contract_term_summary(p, draws=20, seed=2)
    assert summary["p_zero_dividend_year_any"] == 1.0 and summary["mean_zero_dividend_years"] == 13.0
    assert summary["cumulative_per_recipient_household_yuan"]["mean"] == 0.0
    calm = scenarios.contract_term_summary(p.replace(disaster_probability_per_year=0), draws=20, seed=2)
    assert calm["p_zero_dividend_year_any"] == 0.0 and calm["p_disaster_year_any"] == 0.0
    with pytest.raises(ParameterError) as caught:
        scenarios.contract_paths(p, draws=2, loss_rule="forgive")
    assert str(caught.value) == "loss_rule=forgive: choose one of floor, carry_forward"


def test_contract_paths_vary_and_are_ordered():
    paths = scenarios.contract_paths(draws=500, seed=4, years=3)
    assert sorted(paths["year"].unique()) == [1, 2, 3]
    year_two = paths[paths["year"] == 2].sort_values("quantile")
    assert year_two["village_pool_yuan"].is_monotonic_increasing
    assert year_two["village_pool_yuan"].iloc[0] < year_two["village_pool_yuan"].iloc[-1]
    again = scenarios.contract_paths(draws=500, seed=4, years=3)
    pd.testing.assert_frame_equal(paths, again)


def test_enterprise_payback_by_hand(hand):
    p = hand.replace(enterprise_own_margin_ratio=0.5, investment_above_stated_share=0.2, land_rent_period_years=1,
                     discount_rate=0, segments_per_mu=9000, bag_sale_margin_yuan_per_segment=0.2)
    result = scenarios.enterprise_payback(p)
    assert result["investment_yuan"] == pytest.approx(5_000_000 * 1.2)  # 500余万元, assumed 20% above
    # the base holds 150 mu x 9,000 = 1,350,000 segments: 550,000 of its own grown out, 650,000 sold as bags
    assert (result["own_grown_segments"], result["bags_sold_segments"]) == (550_000, 650_000)
    # 480,000 (40% of the contract profit) + 550,000 x 1.5 x 0.5 + 650,000 x 0.2 - 90,000 land rent = 932,500
    assert result["annual_profit_yuan"] == pytest.approx(480_000 + 412_500 + 130_000 - 90_000)
    assert result["payback_years"] == pytest.approx(6_000_000 / 932_500)  # = 6.43 years
    assert result["pays_back_within_term"] is True
    assert result["npv_contract_yuan"] == pytest.approx(13 * 932_500 - 6_000_000)
    assert result["cost_advance_yuan"] == pytest.approx((800_000 + 550_000) * 1.5)
    assert set(result["assumptions"]) >= {"enterprise_own_margin_ratio", "investment_above_stated_share",
                                          "segments_per_mu", "bag_sale_margin_yuan_per_segment", "rules"}


def test_enterprise_never_pays_back_at_a_loss(hand):
    result = scenarios.enterprise_payback(hand.replace(price_yuan_per_kg=10))
    assert math.isinf(result["payback_years"]) and result["pays_back_within_term"] is False


def test_payback_within_the_term_is_computed_not_assumed():
    assert scenarios.enterprise_payback(get_parameters())["pays_back_within_term"] is True
    # at 45 yuan/kg: 0.045 x 45 - 2.0 = 0.025 yuan a segment; 800,000 x 0.025 x 0.4 + 550,000 x 0.025
    # + 650,000 x 0.2 - 90,000 = 61,750 a year: 5,500,000 / 61,750 = 89 years
    result = scenarios.enterprise_payback(get_parameters(price_yuan_per_kg=45))
    assert result["annual_profit_yuan"] == pytest.approx(8_000 + 13_750 + 130_000 - 90_000)
    assert result["pays_back_within_term"] is False


def test_booked_cost_sensitivity(hand):
    frame = scenarios.booked_cost_sensitivity(hand, booked_costs=[1.5, 1.8, 3.5])
    assert list(frame.columns) == ["booked_cost_yuan_per_segment", "booked_minus_actual_yuan_per_segment",
                                   "village_pool_yuan", "households_pool_yuan", "per_recipient_person_yuan",
                                   "enterprise_contract_yuan", "enterprise_annual_profit_yuan", "payback_years",
                                   "pays_back_within_term", "is_actual"]
    by = frame.set_index("booked_cost_yuan_per_segment")
    # booked 1.8: the villages get 0.6 x 800,000 x (3 - 1.8) = 576,000, the enterprise 1,200,000 - 576,000
    assert by.at[1.8, "village_pool_yuan"] == pytest.approx(576_000)
    assert by.at[1.8, "enterprise_contract_yuan"] == pytest.approx(624_000)
    assert by.at[1.8, "per_recipient_person_yuan"] == pytest.approx(0.5 * 576_000 / RECIPIENT_PERSONS)
    # booked 3.5 > 3 yuan of revenue a segment: nothing for the villages, the whole 1,200,000 to the enterprise
    assert by.at[3.5, "village_pool_yuan"] == 0.0 and by.at[3.5, "enterprise_contract_yuan"] == pytest.approx(1_200_000)
    assert list(frame["is_actual"]) == [True, False, False]
    default = scenarios.booked_cost_sensitivity(hand)
    assert default["is_actual"].sum() == 1 and default["booked_cost_yuan_per_segment"].is_monotonic_increasing


# --- policy levers and poverty ------------------------------------------------------------------------

def test_subsidy_share_curve(hand):
    frame = scenarios.subsidy_share_curve(hand, draws=4000, seed=3)
    assert list(frame.columns) == ["recipients", "recipient_households", "recipient_persons", "subsidy_fraction",
                                   "per_recipient_person_yuan", "q05", "q25", "q50", "q75", "q95", "mean",
                                   "poverty_line_yuan", "share_of_poverty_line", "q05_share_of_poverty_line",
                                   "q95_share_of_poverty_line", "is_run_share", "draws", "seed"]
    assert frame.shape[0] == 2 * 21  # 0, 0.05, ..., 1 (0.5, the run's share, is one of them) for two rules
    rows = frame.set_index(["recipients", "subsidy_fraction"])
    # at the run's values: 0.5 x 720,000 = 360,000 over 690 registered persons, or over 130 x 690 / 243
    assert rows.at[("all_registered", 0.5), "per_recipient_person_yuan"] == pytest.approx(360_000 / 690)
    assert rows.at[("not_yet_exited", 0.5), "per_recipient_person_yuan"] == pytest.approx(360_000 / RECIPIENT_PERSONS)
    assert rows.at[("not_yet_exited", 1.0), "share_of_poverty_line"] == pytest.approx(720_000 / RECIPIENT_PERSONS / 3000)
    assert (rows.xs(0.0, level="subsidy_fraction")[["per_recipient_person_yuan", "q05", "q95"]] == 0).all().all()
    # the band: the villages' pool quantiles of the same Monte Carlo run, times share / recipient persons
    pool = scenarios.monte_carlo(4000, 3, hand, keep=0).quantiles.set_index("output").loc["village_pool_yuan"]
    assert rows.at[("all_registered", 0.3), "q95"] == pytest.approx(pool["q95"] * 0.3 / 690)
    assert rows.at[("not_yet_exited", 0.3), "q05"] == pytest.approx(pool["q05"] * 0.3 / RECIPIENT_PERSONS)
    assert frame["is_run_share"].sum() == 2
    assert (frame["q05"] <= frame["q50"]).all() and (frame["q50"] <= frame["q95"]).all()
    odd = scenarios.subsidy_share_curve(hand.replace(subsidy_fraction=0.42), draws=1000)
    assert odd.shape[0] == 2 * 22 and odd.loc[odd["is_run_share"], "subsidy_fraction"].tolist() == [0.42, 0.42]


def test_poverty_gap_lift_by_hand(hand):
    frame = scenarios.poverty_gap_lift(hand, shortfalls=[500, 1500])
    row = frame.set_index("shortfall_yuan_per_person")
    size = 690 / 243  # persons per registered household
    # 500 a person: 360,000 / (500 x 2.84) = 253.6 households, but only the 130 recipients receive it: all 113 exits
    assert row.at[500, "households_liftable"] == pytest.approx(360_000 / (500 * size))
    assert row.at[500, "households_liftable_capped"] == 130
    assert row.at[500, "share_of_exits_explained_max"] == 1.0
    # 1,500 a person: 360,000 / (1,500 x 2.84) = 84.5 households of the 113 exits at most
    assert row.at[1500, "share_of_exits_explained_max"] == pytest.approx(360_000 / (1500 * size) / 113)
    assert row.at[1500, "share_of_exits_from_other_channels_min"] == pytest.approx(1 - 360_000 / (1500 * size) / 113)
    assert row.at[1500, "other_income_needed_yuan"] == pytest.approx(113 * 1500 * size - 360_000)  # = 121,296
    assert row.at[500, "other_income_needed_yuan"] == 0.0
    # spread evenly, the dividend closes 975 a recipient person: a 500 shortfall, not a 1,500 one
    assert list(frame["closes_gap_evenly"]) == [True, False]
    assert list(frame["assumption_point"]) == ["base", "high"]
    default = scenarios.poverty_gap_lift(hand)
    assert set(default["assumption_point"]) == {"low", "base", "high", ""}
    assert default["shortfall_yuan_per_person"].is_monotonic_increasing and default["households_liftable"].is_monotonic_decreasing


def test_exits_explained(hand):
    result = scenarios.exits_explained(hand.replace(poverty_shortfall_yuan_per_person=1500))
    # 113 households x 690 / 243 = 320.9 persons: at least the article's "300多名群众增加收入"
    assert result["exited_persons_estimate"] == pytest.approx(113 * 690 / 243)
    assert result["persons_income_increased"] == 300 and result["persons_income_increased_qualifier"] == "at_least"
    assert result["exited_persons_at_least_stated"] is True
    assert result["share_of_exits_explained_max"] == pytest.approx(360_000 / (1500 * 690 / 243) / 113)
    assert result["share_of_exits_explained_max_at_low_shortfall"] == 1.0  # 250: the pool covers all 113
    assert result["per_recipient_person_yuan"] == pytest.approx(360_000 / RECIPIENT_PERSONS)


def test_parse_assignments():
    assert scenarios.parse_assignments(["price_yuan_per_kg=80", " households = 200"]) == {
        "price_yuan_per_kg": 80.0, "households": 200.0}
    with pytest.raises(ParameterError) as caught:
        scenarios.parse_assignments(["price"])
    assert str(caught.value) == "--set 'price': expected NAME=VALUE with NAME one of the settable parameters"
