"""Tests for analysis/parameters.py: presets, overrides, range rules and their exact messages."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis import paths
from analysis.errors import DataValidationError, ParameterError
from analysis.parameters import (
    ASSUMPTION_NAMES, COMPUTED_PARAMETERS, FACT_PARAMETERS, POLICY_LEVERS, SETTABLE, Parameters, assumption_table,
    check_assumption_table, format_number, get_parameters, outside_range, parameter_table,
)


def test_facts_come_from_the_article():
    p = get_parameters()
    assert p.segments == 80 * 10_000  # 80万段
    assert p.village_share == 0.6  # 10个村占60%
    assert p.households == 243  # 243户
    assert p.persons == 690  # 690人
    assert p.segments_produced == 200 * 10_000  # 200万段
    assert p.contract_years == 13
    assert p.investment_stated_yuan == 500 * 10_000  # 500余万元 (at least)
    assert p.cooperative_monthly_income_yuan == 4000  # 近四千元
    assert p.ground_fungus_area_mu == 150  # 地摆木耳150亩


def test_recipients_are_computed_from_the_facts():
    p = get_parameters()
    assert p.recipient_households == 243 - 113  # 贫困户243户 - 113户贫困户实现彻底脱贫 = 130
    assert p.recipient_persons == pytest.approx(130 * 690 / 243)  # = 369.14: the registered average household size
    assert p.follows_rule == ("recipient_households", "recipient_persons")


def test_recipient_persons_follows_a_new_recipient_count():
    p = get_parameters(recipient_households=100)
    assert p.recipient_persons == pytest.approx(100 * 690 / 243)
    assert get_parameters().replace(recipient_households=100) == p  # the same rule through replace
    assert p.replace(households=200).recipient_persons == pytest.approx(100 * 690 / 200)  # follows households too
    assert p.replace(households=200).recipient_households == 100  # set: stays
    fixed = get_parameters(recipient_households=100, recipient_persons=300)
    assert fixed.recipient_persons == 300 and fixed.replace(recipient_households=120).recipient_persons == 300
    assert get_parameters(households=200).recipient_households == 130  # the rule reads the facts, not the override

@pytest.mark.parametrize("preset", ["low", "base", "high"])
def test_presets_take_the_matching_column_of_the_assumptions_table(preset):
    table = pd.read_csv(paths.data_file("assumptions.csv")).set_index("name")
    p = get_parameters(preset)
    assert {name: getattr(p, name) for name in ASSUMPTION_NAMES} == table[preset].to_dict()


def test_overrides_are_applied_and_coerced_to_float():
    p = get_parameters("low", price_yuan_per_kg=80, households="200")
    assert p.price_yuan_per_kg == 80.0 and isinstance(p.price_yuan_per_kg, float)
    assert p.households == 200.0


def test_settable_names_cover_the_issue_and_every_assumption():
    required = {"segments", "yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment", "village_share",
                "households", "persons", "subsidy_fraction", "poverty_line_yuan"}
    assert required <= set(SETTABLE)
    assert set(ASSUMPTION_NAMES) <= set(SETTABLE)
    assert len(SETTABLE) == len(set(SETTABLE)) == 13 + 32 + 2
    assert SETTABLE[-2:] == ("recipient_households", "recipient_persons") == tuple(COMPUTED_PARAMETERS)
    assert POLICY_LEVERS == ("subsidy_fraction", "recipient_households", "recipient_persons")
    assert list(get_parameters().as_dict()) == list(SETTABLE)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"price_yuan_per_kg": -5}, "price_yuan_per_kg=-5: must be >= 0"),
    ({"yield_kg_per_segment": -0.01}, "yield_kg_per_segment=-0.01: must be >= 0"),
    ({"cost_yuan_per_segment": -1.5}, "cost_yuan_per_segment=-1.5: must be >= 0"),
    ({"segments": -1}, "segments=-1: must be >= 0"),
    ({"village_share": 1.5}, "village_share=1.5: must be between 0 and 1"),
    ({"subsidy_fraction": -0.1}, "subsidy_fraction=-0.1: must be between 0 and 1"),
    ({"households": 0}, "households=0: must be > 0"),
    ({"poverty_line_yuan": 0}, "poverty_line_yuan=0: must be > 0"),
    ({"persons": 100}, "persons=100: must be >= households (243)"),
    ({"recipient_households": 0}, "recipient_households=0: must be > 0"),
    ({"recipient_households": -5}, "recipient_households=-5: must be > 0"),
    ({"recipient_households": 300}, "recipient_households=300: must be <= households (243)"),
    ({"households": 100}, "recipient_households=130: must be <= households (100) (the default, "
                          "poor_households_registered - households_out_of_poverty_2017; set recipient_households)"),
    ({"recipient_persons": 100}, "recipient_persons=100: must be >= recipient_households (130)"),
    ({"recipient_persons": 700}, "recipient_persons=700: must be <= persons (690)"),
    ({"recipient_households": 200, "recipient_persons": 150}, "recipient_persons=150: must be >= recipient_households (200)"),
    ({"disaster_probability_per_year": 1.5}, "disaster_probability_per_year=1.5: must be between 0 and 1"),
    ({"price_yuan_per_kg": float("nan")}, "price_yuan_per_kg=nan: must be a finite number"),
    ({"price_yuan_per_kg": "abc"}, "price_yuan_per_kg=abc: must be a number"),
    ({"preset": "medium"}, "preset=medium: choose one of low, base, high"),
])
def test_bad_values_raise_one_line_naming_parameter_value_and_range(overrides, message):
    preset = overrides.pop("preset", "base")
    with pytest.raises(ParameterError) as caught:
        get_parameters(preset, **overrides)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_unknown_parameter_lists_the_choices():
    with pytest.raises(ParameterError) as caught:
        get_parameters(foo=1)
    assert str(caught.value) == f"unknown parameter 'foo': choose one of {', '.join(SETTABLE)}"


def test_replace_returns_a_validated_copy():
    p = get_parameters()
    q = p.replace(subsidy_fraction=0.41)
    assert q.subsidy_fraction == 0.41
    assert p.subsidy_fraction == get_parameters().subsidy_fraction != 0.41  # the original is untouched
    assert q.replace(subsidy_fraction=p.subsidy_fraction) == p
    with pytest.raises(ParameterError, match=r"^households=-2: must be > 0$"):
        p.replace(households=-2)
    with pytest.raises(ParameterError, match=r"^unknown parameter 'bar'"):
        p.replace(bar=1)
    with pytest.raises(ParameterError, match=r"^persons=242: must be >= households \(243\)$"):
        p.replace(persons=242)


def test_parameters_are_frozen():
    p = get_parameters()
    with pytest.raises(AttributeError):
        p.segments = 1.0  # type: ignore[misc]


def test_format_number_writes_numbers_as_typed():
    assert format_number(2_000_000.0) == "2000000"
    assert format_number(-5.0) == "-5"
    assert format_number(0.05) == "0.05"
    assert format_number(float("inf")) == "inf"


def test_parameter_table_shape_kinds_and_provenance():
    table = parameter_table()
    assert table.shape == (47, 11)
    assert list(table.columns) == ["name", "label_en", "label_zh", "unit", "low", "base", "high", "kind", "source",
                                   "qualifier", "is_policy_lever"]
    assert list(table["name"]) == list(SETTABLE)
    assert (table["kind"] == "fact").sum() == len(FACT_PARAMETERS) == 13
    computed = table.set_index("name").loc[list(COMPUTED_PARAMETERS)]
    assert list(computed["kind"]) == ["computed", "computed"]
    assert computed.at["recipient_households", "source"].startswith(
        "computed: poor_households_registered - households_out_of_poverty_2017")
    assert computed.at["recipient_persons", "source"].startswith("computed: recipient_households x persons / households")
    assert computed.at["recipient_households", "base"] == 130
    assert sorted(table.loc[table["is_policy_lever"], "name"]) == sorted(POLICY_LEVERS)
    row = table.set_index("name").loc["investment_stated_yuan"]
    assert (row["source"], row["qualifier"], row["low"], row["high"]) == ("tianfu_investment_yuan", "at_least",
                                                                          5_000_000, 5_000_000)
    assert table.set_index("name").loc["price_yuan_per_kg", "kind"] == "assumption"


def test_parameter_table_flags_values_outside_the_assumed_range():
    high = assumption_table().at["price_yuan_per_kg", "high"]
    p = get_parameters(price_yuan_per_kg=high + 10, subsidy_fraction=0.9, recipient_households=200)
    table = parameter_table(p).set_index("name")
    assert list(table.columns[-2:]) == ["value", "outside_range"]
    assert table.at["price_yuan_per_kg", "value"] == high + 10
    # the price above its high, the share 0.9 above 0.7; a recipient count is a choice with no assumed range
    assert sorted(table.index[table["outside_range"]]) == ["price_yuan_per_kg", "subsidy_fraction"]
    assert outside_range(p) == table["outside_range"].to_dict()
    assert outside_range(get_parameters(households=250))["households"]  # a fact: differs from the article's value


def _tiny_table(rows):
    return pd.DataFrame(rows, columns=["name", "low", "base", "high"])


def _valid_rows():
    return [[name, 0.1, 0.2, 0.3] for name in ASSUMPTION_NAMES]


def test_check_assumption_table_accepts_a_valid_table():
    check_assumption_table(_tiny_table(_valid_rows()))


def test_base_outside_low_high_names_csv_line_and_column():
    rows = _valid_rows()
    rows[1] = [ASSUMPTION_NAMES[1], 70, 60, 50]  # low 70 > base 60: second data row = CSV line 3
    with pytest.raises(DataValidationError) as caught:
        check_assumption_table(_tiny_table(rows))
    assert str(caught.value) == "assumptions.csv: row 3, column base: must lie between low and high"


def test_share_above_one_in_the_table_is_rejected():
    rows = _valid_rows()
    position = ASSUMPTION_NAMES.index("subsidy_fraction")
    rows[position] = ["subsidy_fraction", 0.3, 0.5, 1.5]
    with pytest.raises(DataValidationError) as caught:
        check_assumption_table(_tiny_table(rows))
    assert str(caught.value) == f"assumptions.csv: row {position + 2}, column high: must be between 0 and 1"


def test_unknown_and_missing_assumptions_are_rejected():
    rows = _valid_rows() + [["made_up", 1, 2, 3]]
    with pytest.raises(DataValidationError) as caught:
        check_assumption_table(_tiny_table(rows))
    assert str(caught.value) == (f"assumptions.csv: row {len(ASSUMPTION_NAMES) + 2}, column name: "
                                 "unknown assumption 'made_up' (the model has no such parameter)")
    with pytest.raises(DataValidationError) as caught:
        check_assumption_table(_tiny_table(_valid_rows()[1:]))
    assert str(caught.value) == ("assumptions.csv: row -, column name: missing assumption "
                                 f"'{ASSUMPTION_NAMES[0]}' (the model needs it)")


def test_a_corrupted_csv_on_disk_is_rejected(tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data_dir)
    csv = data_dir / "assumptions.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[2].startswith("price_yuan_per_kg,")
    lines[2] = lines[2].replace(",40,56,70,", ",40,80,70,")  # base 80 above high 70
    csv.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        assumption_table(data_dir)
    assert str(caught.value) == "assumptions.csv: row 3, column base: must lie between low and high"


def test_parameters_can_be_built_directly():
    values = get_parameters().as_dict()
    assert Parameters(**values) == get_parameters()


def test_validate_command_applies_the_assumption_rules(tmp_path):
    # `python -m analysis validate` runs the cross-column rules too, not only the schema.
    import subprocess
    import sys

    data_dir = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data_dir)
    csv = data_dir / "assumptions.csv"
    text = csv.read_text(encoding="utf-8")
    assert ",40,56,70," in text
    csv.write_text(text.replace(",40,56,70,", ",40,80,70,", 1), encoding="utf-8")  # the price row: base 80 > high 70
    done = subprocess.run([sys.executable, "-m", "analysis", "validate", "--data-dir", str(data_dir)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: assumptions.csv: row 3, column base: must lie between low and high"]
