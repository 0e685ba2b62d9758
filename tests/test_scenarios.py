"""Tests for analysis/scenarios.py: presets, sensitivity, grid, Monte Carlo, contract paths, payback."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import kernel, model, scenarios
from analysis.errors import ParameterError
from analysis.parameters import ASSUMPTION_NAMES, assumption_table, get_parameters

HAND = dict(yield_kg_per_segment=0.05, price_yuan_per_kg=60, cost_yuan_per_segment=1.5, subsidy_fraction=0.5,
            poverty_line_yuan=3000)
VARIED = ("yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment", "subsidy_fraction")


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
                                   "output_high", "output_base", "swing"]
    assert len(table) == len(ASSUMPTION_NAMES) == 19
    assert table["swing"].is_monotonic_decreasing
    row = table.set_index("parameter").loc["price_yuan_per_kg"]
    low, high = assumption_table().loc["price_yuan_per_kg", ["low", "high"]]
    # per person = subsidy x village share x segments x (yield x price - cost) / persons
    assert row["output_low"] == pytest.approx(0.5 * 0.6 * 800_000 * (0.05 * low - 1.5) / 690)
    assert row["output_high"] == pytest.approx(0.5 * 0.6 * 800_000 * (0.05 * high - 1.5) / 690)
    assert row["output_base"] == pytest.approx(360_000 / 690)
    assert row["swing"] == pytest.approx(0.5 * 0.6 * 800_000 * 0.05 * (high - low) / 690)
    assert table.set_index("parameter").at["daily_wage_yuan", "swing"] == 0.0  # wages do not enter the season


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
    table = assumption_table()
    for name in VARIED:
        assert result.samples[name].between(table.at[name, "low"], table.at[name, "high"]).all()
    probabilities = result.threshold_probabilities
    assert list(probabilities["threshold_share"]) == list(scenarios.DEFAULT_THRESHOLD_SHARES)
    line = get_parameters().poverty_line_yuan
    np.testing.assert_allclose(probabilities["threshold_yuan"], [0.10 * line, 0.25 * line, 0.50 * line])
    assert probabilities["probability"].is_monotonic_decreasing
    assert list(result.first_order["parameter"]) == list(VARIED)


def test_monte_carlo_with_everything_fixed_returns_the_season(hand):
    result = scenarios.monte_carlo(100, seed=1, p=hand, fixed=VARIED, thresholds=(0.17, 0.18))
    q = result.quantiles.set_index("output")
    assert q.loc["per_person_yuan", "q05"] == q.loc["per_person_yuan", "q95"] == pytest.approx(360_000 / 690)
    # 360,000 / 690 / 3000 = 0.1739: reaches 17% of the line in every draw, 18% in none
    assert list(result.threshold_probabilities["probability"]) == [1.0, 0.0]


def test_histogram_path_with_everything_fixed_returns_the_season(hand, monkeypatch):
    monkeypatch.setattr(scenarios, "EXACT_QUANTILE_MAX_DRAWS", 10)  # the kernel with no varied input
    result = scenarios.monte_carlo(3000, seed=1, p=hand, fixed=VARIED, thresholds=(0.17, 0.18), chunk=1000)
    q = result.quantiles.set_index("output")
    assert not result.exact_quantiles and result.varied == () and result.first_order.empty
    assert q.loc["per_person_yuan", "q05"] == q.loc["per_person_yuan", "q95"] == pytest.approx(360_000 / 690)
    assert q.loc["per_person_yuan", "mean"] == pytest.approx(360_000 / 690)
    assert list(result.threshold_probabilities["probability"]) == [1.0, 0.0]  # 0.1739 of the line


def test_first_order_index_of_the_only_varied_input_is_one(hand):
    result = scenarios.monte_carlo(20_000, seed=2, p=hand, fixed=("yield_kg_per_segment", "cost_yuan_per_segment",
                                                                   "subsidy_fraction"))
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
    q = scenarios.monte_carlo(20_000, seed=6, keep=0).quantiles.set_index("output")
    p = get_parameters()
    pool = q.loc["households_pool_yuan"]
    # per person = households' pool / 690 persons; share of the line = per person / poverty line
    pd.testing.assert_series_equal(q.loc["per_person_yuan"], pool / 690, check_names=False, rtol=1e-12)
    pd.testing.assert_series_equal(q.loc["per_household_yuan"], pool / 243, check_names=False, rtol=1e-12)
    pd.testing.assert_series_equal(q.loc["share_of_poverty_line"], pool / 690 / p.poverty_line_yuan,
                                   check_names=False, rtol=1e-12)
    # base ranges: yield x price >= 0.04 x 50 = 2 >= cost 2, so profit >= 0: village pool = 0.6 x profit
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
    ({"draws": 10, "seed": -1}, "seed=-1: must be an integer >= 0"),
    ({"draws": 10, "thresholds": (1.5,)}, "threshold_share=1.5: must be between 0 and 1"),
])
def test_monte_carlo_bad_arguments(kwargs, message):
    with pytest.raises(ParameterError) as caught:
        scenarios.monte_carlo(**kwargs)
    assert str(caught.value) == message


def test_contract_paths_without_variability_by_hand(hand):
    p = hand.replace(price_cv=0, yield_cv=0, discount_rate=0.05)
    paths = scenarios.contract_paths(p, draws=10, seed=1)
    assert paths.shape == (13 * 5, 2 + 10)
    assert list(paths.columns[:5]) == ["year", "quantile", "village_pool_yuan", "households_yuan", "enterprise_yuan"]
    last = paths[(paths["year"] == 13) & (paths["quantile"] == 0.5)].iloc[0]
    assert last["village_pool_yuan"] == pytest.approx(720_000)
    assert last["cumulative_village_pool_yuan"] == pytest.approx(13 * 720_000)
    assert last["cumulative_enterprise_yuan"] == pytest.approx(13 * 480_000)
    present_value_factor = sum(1.05 ** -t for t in range(1, 14))  # end-of-year flows, years 1..13
    assert last["pv_cumulative_households_yuan"] == pytest.approx(360_000 * present_value_factor)


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
                     discount_rate=0)
    result = scenarios.enterprise_payback(p)
    assert result["investment_yuan"] == pytest.approx(5_000_000 * 1.2)  # 500余万元, assumed 20% above
    # 480,000 (40% of the contract profit) + 1,200,000 own x 1.5 x 0.5 - 90,000 land rent = 1,290,000
    assert result["annual_profit_yuan"] == pytest.approx(1_290_000)
    assert result["payback_years"] == pytest.approx(6_000_000 / 1_290_000)
    assert result["npv_contract_yuan"] == pytest.approx(13 * 1_290_000 - 6_000_000)
    assert set(result["assumptions"]) >= {"enterprise_own_margin_ratio", "investment_above_stated_share", "rules"}


def test_enterprise_never_pays_back_at_a_loss(hand):
    result = scenarios.enterprise_payback(hand.replace(price_yuan_per_kg=10))
    assert math.isinf(result["payback_years"])


def test_parse_assignments():
    assert scenarios.parse_assignments(["price_yuan_per_kg=80", " households = 200"]) == {
        "price_yuan_per_kg": 80.0, "households": 200.0}
    with pytest.raises(ParameterError) as caught:
        scenarios.parse_assignments(["price"])
    assert str(caught.value) == "--set 'price': expected NAME=VALUE with NAME one of the settable parameters"
