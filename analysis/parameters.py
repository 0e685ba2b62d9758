"""The model's parameters: facts of the article, the assumptions table, and two computed ones.

Every number the model uses comes from ``data/``: the facts table (through
:func:`analysis.data.fact_value`) or ``data/assumptions.csv`` (through
:func:`analysis.data.load_assumptions`). This module names them, checks them and
bundles them into one frozen :class:`Parameters` object.

Two parameters are *computed* unless a caller sets them (COMPUTED_PARAMETERS, each with its
rule, which :func:`parameter_table` lists as its source):

    recipient_households = registered poor households - households out of poverty by end-2017
                           (facts poor_households_registered - households_out_of_poverty_2017: 243 - 113 = 130)
    recipient_persons    = recipient_households x persons / households   (recipient households are
                           assumed to have the registered average size)

A computed parameter follows its rule from the run's values (``get_parameters(recipient_households=100)``
gives ``recipient_persons = 100 x 690 / 243``; so does ``.replace(recipient_households=100)``) until it
is set itself. Rules between parameters: persons >= households; 0 < recipient_households <=
households; recipient_households <= recipient_persons <= persons (the recipients are some of the
registered poor, so they cannot be more persons than are registered).

POLICY_LEVERS are choices (of the villages), not uncertainties: the Monte Carlo never draws them.

>>> p = get_parameters("base", price_yuan_per_kg=60)        # doctest: +SKIP
>>> p.replace(subsidy_fraction=0.4).subsidy_fraction        # doctest: +SKIP
0.4

Bad values raise :class:`~analysis.errors.ParameterError` with one line naming the
parameter, the value and the allowed range, e.g. ``price_yuan_per_kg=-5: must be >= 0``.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.data import NUMBER_TEXT, fact, fact_value, load_assumptions
from analysis.errors import DataValidationError, ParameterError

PRESETS = ("low", "base", "high")
ASSUMPTIONS_FILE = "assumptions.csv"  # as analysis.data names files in its messages
FIRST_DATA_LINE = 2  # CSV line of the first data row (header = line 1), as in analysis.data

# Parameters taken from the facts table: name -> (fact_id, label_en, label_zh).
FACT_PARAMETERS: dict[str, tuple[str, str, str]] = {
    "segments": ("tianfu_segments_for_poor", "Segments managed for poor households", "为贫困户代理经营的菌段"),
    "village_share": ("profit_share_villages", "Villages' share of the profit", "十个村的利润分成"),
    "households": ("poor_households_registered", "Registered poor households", "建档立卡贫困户"),
    "persons": ("poor_persons_registered", "Registered poor persons", "建档立卡贫困人口"),
    "segments_produced": ("tianfu_segments_produced", "Segments produced by the enterprise", "菌包厂生产菌段"),
    "contract_years": ("tianfu_contract_years", "Contract length", "合作协议年限"),
    "investment_stated_yuan": ("tianfu_investment_yuan", "Enterprise investment (stated minimum)", "企业投资（下限）"),
    "land_rent_yuan_per_mu": ("tianfu_land_rent_yuan_per_mu", "Land price per mu", "每亩土地流转价格"),
    "land_transferred_mu": ("tianfu_land_transferred_mu", "Land transferred", "土地流转面积"),
    "long_term_workers": ("tianfu_long_term_workers", "Long-term workers", "长期工"),
    "temporary_workers_max_per_day": ("tianfu_temporary_workers_max_per_day", "Temporary workers per day (peak)",
                                      "临时用工（最高每日）"),
    "cooperative_monthly_income_yuan": ("cooperative_monthly_income_yuan", "Cooperative income per month (one couple)",
                                        "合作社月收入（一对夫妻）"),
    "ground_fungus_area_mu": ("tianfu_ground_fungus_area_mu", "Ground-laid wood-ear at the production base",
                              "生产基地地摆木耳面积"),
}

# Parameters taken from data/assumptions.csv (its ``name`` column must list exactly these).
ASSUMPTION_NAMES: tuple[str, ...] = (
    "yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment", "subsidy_fraction",
    "poverty_line_yuan", "temp_work_days_per_season", "temp_workers_mean_share_of_peak", "daily_wage_yuan",
    "poor_share_of_temporary_labour", "long_term_wage_yuan_per_year", "poor_share_of_long_term_jobs",
    "land_rent_period_years", "poor_share_of_transferred_land", "cooperative_months_per_year",
    "discount_rate", "price_cv", "yield_cv", "enterprise_own_margin_ratio", "investment_above_stated_share",
    "poverty_shortfall_yuan_per_person", "workers_per_working_household", "land_rent_share_to_households",
    "alternative_daily_wage_yuan", "long_term_work_days_per_year", "non_labour_cost_yuan_per_segment",
    "segments_per_mu", "bag_sale_margin_yuan_per_segment", "poverty_line_year", "first_season_year",
    "poverty_line_growth_rate", "disaster_probability_per_year", "disaster_yield_loss_share",
)

# The facts of the recipient rule: registered poor households minus those out of poverty by end-2017.
REGISTERED_HOUSEHOLDS_FACT = "poor_households_registered"
EXITED_HOUSEHOLDS_FACT = "households_out_of_poverty_2017"

# Parameters computed from others unless set: name -> (label_en, label_zh, unit, rule as parameter_table states it).
COMPUTED_PARAMETERS: dict[str, tuple[str, str, str, str]] = {
    "recipient_households": (
        "Poor households receiving the subsidy", "领取补助的贫困户", "households",
        f"computed: {REGISTERED_HOUSEHOLDS_FACT} - {EXITED_HOUSEHOLDS_FACT} (registered poor households not yet "
        "out of poverty at end-2017, the households the article's subsidy is for)"),
    "recipient_persons": (
        "Persons in the households receiving the subsidy", "领取补助户的人口", "persons",
        "computed: recipient_households x persons / households (assumes the recipient households have the "
        "registered average size)"),
}
# The rules of COMPUTED_PARAMETERS as the Chinese edition's tables state them.
COMPUTED_RULES_ZH: dict[str, str] = {
    "recipient_households": f"{REGISTERED_HOUSEHOLDS_FACT} − {EXITED_HOUSEHOLDS_FACT}（截至2017年底尚未脱贫的"
                            "建档立卡贫困户，即原文“补助脱贫没有达标的贫困户”的对象）",
    "recipient_persons": "recipient_households × persons ÷ households（假定受补助户的户均人口与全部建档立卡贫困户相同）",
}

# Choices, not uncertainties: the Monte Carlo holds them at the run's values.
POLICY_LEVERS: tuple[str, ...] = ("subsidy_fraction", "recipient_households", "recipient_persons")

SETTABLE: tuple[str, ...] = tuple(FACT_PARAMETERS) + ASSUMPTION_NAMES + tuple(COMPUTED_PARAMETERS)

# Range rules: a share lies in [0, 1]; a positive parameter is > 0; every other one is >= 0.
SHARES = frozenset({
    "village_share", "subsidy_fraction", "temp_workers_mean_share_of_peak", "poor_share_of_temporary_labour",
    "poor_share_of_long_term_jobs", "poor_share_of_transferred_land", "land_rent_share_to_households",
    "disaster_probability_per_year", "disaster_yield_loss_share",
})
POSITIVE = frozenset({"households", "persons", "contract_years", "land_rent_period_years", "poverty_line_yuan",
                      "poverty_shortfall_yuan_per_person", "workers_per_working_household", "recipient_households",
                      "recipient_persons"})


def format_number(value: float) -> str:
    """A number as users typed it: ``5`` for 5.0, ``0.05`` for 0.05, ``2000000`` (never ``2e+06``)."""
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _rule_error(name: str, value: float) -> str | None:
    """The broken rule for one value of parameter *name*, or None."""
    if not math.isfinite(value):
        return "must be a finite number"
    if name in SHARES and not 0 <= value <= 1:
        return "must be between 0 and 1"
    if name in POSITIVE and value <= 0:
        return "must be > 0"
    if value < 0:
        return "must be >= 0"
    return None


def to_number(name: str, value) -> float:
    """*value* as a float, or ParameterError ``name=value: must be a number``."""
    # text is read as the data package's numbers are (data.NUMBER_TEXT): '５０', '1_000' are not numbers
    if isinstance(value, bool) or (isinstance(value, str) and not NUMBER_TEXT.fullmatch(value.strip())):
        shown = ("".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value)
                 if isinstance(value, str) else value)  # a control character shown escaped, never sent raw
        raise ParameterError(f"{name}={shown}: must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={value}: must be a number") from None


def check_value(name: str, value) -> float:
    """The value of parameter *name* as a float, checked against its range rule.

    Raises ParameterError (``unknown parameter 'x': choose one of ...``, ``x=abc: must be a
    number``, ``price_yuan_per_kg=-5: must be >= 0``, ``village_share=1.5: must be between 0 and 1``,
    ``households=0: must be > 0``).
    """
    if name not in SETTABLE:
        raise ParameterError(f"unknown parameter {name!r}: choose one of {', '.join(SETTABLE)}")
    number = to_number(name, value)
    broken = _rule_error(name, number)
    if broken:
        raise ParameterError(f"{name}={format_number(number)}: {broken}")
    return number


@dataclass(frozen=True)
class Parameters:
    """Every input of the model, one float per settable name; validated on construction.

    Raises :class:`~analysis.errors.ParameterError` when a value breaks its range rule or a rule
    between parameters: ``persons=100: must be >= households (243)``, ``recipient_households=300:
    must be <= households (243)``, ``recipient_persons=100: must be >= recipient_households (130)``,
    ``recipient_persons=700: must be <= persons (690)``.

    *follows_rule* names the computed parameters (COMPUTED_PARAMETERS) that follow their rule:
    :meth:`replace` recomputes them from the new values (not compared, not in :meth:`as_dict`).
    """

    # facts of the article
    segments: float
    village_share: float
    households: float
    persons: float
    segments_produced: float
    contract_years: float
    investment_stated_yuan: float
    land_rent_yuan_per_mu: float
    land_transferred_mu: float
    long_term_workers: float
    temporary_workers_max_per_day: float
    cooperative_monthly_income_yuan: float
    ground_fungus_area_mu: float
    # assumptions (data/assumptions.csv)
    yield_kg_per_segment: float
    price_yuan_per_kg: float
    cost_yuan_per_segment: float
    subsidy_fraction: float
    poverty_line_yuan: float
    temp_work_days_per_season: float
    temp_workers_mean_share_of_peak: float
    daily_wage_yuan: float
    poor_share_of_temporary_labour: float
    long_term_wage_yuan_per_year: float
    poor_share_of_long_term_jobs: float
    land_rent_period_years: float
    poor_share_of_transferred_land: float
    cooperative_months_per_year: float
    discount_rate: float
    price_cv: float
    yield_cv: float
    enterprise_own_margin_ratio: float
    investment_above_stated_share: float
    poverty_shortfall_yuan_per_person: float
    workers_per_working_household: float
    land_rent_share_to_households: float
    alternative_daily_wage_yuan: float
    long_term_work_days_per_year: float
    non_labour_cost_yuan_per_segment: float
    segments_per_mu: float
    bag_sale_margin_yuan_per_segment: float
    poverty_line_year: float
    first_season_year: float
    poverty_line_growth_rate: float
    disaster_probability_per_year: float
    disaster_yield_loss_share: float
    # computed unless set (COMPUTED_PARAMETERS)
    recipient_households: float
    recipient_persons: float
    follows_rule: tuple[str, ...] = dataclasses.field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in SETTABLE:
            object.__setattr__(self, name, check_value(name, getattr(self, name)))
        unknown = [name for name in self.follows_rule if name not in COMPUTED_PARAMETERS]
        if unknown:
            raise ParameterError(f"follows_rule={unknown[0]}: choose among {', '.join(COMPUTED_PARAMETERS)}")
        object.__setattr__(self, "follows_rule", tuple(self.follows_rule))
        self._check_between()

    def _check_between(self) -> None:
        """The rules between parameters (persons, households and the recipients)."""
        n = format_number
        if self.persons < self.households:
            raise ParameterError(f"persons={n(self.persons)}: must be >= households ({n(self.households)})")
        if self.recipient_households > self.households:
            hint = (f" (the default, {REGISTERED_HOUSEHOLDS_FACT} - {EXITED_HOUSEHOLDS_FACT}; set recipient_households)"
                    if "recipient_households" in self.follows_rule else "")
            raise ParameterError(f"recipient_households={n(self.recipient_households)}: must be <= households "
                                 f"({n(self.households)}){hint}")
        if self.recipient_persons < self.recipient_households:
            raise ParameterError(f"recipient_persons={n(self.recipient_persons)}: must be >= recipient_households "
                                 f"({n(self.recipient_households)})")
        if self.recipient_persons > self.persons:
            raise ParameterError(f"recipient_persons={n(self.recipient_persons)}: must be <= persons "
                                 f"({n(self.persons)})")

    def replace(self, **changes: float) -> "Parameters":
        """A validated copy with *changes* applied; the computed parameters that follow their rule
        and are not changed are recomputed from the new values. ParameterError for an unknown
        name or a bad value."""
        values = self.as_dict()
        for name, value in changes.items():
            values[name] = check_value(name, value)  # unknown names, non-numbers and ranges first
        follows = tuple(name for name in self.follows_rule if name not in changes)
        return Parameters(**apply_rules(values, follows), follows_rule=follows)

    def as_dict(self) -> dict[str, float]:
        """``{name: value}`` in SETTABLE order."""
        return {name: getattr(self, name) for name in SETTABLE}


def computed_value(name: str, values: dict[str, float], data_dir: Path | str | None = None) -> float:
    """The rule of computed parameter *name* (COMPUTED_PARAMETERS) applied to *values*."""
    if name == "recipient_households":
        return fact_value(REGISTERED_HOUSEHOLDS_FACT, data_dir) - fact_value(EXITED_HOUSEHOLDS_FACT, data_dir)
    if name == "recipient_persons":
        return values["recipient_households"] * values["persons"] / values["households"]
    raise ParameterError(f"unknown computed parameter {name!r}: choose one of {', '.join(COMPUTED_PARAMETERS)}")


def apply_rules(values: dict[str, float], follows, data_dir: Path | str | None = None) -> dict[str, float]:
    """*values* with each computed parameter in *follows* set by its rule (in COMPUTED_PARAMETERS order)."""
    values = dict(values)
    for name in COMPUTED_PARAMETERS:
        if name in follows:
            values[name] = computed_value(name, values, data_dir)
    return values


def check_assumption_table(table: pd.DataFrame) -> None:
    """Cross-column rules for the assumptions table (the schema checks types and enums).

    Rows must name exactly the model's assumptions (ASSUMPTION_NAMES), with low <= base <= high
    and each of low, base, high inside the parameter's range. Raises DataValidationError
    ``assumptions.csv: row <n>, column <col>: <rule>`` (n = CSV line, header = 1).
    """
    names = list(table["name"])
    for position, name in enumerate(names):
        row = position + FIRST_DATA_LINE
        if name not in ASSUMPTION_NAMES:
            raise DataValidationError(
                f"{ASSUMPTIONS_FILE}: row {row}, column name: unknown assumption {name!r} (the model has no such parameter)"
            )
        values = table.iloc[position]
        for column in ("low", "base", "high"):
            broken = _rule_error(name, float(values[column]))
            if broken:
                raise DataValidationError(f"{ASSUMPTIONS_FILE}: row {row}, column {column}: {broken}")
        if not values["low"] <= values["base"] <= values["high"]:
            raise DataValidationError(f"{ASSUMPTIONS_FILE}: row {row}, column base: must lie between low and high")
    missing = [name for name in ASSUMPTION_NAMES if name not in names]
    if missing:
        raise DataValidationError(
            f"{ASSUMPTIONS_FILE}: row -, column name: missing assumption {missing[0]!r} (the model needs it)"
        )


def assumption_table(data_dir: Path | str | None = None) -> pd.DataFrame:
    """``data/assumptions.csv`` validated (schema by analysis.data, cross-column rules here), indexed
    by name: a copy of the table read once per data folder and process (as analysis.data reads
    each table once), so callers may change it."""
    return _assumption_table(Path(data_dir if data_dir is not None else paths.DATA_DIR).resolve()).copy()


@functools.cache
def _assumption_table(data_dir: Path) -> pd.DataFrame:
    table = load_assumptions(data_dir)
    check_assumption_table(table)
    return table


def preset_values(preset: str = "base", data_dir: Path | str | None = None) -> dict[str, float]:
    """``{name: value}`` for every settable name: facts, the *preset* column of the assumptions,
    and the computed parameters by their rules."""
    if preset not in PRESETS:
        raise ParameterError(f"preset={preset}: choose one of {', '.join(PRESETS)}")
    values = {name: fact_value(fact_id, data_dir) for name, (fact_id, _, _) in FACT_PARAMETERS.items()}
    table = assumption_table(data_dir)
    values.update({name: float(table.at[name, preset]) for name in ASSUMPTION_NAMES})
    return apply_rules(values, tuple(COMPUTED_PARAMETERS), data_dir)


def get_parameters(preset: str = "base", **overrides: float) -> Parameters:
    """The parameters of a preset (``low``, ``base`` or ``high`` column of the assumptions table;
    facts from the facts table) with *overrides* applied.

    Raises :class:`~analysis.errors.ParameterError` for an unknown preset or parameter, a
    non-number or a value out of range, e.g. ``unknown parameter 'foo': choose one of ...``,
    ``price_yuan_per_kg=-5: must be >= 0``, ``village_share=1.5: must be between 0 and 1``,
    ``persons=100: must be >= households (243)``, ``households=0: must be > 0``.
    """
    values = preset_values(preset)
    for name, value in overrides.items():
        values[name] = check_value(name, value)
    follows = tuple(name for name in COMPUTED_PARAMETERS if name not in overrides)
    return Parameters(**apply_rules(values, follows), follows_rule=follows)


def outside_range(p: Parameters) -> dict[str, bool]:
    """``{name: True}`` where *p*'s value lies outside the parameter's low-high in
    :func:`parameter_table` (a fact: differs from the article's value); computed parameters
    (choices, with no assumed range) are never outside."""
    table = parameter_table().set_index("name")
    flags = {}
    for name, value in p.as_dict().items():
        low, high, kind = table.at[name, "low"], table.at[name, "high"], table.at[name, "kind"]
        flags[name] = kind != "computed" and not low <= value <= high
    return flags


def parameter_table(p: Parameters | None = None) -> pd.DataFrame:
    """Every parameter with its provenance: name, label_en, label_zh, unit, low, base, high,
    kind ('fact', 'assumption' or 'computed'), source (fact_id, source_id, or the rule of a
    computed parameter: 'computed: ...'), qualifier (facts only), is_policy_lever (POLICY_LEVERS).

    Facts have low = base = high = the article's value; computed parameters the value of their
    rule at the base preset. With *p*, two more columns: value (*p*'s) and outside_range
    (:func:`outside_range`).
    """
    rows = []
    for name, (fact_id, label_en, label_zh) in FACT_PARAMETERS.items():
        found = fact(fact_id)
        rows.append({"name": name, "label_en": label_en, "label_zh": label_zh, "unit": found.unit,
                     "low": found.value, "base": found.value, "high": found.value,
                     "kind": "fact", "source": fact_id, "qualifier": found.qualifier})
    table = assumption_table()
    for name in ASSUMPTION_NAMES:
        row = table.loc[name]
        rows.append({"name": name, "label_en": row["label_en"], "label_zh": row["label_zh"], "unit": row["unit"],
                     "low": float(row["low"]), "base": float(row["base"]), "high": float(row["high"]),
                     "kind": "assumption", "source": row["source_id"], "qualifier": ""})
    base = preset_values("base")
    for name, (label_en, label_zh, unit, rule) in COMPUTED_PARAMETERS.items():
        rows.append({"name": name, "label_en": label_en, "label_zh": label_zh, "unit": unit,
                     "low": base[name], "base": base[name], "high": base[name],
                     "kind": "computed", "source": rule, "qualifier": ""})
    frame = pd.DataFrame(rows)
    frame["is_policy_lever"] = frame["name"].isin(POLICY_LEVERS)
    frame = frame.astype({"low": "float64", "base": "float64", "high": "float64"})
    if p is not None:
        values = p.as_dict()
        frame["value"] = frame["name"].map(values).astype("float64")
        frame["outside_range"] = (frame["kind"] != "computed") & ~frame["value"].between(frame["low"], frame["high"])
    return frame
