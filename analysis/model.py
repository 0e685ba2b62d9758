"""The income model of the Tianfu contract: pure, vectorised functions.

One season of the segments the enterprise manages for poor households:

    revenue   = segments x yield per segment x price
    cost      = segments x cost per segment       (the enterprise advances it all)
    profit    = revenue - cost
    village pool = village share x max(profit, 0) (villages carry no loss)
    enterprise   = profit - village pool
    households' part = subsidy fraction x village pool; the rest is public welfare
    per household = households' part / households; per person = households' part / persons
    share of poverty line = per person / poverty line
    break-even price = cost / yield; break-even yield = cost / price

:func:`season_arrays` is the core; it takes scalars or numpy arrays (broadcast) and is
what :func:`season`, the sensitivity, the grid and the Monte Carlo all call.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.parameters import Parameters

KG_PER_JIN = 0.5  # unit conversion: 1 jin (斤) = 0.5 kg; markets quote prices per jin

# The inputs of season_arrays, in order (all are Parameters fields).
SEASON_INPUTS: tuple[str, ...] = (
    "segments", "yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment", "village_share",
    "households", "persons", "subsidy_fraction", "poverty_line_yuan",
)

# The outputs of season_arrays / season, in order.
SEASON_OUTPUTS: tuple[str, ...] = (
    "revenue_yuan", "cost_yuan", "profit_yuan", "village_pool_yuan", "enterprise_yuan", "households_pool_yuan",
    "welfare_pool_yuan", "per_household_yuan", "per_person_yuan", "share_of_poverty_line",
    "break_even_price_yuan_per_kg", "break_even_price_yuan_per_jin", "break_even_yield_kg_per_segment",
    "price_yuan_per_jin", "profit_yuan_per_segment",
)


def season_arrays(segments, yield_kg_per_segment, price_yuan_per_kg, cost_yuan_per_segment, village_share,
                  households, persons, subsidy_fraction, poverty_line_yuan) -> dict[str, np.ndarray]:
    """One season for scalars or broadcastable arrays; ``{output: array}`` in SEASON_OUTPUTS order.

    Break-even values are ``inf`` (or ``nan`` for 0/0) where yield or price is zero.
    """
    segments, yield_kg_per_segment, price_yuan_per_kg, cost_yuan_per_segment, village_share, households, persons, \
        subsidy_fraction, poverty_line_yuan = (np.asarray(x, dtype=float) for x in (
            segments, yield_kg_per_segment, price_yuan_per_kg, cost_yuan_per_segment, village_share, households,
            persons, subsidy_fraction, poverty_line_yuan))
    revenue = segments * yield_kg_per_segment * price_yuan_per_kg
    cost = segments * cost_yuan_per_segment
    profit = revenue - cost
    village_pool = village_share * np.maximum(profit, 0.0)
    households_pool = subsidy_fraction * village_pool
    per_person = households_pool / persons
    with np.errstate(divide="ignore", invalid="ignore"):
        break_even_price = cost_yuan_per_segment / yield_kg_per_segment
        break_even_yield = cost_yuan_per_segment / price_yuan_per_kg
    out = {
        "revenue_yuan": revenue,
        "cost_yuan": cost,
        "profit_yuan": profit,
        "village_pool_yuan": village_pool,
        "enterprise_yuan": profit - village_pool,
        "households_pool_yuan": households_pool,
        "welfare_pool_yuan": village_pool - households_pool,
        "per_household_yuan": households_pool / households,
        "per_person_yuan": per_person,
        "share_of_poverty_line": per_person / poverty_line_yuan,
        "break_even_price_yuan_per_kg": break_even_price,
        "break_even_price_yuan_per_jin": break_even_price * KG_PER_JIN,
        "break_even_yield_kg_per_segment": break_even_yield,
        "price_yuan_per_jin": price_yuan_per_kg * KG_PER_JIN,
        "profit_yuan_per_segment": yield_kg_per_segment * price_yuan_per_kg - cost_yuan_per_segment,
    }
    return {name: out[name] for name in SEASON_OUTPUTS}


def season_inputs(p: Parameters) -> dict[str, float]:
    """The season inputs of *p* as keyword arguments for :func:`season_arrays`."""
    return {name: getattr(p, name) for name in SEASON_INPUTS}


def season(p: Parameters) -> dict[str, float]:
    """One season of the contract under *p*: ``{output: float}`` (keys: SEASON_OUTPUTS).

    >>> season(get_parameters("base"))["per_person_yuan"]        # doctest: +SKIP
    """
    return {name: float(value) for name, value in season_arrays(**season_inputs(p)).items()}


def temporary_person_days(p: Parameters) -> float:
    """Temporary-labour person-days a season: peak workers/day x mean share of peak x work days."""
    return p.temporary_workers_max_per_day * p.temp_workers_mean_share_of_peak * p.temp_work_days_per_season


def yearly_land_rent_yuan(p: Parameters) -> float:
    """Land rent a year: price per mu x land transferred / years the quoted price covers."""
    return p.land_rent_yuan_per_mu * p.land_transferred_mu / p.land_rent_period_years


def income_channels(p: Parameters) -> pd.DataFrame:
    """Income of one year by channel the article names, for the registered poor households.

    Columns: channel, label_en, label_zh, total_yuan (paid through the channel to everyone),
    poor_households_yuan (the part reaching registered poor households, under the assumed
    shares), per_household_yuan, per_person_yuan (that part over the registered households
    and persons), basis (facts and assumptions used), note. The cooperative job is one
    couple's case: total_yuan is per job-holding couple per year and it is not spread over
    households (NaN per household and per person).
    """
    s = season(p)
    temp_total = temporary_person_days(p) * p.daily_wage_yuan
    long_total = p.long_term_workers * p.long_term_wage_yuan_per_year
    rent_total = yearly_land_rent_yuan(p)
    coop_total = p.cooperative_monthly_income_yuan * p.cooperative_months_per_year
    rows = [
        ("dividend", "Profit dividend (subsidy part)", "利润分红(补助部分)", s["village_pool_yuan"],
         s["households_pool_yuan"],
         "tianfu_segments_for_poor, profit_share_villages; yield_kg_per_segment, price_yuan_per_kg, "
         "cost_yuan_per_segment, subsidy_fraction",
         "Total is the villages' share of one season's profit; only the subsidy part reaches poor households, "
         "the rest funds public welfare."),
        ("temporary_wages", "Temporary work wages", "临时务工工资", temp_total,
         temp_total * p.poor_share_of_temporary_labour,
         "tianfu_temporary_workers_max_per_day (at most); temp_workers_mean_share_of_peak, "
         "temp_work_days_per_season, daily_wage_yuan, poor_share_of_temporary_labour",
         "Wages are part of the production cost the enterprise advances, not income on top of the model's cost."),
        ("long_term_wages", "Long-term job wages", "长期工工资", long_total,
         long_total * p.poor_share_of_long_term_jobs,
         "tianfu_long_term_workers (at least); long_term_wage_yuan_per_year, poor_share_of_long_term_jobs",
         "The article gives a minimum number of long-term workers and does not say how many are poor."),
        ("land_rent", "Land rent", "土地流转费", rent_total, rent_total * p.poor_share_of_transferred_land,
         "tianfu_land_rent_yuan_per_mu, tianfu_land_transferred_mu; land_rent_period_years, "
         "poor_share_of_transferred_land",
         "Per year; the article does not say the price per mu is per year (land_rent_period_years)."),
        ("cooperative_job", "Cooperative job (one couple)", "合作社务工(一对夫妻)", coop_total, float("nan"),
         "cooperative_monthly_income_yuan (approximately); cooperative_months_per_year",
         "An individual case in the article: per job-holding couple per year, not spread across households."),
    ]
    frame = pd.DataFrame(rows, columns=["channel", "label_en", "label_zh", "total_yuan", "poor_households_yuan",
                                        "basis", "note"])
    frame["per_household_yuan"] = frame["poor_households_yuan"] / p.households
    frame["per_person_yuan"] = frame["poor_households_yuan"] / p.persons
    columns = ["channel", "label_en", "label_zh", "total_yuan", "poor_households_yuan", "per_household_yuan",
               "per_person_yuan", "basis", "note"]
    return frame[columns].astype({"total_yuan": "float64", "poor_households_yuan": "float64"})


def enterprise_own_segments(p: Parameters) -> float:
    """Segments the enterprise keeps for itself: produced minus those managed for poor households (>= 0)."""
    return max(p.segments_produced - p.segments, 0.0)


def enterprise_annual_profit(p: Parameters) -> dict[str, float]:
    """The enterprise's profit in one season: its share of the contract segments' profit, plus its
    own segments at ``enterprise_own_margin_ratio`` x the contract profit per segment, minus the
    yearly land rent (assumed not part of the cost per segment).
    """
    s = season(p)
    own_segments = enterprise_own_segments(p)
    own_profit = own_segments * s["profit_yuan_per_segment"] * p.enterprise_own_margin_ratio
    land_rent = yearly_land_rent_yuan(p)
    return {
        "contract_share_yuan": s["enterprise_yuan"],
        "own_segments": own_segments,
        "own_profit_yuan": own_profit,
        "land_rent_yuan": land_rent,
        "annual_profit_yuan": s["enterprise_yuan"] + own_profit - land_rent,
    }
