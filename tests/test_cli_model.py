"""The scenario, sensitivity and montecarlo commands through a subprocess (sys.executable -m analysis).

All commands of this file start at once (module fixture) so the file stays fast on two cores.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis import paths
from analysis.parameters import SETTABLE

HAND_SETS = ["--set", "yield_kg_per_segment=0.05", "--set", "price_yuan_per_kg=60", "--set",
             "cost_yuan_per_segment=1.5", "--set", "subsidy_fraction=0.5", "--set", "poverty_line_yuan=3000"]

GOOD = {
    "scenario_json_hand": ["scenario", "--json", *HAND_SETS],
    "scenario_text": ["scenario"],
    "scenario_low_json": ["scenario", "--preset", "low", "--json"],
    "scenario_high_text": ["scenario", "--preset", "high", "--set", "price_yuan_per_kg=80"],
    "sensitivity_text": ["sensitivity"],
    "sensitivity_json": ["sensitivity", "--json", "--output", "profit_yuan"],
    "montecarlo_json": ["montecarlo", "--draws", "2000", "--seed", "5", "--json"],
    "montecarlo_json_again": ["montecarlo", "--draws", "2000", "--seed", "5", "--json"],
    "montecarlo_fixed_json": ["montecarlo", "--draws", "1000", "--seed", "5", "--json", "--set", "price_yuan_per_kg=60"],
    "montecarlo_text": ["montecarlo", "--draws", "1000", "--seed", "5"],
}

BAD = {
    "unknown_parameter": (["scenario", "--set", "foo=1"],
                          f"error: unknown parameter 'foo': choose one of {', '.join(SETTABLE)}"),
    "not_a_number": (["scenario", "--set", "price_yuan_per_kg=abc"], "error: price_yuan_per_kg=abc: must be a number"),
    "negative_yield": (["scenario", "--set", "yield_kg_per_segment=-0.05"],
                       "error: yield_kg_per_segment=-0.05: must be >= 0"),
    "negative_price": (["scenario", "--json", "--set", "price_yuan_per_kg=-5"], "error: price_yuan_per_kg=-5: must be >= 0"),
    "negative_cost": (["scenario", "--set", "cost_yuan_per_segment=-1"], "error: cost_yuan_per_segment=-1: must be >= 0"),
    "negative_count": (["scenario", "--set", "segments=-800000"], "error: segments=-800000: must be >= 0"),
    "share_above_one": (["scenario", "--set", "village_share=1.5"], "error: village_share=1.5: must be between 0 and 1"),
    "share_below_zero": (["scenario", "--set", "subsidy_fraction=-0.1"],
                         "error: subsidy_fraction=-0.1: must be between 0 and 1"),
    "households_zero": (["scenario", "--set", "households=0"], "error: households=0: must be > 0"),
    "persons_below_households": (["scenario", "--set", "persons=100"], "error: persons=100: must be >= households (243)"),
    "bad_syntax": (["scenario", "--set", "price_yuan_per_kg"],
                   "error: --set 'price_yuan_per_kg': expected NAME=VALUE with NAME one of the settable parameters"),
    "bad_preset": (["scenario", "--preset", "medium"], "error: preset=medium: choose one of low, base, high"),
    "unknown_option": (["scenario", "--foo"], "error: python -m analysis scenario: unrecognized arguments: --foo"),
    "sensitivity_bad_value": (["sensitivity", "--set", "households=-1"], "error: households=-1: must be > 0"),
    "draws_zero": (["montecarlo", "--draws", "0", "--seed", "1"], "error: draws=0: must be an integer > 0"),
    "draws_negative": (["montecarlo", "--draws", "-3", "--seed", "1"], "error: draws=-3: must be an integer > 0"),
    "draws_not_a_number": (["montecarlo", "--draws", "many"], "error: draws=many: must be an integer > 0"),
    "draws_missing": (["montecarlo", "--seed", "1"],
                      "error: python -m analysis montecarlo: the following arguments are required: --draws"),
    "seed_negative": (["montecarlo", "--draws", "10", "--seed", "-1"], "error: seed=-1: must be an integer >= 0"),
    "montecarlo_bad_set": (["montecarlo", "--draws", "10", "--set", "village_share=2"],
                           "error: village_share=2: must be between 0 and 1"),
}


@pytest.fixture(scope="module")
def runs():
    """Start every command at once; {case: CompletedProcess-like (returncode, stdout, stderr)}."""
    argvs = {**GOOD, **{case: argv for case, (argv, _) in BAD.items()}}
    started = {case: subprocess.Popen([sys.executable, "-m", "analysis", *argv], cwd=paths.ROOT, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for case, argv in argvs.items()}
    done = {}
    for case, process in started.items():
        stdout, stderr = process.communicate(timeout=120)
        done[case] = (process.returncode, stdout, stderr)
    return done


@pytest.mark.parametrize("case", sorted(GOOD))
def test_good_commands_exit_zero_quietly(runs, case):
    status, stdout, stderr = runs[case]
    assert (status, stderr) == (0, "")
    assert stdout.strip()
    if "json" in case:
        assert isinstance(json.loads(stdout), dict)  # ONE JSON object


def test_scenario_json_matches_hand_arithmetic(runs):
    out = json.loads(runs["scenario_json_hand"][1])
    expected = {
        "revenue_yuan": 800_000 * 0.05 * 60,  # 2,400,000
        "cost_yuan": 800_000 * 1.5,  # 1,200,000
        "profit_yuan": 2_400_000 - 1_200_000,
        "village_pool_yuan": 0.6 * 1_200_000,  # 720,000
        "enterprise_yuan": 1_200_000 - 720_000,  # 480,000
        "per_household_yuan": 0.5 * 720_000 / 243,
        "per_person_yuan": 0.5 * 720_000 / 690,
        "share_of_poverty_line": 0.5 * 720_000 / 690 / 3000,
        "break_even_price_yuan_per_kg": 1.5 / 0.05,  # 30
        "price_yuan_per_jin": 60 * 0.5,
    }
    for key, value in expected.items():
        assert out[key] == pytest.approx(value), key
    assert out["parameters"]["price_yuan_per_kg"] == 60
    assert out["parameters"]["segments"] == 800_000
    assert out["overrides"] == {"yield_kg_per_segment": 0.05, "price_yuan_per_kg": 60, "cost_yuan_per_segment": 1.5,
                                "subsidy_fraction": 0.5, "poverty_line_yuan": 3000}


def test_scenario_text_shows_values_with_units(runs):
    stdout = runs["scenario_text"][1]
    assert "preset base; overrides: none" in stdout
    assert any(line.split()[0] == "per_person_yuan" and line.split()[-1] == "yuan" for line in stdout.splitlines()
               if line.strip())
    assert "price_yuan_per_kg=80" in runs["scenario_high_text"][1]


def test_scenario_preset_low_reports_its_preset(runs):
    out = json.loads(runs["scenario_low_json"][1])
    assert out["preset"] == "low" and out["overrides"] == {}


def test_sensitivity_json_rows(runs):
    out = json.loads(runs["sensitivity_json"][1])
    assert out["output"] == "profit_yuan"
    assert len(out["rows"]) == 19
    swings = [row["swing"] for row in out["rows"]]
    assert swings == sorted(swings, reverse=True)


def test_montecarlo_json_is_reproducible_across_processes(runs):
    assert runs["montecarlo_json"][1] == runs["montecarlo_json_again"][1]
    out = json.loads(runs["montecarlo_json"][1])
    assert (out["draws"], out["seed"]) == (2000, 5)
    assert [row["threshold_share"] for row in out["threshold_probabilities"]] == [0.1, 0.25, 0.5]
    assert {row["output"] for row in out["quantiles"]} >= {"per_person_yuan", "share_of_poverty_line"}


def test_montecarlo_set_holds_a_parameter_fixed(runs):
    out = json.loads(runs["montecarlo_fixed_json"][1])
    assert "price_yuan_per_kg" not in out["varied"]
    assert out["overrides"] == {"price_yuan_per_kg": 60}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line(runs, case):
    status, stdout, stderr = runs[case]
    assert status == 2
    assert stdout == ""
    assert stderr == BAD[case][1] + "\n"
