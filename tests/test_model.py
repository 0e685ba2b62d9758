"""Tests for analysis/model.py: the season against hand arithmetic, income channels, invariants."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import model
from analysis.parameters import get_parameters

# Round numbers for hand arithmetic; facts (800,000 segments, 60%, 243 households, 690 persons, 113 households out
# of poverty by end-2017, 150 mu of ground-laid wood-ear) from data/. Recipients by their rule: 243 - 113 = 130
# households and 130 x 690 / 243 persons.
HAND = dict(yield_kg_per_segment=0.05, price_yuan_per_kg=60, cost_yuan_per_segment=1.5, subsidy_fraction=0.5,
            poverty_line_yuan=3000)


@pytest.fixture(scope="module")
def hand():
    return get_parameters("base", **HAND)


def test_season_base_case_by_hand(hand):
    s = model.season(hand)
    assert s["revenue_yuan"] == pytest.approx(800_000 * 0.05 * 60)  # = 2,400,000
    assert s["cost_yuan"] == pytest.approx(800_000 * 1.5)  # = 1,200,000
    assert s["profit_yuan"] == pytest.approx(2_400_000 - 1_200_000)  # = 1,200,000
    assert s["village_pool_yuan"] == pytest.approx(0.6 * 1_200_000)  # = 720,000
    assert s["enterprise_yuan"] == pytest.approx(1_200_000 - 720_000)  # = 480,000 (the 40%)
    assert s["households_pool_yuan"] == pytest.approx(0.5 * 720_000)  # = 360,000
    assert s["welfare_pool_yuan"] == pytest.approx(720_000 - 360_000)  # = 360,000
    assert s["per_household_yuan"] == pytest.approx(360_000 / 243)  # = 1,481.48
    assert s["per_person_yuan"] == pytest.approx(360_000 / 690)  # = 521.74
    assert s["share_of_poverty_line"] == pytest.approx(360_000 / 690 / 3000)  # = 0.1739
    assert s["break_even_price_yuan_per_kg"] == pytest.approx(1.5 / 0.05)  # = 30
    assert s["break_even_price_yuan_per_jin"] == pytest.approx(30 / 2)  # 1 jin = 0.5 kg
    assert s["break_even_yield_kg_per_segment"] == pytest.approx(1.5 / 60)  # = 0.025
    assert s["price_yuan_per_jin"] == pytest.approx(60 / 2)
    assert s["profit_yuan_per_segment"] == pytest.approx(0.05 * 60 - 1.5)  # = 1.5
    assert s["per_recipient_household_yuan"] == pytest.approx(360_000 / 130)  # = 2,769.23: 243 - 113 households
    assert s["per_recipient_person_yuan"] == pytest.approx(360_000 / (130 * 690 / 243))  # = 975.24 (369.14 persons)
    assert s["recipient_share_of_poverty_line"] == pytest.approx(360_000 / (130 * 690 / 243) / 3000)  # = 0.3251
    assert list(s) == list(model.SEASON_OUTPUTS)
    assert list(model.SEASON_OUTPUTS[-3:]) == ["per_recipient_household_yuan", "per_recipient_person_yuan",
                                               "recipient_share_of_poverty_line"]
    assert list(model.SEASON_INPUTS[-2:]) == ["recipient_households", "recipient_persons"]
    assert all(type(v) is float for v in s.values())


def test_a_loss_is_carried_by_the_enterprise(hand):
    s = model.season(hand.replace(price_yuan_per_kg=20))
    assert s["profit_yuan"] == pytest.approx(800_000 * 0.05 * 20 - 800_000 * 1.5)  # = 800,000 - 1,200,000
    assert s["village_pool_yuan"] == 0.0
    assert s["per_person_yuan"] == 0.0
    assert s["enterprise_yuan"] == pytest.approx(-400_000)


def test_break_even_is_infinite_without_yield(hand):
    s = model.season(hand.replace(yield_kg_per_segment=0))
    assert math.isinf(s["break_even_price_yuan_per_kg"])
    assert s["revenue_yuan"] == 0.0 and s["village_pool_yuan"] == 0.0


def test_season_arrays_broadcast():
    prices = np.array([30.0, 60.0, 90.0])
    yields = np.array([[0.04], [0.05]])
    out = model.season_arrays(800_000, yields, prices, 1.5, 0.6, 243, 690, 0.5, 3000, 100, 250)
    assert out["profit_yuan"].shape == (2, 3)
    # yield 0.05, price 60: 0.5 x 0.6 x 1,200,000 = 360,000 for 100 households of 250 persons
    assert out["per_recipient_household_yuan"][1, 1] == pytest.approx(360_000 / 100)
    assert out["per_recipient_person_yuan"][1, 1] == pytest.approx(360_000 / 250)
    # yield 0.05, price 30: 800,000 x (0.05 x 30 - 1.5) = 0; price 90: 800,000 x (4.5 - 1.5) = 2,400,000
    np.testing.assert_allclose(out["profit_yuan"][1], [0.0, 1_200_000, 2_400_000], atol=1e-6)
    np.testing.assert_allclose(out["break_even_price_yuan_per_kg"][:, 0], [1.5 / 0.04, 1.5 / 0.05])


def test_income_channels_by_hand(hand):
    p = hand.replace(temp_workers_mean_share_of_peak=0.5, temp_work_days_per_season=100, daily_wage_yuan=100,
                     poor_share_of_temporary_labour=0.75, long_term_wage_yuan_per_year=24_000,
                     poor_share_of_long_term_jobs=0.25, land_rent_period_years=1, poor_share_of_transferred_land=0.2,
                     cooperative_months_per_year=12)
    table = model.income_channels(p).set_index("channel")
    assert list(table.index) == ["dividend", "temporary_wages", "long_term_wages", "land_rent", "cooperative_job"]
    assert list(table.columns) == ["label_en", "label_zh", "total_yuan", "poor_households_yuan",
                                   "per_household_yuan", "per_person_yuan", "basis", "note", "note_zh"]
    assert table.at["dividend", "total_yuan"] == pytest.approx(720_000)
    assert table.at["dividend", "poor_households_yuan"] == pytest.approx(360_000)
    # 200 workers/day (peak) x 0.5 x 100 days = 10,000 person-days x 100 yuan = 1,000,000; poor 75% = 750,000
    assert table.at["temporary_wages", "total_yuan"] == pytest.approx(1_000_000)
    assert table.at["temporary_wages", "per_household_yuan"] == pytest.approx(750_000 / 243)
    assert table.at["temporary_wages", "per_person_yuan"] == pytest.approx(750_000 / 690)
    # 40 workers x 24,000 = 960,000; poor 25% = 240,000
    assert table.at["long_term_wages", "poor_households_yuan"] == pytest.approx(0.25 * 40 * 24_000)
    # 500 yuan/mu x 180 mu / 1 year = 90,000; poor 20% = 18,000
    assert table.at["land_rent", "total_yuan"] == pytest.approx(500 * 180)
    assert table.at["land_rent", "poor_households_yuan"] == pytest.approx(18_000)
    # one couple: 4,000 yuan/month x 12 = 48,000 a year, not spread over households
    assert table.at["cooperative_job", "total_yuan"] == pytest.approx(4000 * 12)
    assert math.isnan(table.at["cooperative_job", "per_household_yuan"])
    assert "not spread" in table.at["cooperative_job", "note"]
    assert table.at["cooperative_job", "note_zh"] == "原文中的个案：按一对务工夫妻每年计，不分摊到各户。"


def test_land_rent_of_collective_land_does_not_reach_households(hand):
    table = model.income_channels(hand.replace(land_rent_share_to_households=0.5,
                                               poor_share_of_transferred_land=0.2)).set_index("channel")
    # 90,000 rent x 0.5 paid to households x 0.2 held by poor households = 9,000
    assert table.at["land_rent", "poor_households_yuan"] == pytest.approx(500 * 180 * 0.5 * 0.2)


def test_land_rent_paid_once_for_the_contract(hand):
    table = model.income_channels(hand.replace(land_rent_period_years=13)).set_index("channel")
    assert table.at["land_rent", "total_yuan"] == pytest.approx(500 * 180 / 13)
    assert model.yearly_land_rent_yuan(hand.replace(land_rent_period_years=13)) == pytest.approx(500 * 180 / 13)


def test_enterprise_annual_profit_by_hand(hand):
    p = hand.replace(enterprise_own_margin_ratio=0.5, land_rent_period_years=1, segments_per_mu=9000,
                     bag_sale_margin_yuan_per_segment=0.2)
    e = model.enterprise_annual_profit(p)
    assert e["own_segments"] == 2_000_000 - 800_000
    # the base holds 150 mu x 9,000 = 1,350,000 segments; 800,000 are the contract's: 550,000 of its own grown out
    assert e["capacity_segments"] == 150 * 9000
    assert e["own_grown_segments"] == 1_350_000 - 800_000
    assert e["bags_sold_segments"] == 1_200_000 - 550_000  # = 650,000 sold as bags
    # 550,000 x 1.5 yuan/segment x 0.5 = 412,500; bags 650,000 x 0.2 = 130,000
    assert e["own_profit_yuan"] == pytest.approx(412_500)
    assert e["bag_sales_profit_yuan"] == pytest.approx(130_000)
    # contract share 480,000 + 412,500 + 130,000 - rent 90,000 = 932,500
    assert e["annual_profit_yuan"] == pytest.approx(480_000 + 412_500 + 130_000 - 90_000)
    # cost advanced a year: (800,000 + 550,000) x 1.5 = 2,025,000
    assert e["contract_cost_advance_yuan"] == pytest.approx(800_000 * 1.5)
    assert e["cost_advance_yuan"] == pytest.approx(1_350_000 * 1.5)


def test_enterprise_without_room_for_its_own_segments_sells_them_all(hand):
    e = model.enterprise_annual_profit(hand.replace(segments_per_mu=5000))  # 150 x 5,000 = 750,000 < 800,000
    assert (e["own_grown_segments"], e["bags_sold_segments"], e["own_profit_yuan"]) == (0.0, 1_200_000, 0.0)


def test_booked_cost_moves_profit_from_the_villages_to_the_enterprise(hand):
    e = model.enterprise_annual_profit(hand, booked_cost_yuan_per_segment=1.8)
    # pool on the booked cost: 0.6 x 800,000 x (0.05 x 60 - 1.8) = 576,000; actual profit 1,200,000 - 576,000
    assert e["contract_share_yuan"] == pytest.approx(1_200_000 - 576_000)  # = 0.4 x 960,000 + 800,000 x 0.3
    assert e["booked_cost_yuan_per_segment"] == 1.8
    assert model.enterprise_annual_profit(hand)["contract_share_yuan"] == pytest.approx(480_000)


def test_income_channel_recipients_by_hand(hand):
    p = hand.replace(temp_workers_mean_share_of_peak=0.5, temp_work_days_per_season=100, daily_wage_yuan=100,
                     poor_share_of_temporary_labour=0.75, workers_per_working_household=1.5,
                     alternative_daily_wage_yuan=30, long_term_wage_yuan_per_year=24_000,
                     poor_share_of_long_term_jobs=0.25, long_term_work_days_per_year=240, land_rent_period_years=1,
                     land_rent_share_to_households=0.5, poor_share_of_transferred_land=0.2,
                     cooperative_months_per_year=12)
    gross = model.income_channel_recipients(p).set_index("channel")
    assert list(gross.columns) == model.RECIPIENT_COLUMNS[1:]
    assert list(gross.index) == ["dividend", "temporary_wages", "long_term_wages", "land_rent", "cooperative_job"]
    # dividend: 360,000 over the 130 recipient households (369.14 persons); the welfare half to the collective
    assert gross.at["dividend", "per_receiving_household_yuan"] == pytest.approx(360_000 / 130)
    assert gross.at["dividend", "per_receiving_person_yuan"] == pytest.approx(360_000 / (130 * 690 / 243))
    assert gross.at["dividend", "to_village_collective_yuan"] == pytest.approx(360_000)
    # temporary: 200 x 0.5 x 100 = 10,000 person-days, poor 75% = 7,500 -> 75 workers over 100 days, 50 households
    assert gross.at["temporary_wages", "receiving_persons"] == pytest.approx(7_500 / 100)
    assert gross.at["temporary_wages", "receiving_households"] == pytest.approx(75 / 1.5)
    assert gross.at["temporary_wages", "per_receiving_person_yuan"] == pytest.approx(750_000 / 75)  # = 100 x 100
    assert gross.at["temporary_wages", "per_receiving_household_yuan"] == pytest.approx(750_000 / 50)
    assert gross.at["temporary_wages", "forgone_yuan"] == pytest.approx(7_500 * 30)
    # long-term: 40 x 0.25 = 10 poor workers at 24,000; forgone 10 x 240 days x 30 = 72,000
    assert gross.at["long_term_wages", "per_receiving_person_yuan"] == pytest.approx(24_000)
    assert gross.at["long_term_wages", "forgone_yuan"] == pytest.approx(10 * 240 * 30)
    # land: 90,000 x 0.5 x 0.2 = 9,000 to poor households, 45,000 to the collective, households unknown
    assert gross.at["land_rent", "amount_yuan"] == pytest.approx(9_000)
    assert gross.at["land_rent", "to_village_collective_yuan"] == pytest.approx(45_000)
    assert math.isnan(gross.at["land_rent", "per_receiving_household_yuan"])
    # the couple: 4,000 x 12 = 48,000, 24,000 each
    assert gross.at["cooperative_job", "per_receiving_person_yuan"] == pytest.approx(48_000 / 2)
    assert not gross["is_net_of_forgone"].any()

    net = model.income_channel_recipients(p, net_of_forgone=True).set_index("channel")
    assert net.at["temporary_wages", "amount_yuan"] == pytest.approx(750_000 - 225_000)
    assert net.at["temporary_wages", "per_receiving_person_yuan"] == pytest.approx(525_000 / 75)  # = 100 x (100 - 30)
    assert net.at["long_term_wages", "amount_yuan"] == pytest.approx(240_000 - 72_000)
    assert net.at["dividend", "amount_yuan"] == pytest.approx(360_000)  # nothing forgone
    assert list(net["is_net_of_forgone"]) == [True, True, True, True, False]  # the couple's days are not known
    assert net.at["cooperative_job", "amount_yuan"] == pytest.approx(48_000)


def test_wage_bill_check_by_hand(hand):
    p = hand.replace(temp_workers_mean_share_of_peak=0.5, temp_work_days_per_season=100, daily_wage_yuan=100,
                     long_term_wage_yuan_per_year=24_000, non_labour_cost_yuan_per_segment=0.9)
    check = model.wage_bill_check(p)
    # 200 x 0.5 x 100 x 100 = 1,000,000 + 40 x 24,000 = 960,000 over 2,000,000 segments = 0.98 a segment
    assert check["wage_bill_yuan"] == pytest.approx(1_960_000)
    assert check["wage_yuan_per_segment"] == pytest.approx(0.98)
    assert check["labour_share_of_cost"] == pytest.approx(0.98 / 1.5)
    # 0.98 + 0.9 = 1.88 needed > 1.5 assumed: the wages and materials do not fit
    assert check["headroom_yuan_per_segment"] == pytest.approx(1.5 - 1.88)
    assert check["fits"] is False
    assert model.wage_bill_check(p.replace(cost_yuan_per_segment=2))["fits"] is True  # 2 - 1.88 = 0.12


# --- invariants (hypothesis) -------------------------------------------------------------------------

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
share = st.floats(min_value=0.0, max_value=1.0)


def _season(y, price, cost, village_share=0.6, households=243.0, persons=690.0, subsidy=0.5, segments=800_000.0,
            recipient_households=130.0, recipient_persons=369.0):
    return model.season_arrays(segments, y, price, cost, village_share, households, persons, subsidy, 3000.0,
                               recipient_households, recipient_persons)


@settings(max_examples=60, deadline=None)
@given(y=positive, price=positive, cost=positive, step=positive)
def test_monotone_in_price_and_yield(y, price, cost, step):
    base = _season(y, price, cost)
    for other in (_season(y, price + step, cost), _season(y + step, price, cost)):
        assert other["revenue_yuan"] >= base["revenue_yuan"]
        assert other["profit_yuan"] >= base["profit_yuan"]
        assert other["per_person_yuan"] >= base["per_person_yuan"]


# Dyadic yields and whole prices keep every product exact, so "at break-even" is exactly zero profit.
dyadic_yield = st.integers(1, 1024).map(lambda k: k / 1024)


@settings(max_examples=60, deadline=None)
@given(y=dyadic_yield, price=st.integers(0, 200), extra_per_segment=st.integers(0, 4096).map(lambda k: k / 1024))
def test_no_village_income_at_or_below_break_even(y, price, extra_per_segment):
    cost = y * price + extra_per_segment  # cost per segment at (extra 0) or above revenue per segment
    out = _season(y, float(price), cost)
    assert float(out["profit_yuan"]) <= 0.0
    assert out["village_pool_yuan"] == 0.0
    assert out["per_household_yuan"] == 0.0
    assert float(out["break_even_price_yuan_per_kg"]) >= price


@settings(max_examples=60, deadline=None)
@given(y=positive, price=positive, cost=positive, village_share=share, subsidy=share)
def test_pools_add_up(y, price, cost, village_share, subsidy):
    out = _season(y, price, cost, village_share=village_share, subsidy=subsidy)
    profit = float(out["profit_yuan"])
    if profit >= 0:
        assert float(out["enterprise_yuan"] + out["village_pool_yuan"]) == pytest.approx(profit, rel=1e-12, abs=1e-6)
    assert float(out["households_pool_yuan"] + out["welfare_pool_yuan"]) == pytest.approx(
        float(out["village_pool_yuan"]), rel=1e-12, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(y=positive, price=positive, cost=positive, households=st.integers(1, 10_000), extra=st.integers(0, 30_000))
def test_per_person_times_persons_equals_per_household_times_households(y, price, cost, households, extra):
    persons = households + extra
    out = _season(y, price, cost, households=float(households), persons=float(persons))
    assert float(out["per_person_yuan"] * persons) == pytest.approx(float(out["per_household_yuan"] * households),
                                                                     rel=1e-12, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(y=positive, price=positive, cost=positive, households=st.integers(1, 10_000), extra=st.integers(0, 30_000),
       recipient_share=st.floats(min_value=1e-3, max_value=1.0), person_share=st.floats(min_value=0.0, max_value=1.0))
def test_per_recipient_is_at_least_the_average_over_registered(y, price, cost, households, extra, recipient_share,
                                                              person_share):
    persons = households + extra
    recipient_households = max(households * recipient_share, 1e-3)  # 0 < recipients <= households
    recipient_persons = recipient_households + (persons - recipient_households) * person_share  # <= persons
    out = _season(y, price, cost, households=float(households), persons=float(persons),
                  recipient_households=recipient_households, recipient_persons=recipient_persons)
    assert float(out["per_recipient_household_yuan"]) >= float(out["per_household_yuan"]) * (1 - 1e-12)
    assert float(out["per_recipient_person_yuan"]) >= float(out["per_person_yuan"]) * (1 - 1e-12)
    assert float(out["per_recipient_household_yuan"] * recipient_households) == pytest.approx(
        float(out["households_pool_yuan"]), rel=1e-12, abs=1e-9)
