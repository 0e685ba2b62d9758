"""The income model of the Tianfu contract: pure, vectorised functions.

One season of the segments the enterprise manages for poor households:

    revenue   = segments x yield per segment x price
    cost      = segments x cost per segment       (the enterprise advances it all)
    profit    = revenue - cost
    village pool = village share x max(profit, 0) (villages carry no loss)
    enterprise   = profit - village pool
    households' part = subsidy fraction x village pool; the rest is public welfare
    per household = households' part / households; per person = households' part / persons
        (averages over every registered poor household and person)
    per recipient household = households' part / recipient households
    per recipient person    = households' part / recipient persons
        (what a household that receives the subsidy gets: the article pays it to the poor
        households not yet out of poverty, analysis.parameters.COMPUTED_PARAMETERS)
    share of poverty line = per person / poverty line
    recipient share of poverty line = per recipient person / poverty line
    break-even price = cost / yield; break-even yield = cost / price

:func:`season_arrays` is the core; it takes scalars or numpy arrays (broadcast) and is
what :func:`season`, the sensitivity, the grid and the Monte Carlo all call. The rest of the
module: who receives each income channel (:func:`income_channel_recipients`), whether the
assumed wage bill fits inside the assumed cost (:func:`wage_bill_check`), and the enterprise
within the means of its base (:func:`enterprise_annual_profit`).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.data import fact_value
from analysis.parameters import EXITED_HOUSEHOLDS_FACT, Parameters

KG_PER_JIN = 0.5  # unit conversion: 1 jin (斤) = 0.5 kg; markets quote prices per jin
COUPLE_PERSONS_FACT = "case_couple_persons"  # the cooperative job is one couple's (two persons)

# The inputs of season_arrays, in order (all are Parameters fields).
SEASON_INPUTS: tuple[str, ...] = (
    "segments", "yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment", "village_share",
    "households", "persons", "subsidy_fraction", "poverty_line_yuan", "recipient_households", "recipient_persons",
)

# The outputs of season_arrays / season, in order.
SEASON_OUTPUTS: tuple[str, ...] = (
    "revenue_yuan", "cost_yuan", "profit_yuan", "village_pool_yuan", "enterprise_yuan", "households_pool_yuan",
    "welfare_pool_yuan", "per_household_yuan", "per_person_yuan", "share_of_poverty_line",
    "break_even_price_yuan_per_kg", "break_even_price_yuan_per_jin", "break_even_yield_kg_per_segment",
    "price_yuan_per_jin", "profit_yuan_per_segment",
    "per_recipient_household_yuan", "per_recipient_person_yuan", "recipient_share_of_poverty_line",
)
# Outputs that are infinite (or NaN) by definition where yield or price is zero.
BREAK_EVEN_OUTPUTS = frozenset({"break_even_price_yuan_per_kg", "break_even_price_yuan_per_jin",
                                "break_even_yield_kg_per_segment"})


def season_arrays(segments, yield_kg_per_segment, price_yuan_per_kg, cost_yuan_per_segment, village_share,
                  households, persons, subsidy_fraction, poverty_line_yuan, recipient_households,
                  recipient_persons) -> dict[str, np.ndarray]:
    """One season for scalars or broadcastable arrays; ``{output: array}`` in SEASON_OUTPUTS order.

    Break-even values are ``inf`` (or ``nan`` for 0/0) where yield or price is zero.
    """
    segments, yield_kg_per_segment, price_yuan_per_kg, cost_yuan_per_segment, village_share, households, persons, \
        subsidy_fraction, poverty_line_yuan, recipient_households, recipient_persons = (
            np.asarray(x, dtype=float) for x in (
                segments, yield_kg_per_segment, price_yuan_per_kg, cost_yuan_per_segment, village_share, households,
                persons, subsidy_fraction, poverty_line_yuan, recipient_households, recipient_persons))
    with np.errstate(all="ignore"):  # overflow is the caller's to check (scenarios names the parameter)
        out = _season_outputs(segments, yield_kg_per_segment, price_yuan_per_kg, cost_yuan_per_segment,
                              village_share, households, persons, subsidy_fraction, poverty_line_yuan,
                              recipient_households, recipient_persons)
    return {name: out[name] for name in SEASON_OUTPUTS}


def _season_outputs(segments, yield_kg_per_segment, price_yuan_per_kg, cost_yuan_per_segment, village_share,
                    households, persons, subsidy_fraction, poverty_line_yuan, recipient_households,
                    recipient_persons) -> dict[str, np.ndarray]:
    revenue = segments * yield_kg_per_segment * price_yuan_per_kg
    cost = segments * cost_yuan_per_segment
    profit = revenue - cost
    village_pool = village_share * np.maximum(profit, 0.0)
    households_pool = subsidy_fraction * village_pool
    per_person = households_pool / persons
    per_recipient_person = households_pool / recipient_persons
    break_even_price = cost_yuan_per_segment / yield_kg_per_segment
    break_even_yield = cost_yuan_per_segment / price_yuan_per_kg
    return {
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
        "per_recipient_household_yuan": households_pool / recipient_households,
        "per_recipient_person_yuan": per_recipient_person,
        "recipient_share_of_poverty_line": per_recipient_person / poverty_line_yuan,
    }


def overflowing(outputs: dict) -> list[str]:
    """Outputs (of :func:`season_arrays`) with an infinite or NaN value; the break-even outputs
    excepted: infinite by definition at zero yield or price."""
    return [name for name, value in outputs.items()
            if name not in BREAK_EVEN_OUTPUTS and not np.all(np.isfinite(np.asarray(value, dtype=float)))]


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
    and persons: averages over everyone, see :func:`income_channel_recipients` for the amounts
    per household that receives them), basis (facts and assumptions used), note, note_zh (the
    note in Chinese). The
    cooperative job is one couple's case: total_yuan is per job-holding couple per year and it
    is not spread over households (NaN per household and per person). Land rent reaches poor
    households as rent x land_rent_share_to_households x poor_share_of_transferred_land.
    """
    s = season(p)
    temp_total = temporary_person_days(p) * p.daily_wage_yuan
    long_total = p.long_term_workers * p.long_term_wage_yuan_per_year
    rent_total = yearly_land_rent_yuan(p)
    coop_total = p.cooperative_monthly_income_yuan * p.cooperative_months_per_year
    rows = [
        ("dividend", "Profit dividend (subsidy part)", "利润分红（补助部分）", s["village_pool_yuan"],
         s["households_pool_yuan"],
         "tianfu_segments_for_poor, profit_share_villages; yield_kg_per_segment, price_yuan_per_kg, "
         "cost_yuan_per_segment, subsidy_fraction",
         "Total is the villages' share of one season's profit; only the subsidy part reaches poor households, "
         "the rest funds public welfare.",
         "总额为一季利润中各村所得的部分；其中只有补助部分发给贫困户，其余用于村集体公益事业。"),
        ("temporary_wages", "Temporary work wages", "临时务工工资", temp_total,
         temp_total * p.poor_share_of_temporary_labour,
         "tianfu_temporary_workers_max_per_day (at most); temp_workers_mean_share_of_peak, "
         "temp_work_days_per_season, daily_wage_yuan, poor_share_of_temporary_labour",
         "Wages are part of the production cost the enterprise advances, not income on top of the model's cost.",
         "工资属于企业垫付的生产成本，并非模型所计成本之外的额外收入。"),
        ("long_term_wages", "Long-term job wages", "长期工工资", long_total,
         long_total * p.poor_share_of_long_term_jobs,
         "tianfu_long_term_workers (at least); long_term_wage_yuan_per_year, poor_share_of_long_term_jobs",
         "The article gives a minimum number of long-term workers and does not say how many are poor.",
         "原文只给出长期工人数的下限，未说明其中有多少是贫困户。"),
        ("land_rent", "Land rent", "土地流转费", rent_total,
         rent_total * p.land_rent_share_to_households * p.poor_share_of_transferred_land,
         "tianfu_land_rent_yuan_per_mu, tianfu_land_transferred_mu; land_rent_period_years, "
         "land_rent_share_to_households, poor_share_of_transferred_land",
         "Per year; the article does not say the price per mu is per year (land_rent_period_years), nor whether "
         "the land is households' or the village collective's (land_rent_share_to_households).",
         "按年计；原文既未说明每亩价格是否按年计（land_rent_period_years），也未说明土地属于农户还是村集体"
         "（land_rent_share_to_households）。"),
        ("cooperative_job", "Cooperative job (one couple)", "合作社务工（一对夫妻）", coop_total, float("nan"),
         "cooperative_monthly_income_yuan (approximately); cooperative_months_per_year",
         "An individual case in the article: per job-holding couple per year, not spread across households.",
         "原文中的个案：按一对务工夫妻每年计，不分摊到各户。"),
    ]
    frame = pd.DataFrame(rows, columns=["channel", "label_en", "label_zh", "total_yuan", "poor_households_yuan",
                                        "basis", "note", "note_zh"])
    frame["per_household_yuan"] = frame["poor_households_yuan"] / p.households
    frame["per_person_yuan"] = frame["poor_households_yuan"] / p.persons
    columns = ["channel", "label_en", "label_zh", "total_yuan", "poor_households_yuan", "per_household_yuan",
               "per_person_yuan", "basis", "note", "note_zh"]
    return frame[columns].astype({"total_yuan": "float64", "poor_households_yuan": "float64"})


def temporary_workers(p: Parameters) -> dict[str, float]:
    """The poor households' temporary work in a season: person-days, workers and working households.

    poor person-days = temporary person-days x poor_share_of_temporary_labour; workers = poor
    person-days / temp_work_days_per_season (each worker works every work day of the season:
    the fewest workers, so the most per worker); working households = workers /
    workers_per_working_household, at most the registered households.
    """
    person_days = temporary_person_days(p) * p.poor_share_of_temporary_labour
    workers = person_days / p.temp_work_days_per_season if p.temp_work_days_per_season > 0 else 0.0
    households = min(workers / p.workers_per_working_household, p.households)
    return {"person_days": person_days, "workers": workers, "households": households}


RECIPIENT_COLUMNS = [
    "channel", "label_en", "label_zh", "receiver", "receiver_zh", "gross_yuan", "forgone_yuan", "amount_yuan",
    "is_net_of_forgone", "to_village_collective_yuan", "receiving_households", "receiving_persons",
    "per_receiving_household_yuan", "per_receiving_person_yuan", "basis", "note", "note_zh",
]


def income_channel_recipients(p: Parameters, net_of_forgone: bool = False) -> pd.DataFrame:
    """Each income channel per household and person that receives it, not averaged over everyone.

    One row per channel (dividend, temporary_wages, long_term_wages, land_rent, cooperative_job).
    Columns: channel, label_en, label_zh, receiver, receiver_zh (who receives it, in words); gross_yuan (the
    poor households' part, as :func:`income_channels`); forgone_yuan (what the poor workers
    would have earned otherwise: alternative_daily_wage_yuan x their person-days; for long-term
    workers x long_term_work_days_per_year; 0 for the dividend and rent; NaN for the
    cooperative job, whose working days are not known); amount_yuan (gross_yuan, or gross minus
    forgone with *net_of_forgone*, where forgone is known); is_net_of_forgone;
    to_village_collective_yuan (what goes to the collective instead: the dividend's public-welfare
    part, the rent of collective land); receiving_households, receiving_persons (recipient
    households and persons; temporary workers from :func:`temporary_workers`; poor long-term
    workers = long_term_workers x poor_share_of_long_term_jobs and their households at
    workers_per_working_household; NaN for land rent: how many households hold the land is not
    known; the cooperative couple: 1 household of 2 persons, fact case_couple_persons);
    per_receiving_household_yuan, per_receiving_person_yuan (amount over them; per worker for
    wages); basis; note, note_zh (in Chinese).
    """
    s = season(p)
    channels = income_channels(p).set_index("channel")
    temp = temporary_workers(p)
    long_workers = p.long_term_workers * p.poor_share_of_long_term_jobs
    long_households = min(long_workers / p.workers_per_working_household, p.households)
    rent = yearly_land_rent_yuan(p)
    couple = fact_value(COUPLE_PERSONS_FACT)
    coop_total = channels.at["cooperative_job", "total_yuan"]
    nan = float("nan")
    rows = [
        # channel, receiver, receiver_zh, gross, forgone, to collective, households, persons, basis, note, note_zh
        ("dividend", "poor households not yet out of poverty (recipient_households)",
         "尚未脱贫的贫困户（recipient_households）", s["households_pool_yuan"], 0.0,
         s["welfare_pool_yuan"], p.recipient_households, p.recipient_persons,
         "households' part of the villages' pool; recipient_households, recipient_persons",
         "Paid to the poor households not yet over the line, not to every registered household.",
         "发给脱贫没有达标的贫困户，而非全部建档立卡贫困户。"),
        ("temporary_wages", "poor temporary workers", "来自贫困户的临时工",
         channels.at["temporary_wages", "poor_households_yuan"],
         temp["person_days"] * p.alternative_daily_wage_yuan, 0.0, temp["households"], temp["workers"],
         "temporary person-days x poor_share_of_temporary_labour / temp_work_days_per_season; "
         "workers_per_working_household; alternative_daily_wage_yuan",
         "Each worker is taken to work every work day of the season: the fewest workers, the most per worker.",
         "假定每名临时工在该季每个用工日都出工：人数最少，人均所得最多。"),
        ("long_term_wages", "poor long-term workers", "来自贫困户的长期工",
         channels.at["long_term_wages", "poor_households_yuan"],
         long_workers * p.long_term_work_days_per_year * p.alternative_daily_wage_yuan, 0.0, long_households,
         long_workers,
         "tianfu_long_term_workers (at least) x poor_share_of_long_term_jobs; workers_per_working_household; "
         "long_term_work_days_per_year, alternative_daily_wage_yuan",
         "Per worker: the yearly wage.",
         "每名工人所得即年工资。"),
        ("land_rent", "poor households holding the transferred land", "承包流转土地的贫困户",
         channels.at["land_rent", "poor_households_yuan"],
         0.0, rent * (1.0 - p.land_rent_share_to_households), nan, nan,
         "land rent x land_rent_share_to_households x poor_share_of_transferred_land",
         "The number of households holding the land is not known: no amount per household. The collective's part "
         "is rent x (1 - land_rent_share_to_households).",
         "承包流转土地的农户户数不详，故不计每户金额。村集体所得部分为流转费 ×（1 − land_rent_share_to_households）。"),
        ("cooperative_job", "one couple in the cooperative", "合作社中的一对夫妻", coop_total, nan, 0.0, 1.0, couple,
         "cooperative_monthly_income_yuan (approximately); cooperative_months_per_year; case_couple_persons",
         "An individual case in the article; its working days are not known, so forgone earnings are not netted.",
         "原文中的个案；务工天数不详，故不扣除机会成本。"),
    ]
    frame = pd.DataFrame(rows, columns=["channel", "receiver", "receiver_zh", "gross_yuan", "forgone_yuan",
                                        "to_village_collective_yuan", "receiving_households", "receiving_persons",
                                        "basis", "note", "note_zh"])
    frame.insert(1, "label_en", frame["channel"].map(channels["label_en"]))
    frame.insert(2, "label_zh", frame["channel"].map(channels["label_zh"]))
    netted = bool(net_of_forgone) & frame["forgone_yuan"].notna()
    frame["is_net_of_forgone"] = netted
    frame["amount_yuan"] = frame["gross_yuan"] - frame["forgone_yuan"].where(netted, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["per_receiving_household_yuan"] = (frame["amount_yuan"] / frame["receiving_households"]).where(
            frame["receiving_households"] > 0)
        frame["per_receiving_person_yuan"] = (frame["amount_yuan"] / frame["receiving_persons"]).where(
            frame["receiving_persons"] > 0)
    numeric = ["gross_yuan", "forgone_yuan", "amount_yuan", "to_village_collective_yuan", "receiving_households",
               "receiving_persons", "per_receiving_household_yuan", "per_receiving_person_yuan"]
    return frame[RECIPIENT_COLUMNS].astype({name: "float64" for name in numeric})


def wage_bill_check(p: Parameters) -> dict[str, float | bool]:
    """Does the assumed wage bill fit inside the assumed cost per segment?

    The enterprise's wages (all temporary person-days x daily_wage_yuan + long_term_workers x
    long_term_wage_yuan_per_year) are spread over every segment its plant produces
    (segments_produced: the workers make and tend them all). Keys: temporary_wages_yuan,
    long_term_wages_yuan, wage_bill_yuan, segments_produced, wage_yuan_per_segment,
    non_labour_cost_yuan_per_segment (assumed: materials, bag, spawn, energy),
    cost_yuan_per_segment, labour_share_of_cost (wage per segment / cost per segment),
    cost_needed_yuan_per_segment (wage + non-labour), headroom_yuan_per_segment (cost - needed;
    what is left for overheads and transport), fits (headroom >= 0).
    """
    temporary = temporary_person_days(p) * p.daily_wage_yuan
    long_term = p.long_term_workers * p.long_term_wage_yuan_per_year
    bill = temporary + long_term
    per_segment = bill / p.segments_produced if p.segments_produced > 0 else math.inf
    needed = per_segment + p.non_labour_cost_yuan_per_segment
    headroom = p.cost_yuan_per_segment - needed
    return {
        "temporary_wages_yuan": temporary,
        "long_term_wages_yuan": long_term,
        "wage_bill_yuan": bill,
        "segments_produced": p.segments_produced,
        "wage_yuan_per_segment": per_segment,
        "non_labour_cost_yuan_per_segment": p.non_labour_cost_yuan_per_segment,
        "cost_yuan_per_segment": p.cost_yuan_per_segment,
        "labour_share_of_cost": per_segment / p.cost_yuan_per_segment if p.cost_yuan_per_segment > 0 else math.inf,
        "cost_needed_yuan_per_segment": needed,
        "headroom_yuan_per_segment": headroom,
        "fits": bool(headroom >= 0),
    }


def exited_households() -> float:
    """Poor households out of poverty by end-2017 (fact households_out_of_poverty_2017)."""
    return fact_value(EXITED_HOUSEHOLDS_FACT)


# --- the enterprise ----------------------------------------------------------------------------------

def enterprise_own_segments(p: Parameters) -> float:
    """Segments the enterprise keeps for itself: produced minus those managed for poor households (>= 0)."""
    return max(p.segments_produced - p.segments, 0.0)


def enterprise_base_capacity(p: Parameters) -> float:
    """Segments the production base can grow out: ground_fungus_area_mu x segments_per_mu."""
    return p.ground_fungus_area_mu * p.segments_per_mu


def enterprise_grown_segments(p: Parameters) -> float:
    """The enterprise's own segments grown out on its base: its own segments, at most the base's
    capacity left after the contract segments (which are grown there too)."""
    return min(enterprise_own_segments(p), max(enterprise_base_capacity(p) - p.segments, 0.0))


def enterprise_annual_profit(p: Parameters, booked_cost_yuan_per_segment: float | None = None) -> dict[str, float]:
    """The enterprise's profit in one season, within the means of its base.

    contract share = revenue of the contract segments - their actual cost - the villages' pool,
    where the pool is computed on the cost the enterprise *books* for the contract segments
    (booked_cost_yuan_per_segment, default the actual cost_yuan_per_segment: it controls what is
    deducted before the 40/60 split); own grow-out = :func:`enterprise_grown_segments` earning
    enterprise_own_margin_ratio x the contract profit per segment; the rest of its own segments
    are sold as bags at bag_sale_margin_yuan_per_segment; minus the yearly land rent (assumed not
    part of the cost per segment).

    Keys: contract_share_yuan, own_segments (produced - contract), capacity_segments,
    own_grown_segments, bags_sold_segments, own_profit_yuan (the grow-out), bag_sales_profit_yuan,
    land_rent_yuan, annual_profit_yuan, booked_cost_yuan_per_segment, contract_cost_advance_yuan
    (contract segments x actual cost: advanced each season, recovered at harvest before the split),
    own_cost_advance_yuan (grown segments x cost), cost_advance_yuan (their sum; bags sold are paid
    for when sold and not counted).
    """
    from analysis.parameters import check_value

    booked = p.cost_yuan_per_segment if booked_cost_yuan_per_segment is None else \
        check_value("cost_yuan_per_segment", booked_cost_yuan_per_segment)
    s = season(p.replace(cost_yuan_per_segment=booked)) if booked != p.cost_yuan_per_segment else season(p)
    # its part of the profit on the booked cost, plus what it books above the actual cost
    contract_share = s["enterprise_yuan"] + p.segments * (booked - p.cost_yuan_per_segment)
    own = enterprise_own_segments(p)
    grown = enterprise_grown_segments(p)
    sold = own - grown
    profit_per_segment = p.yield_kg_per_segment * p.price_yuan_per_kg - p.cost_yuan_per_segment
    own_profit = grown * profit_per_segment * p.enterprise_own_margin_ratio
    bag_profit = sold * p.bag_sale_margin_yuan_per_segment
    land_rent = yearly_land_rent_yuan(p)
    contract_advance = p.segments * p.cost_yuan_per_segment
    own_advance = grown * p.cost_yuan_per_segment
    return {
        "contract_share_yuan": contract_share,
        "own_segments": own,
        "capacity_segments": enterprise_base_capacity(p),
        "own_grown_segments": grown,
        "bags_sold_segments": sold,
        "own_profit_yuan": own_profit,
        "bag_sales_profit_yuan": bag_profit,
        "land_rent_yuan": land_rent,
        "annual_profit_yuan": contract_share + own_profit + bag_profit - land_rent,
        "booked_cost_yuan_per_segment": booked,
        "contract_cost_advance_yuan": contract_advance,
        "own_cost_advance_yuan": own_advance,
        "cost_advance_yuan": contract_advance + own_advance,
    }
