"""The scenario, sensitivity and montecarlo commands through a subprocess (sys.executable -m analysis).

All commands of this file start at once (module fixture) so the file stays fast on two cores.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from analysis import paths
from analysis.parameters import POLICY_LEVERS, SETTABLE

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
    "scenario_recipients_json": ["scenario", "--json", *HAND_SETS, "--set", "recipient_households=100"],
    "scenario_recipients_both_json": ["scenario", "--json", *HAND_SETS, "--set", "recipient_households=200",
                                      "--set", "recipient_persons=500"],
    "scenario_outside_json": ["scenario", "--json", "--set", "price_yuan_per_kg=90"],
    "sensitivity_recipient_json": ["sensitivity", "--json", "--output", "per_recipient_person_yuan",
                                   "--set", "price_yuan_per_kg=90"],
    "montecarlo_kernel_json": ["montecarlo", "--draws", "200000", "--seed", "5", "--json", "--set",
                               "recipient_households=100"],
    "montecarlo_force": ["montecarlo", "--draws", "10", "--force"],
    "montecarlo_big_seed": ["montecarlo", "--draws", "10", "--seed", "9223372036854775807", "--json"],
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
    "seed_negative": (["montecarlo", "--draws", "10", "--seed", "-1"], "error: seed=-1: must be an integer between 0 and 9223372036854775807"),
    "montecarlo_bad_set": (["montecarlo", "--draws", "10", "--set", "village_share=2"],
                           "error: village_share=2: must be between 0 and 1"),
    "recipients_zero": (["scenario", "--set", "recipient_households=0"], "error: recipient_households=0: must be > 0"),
    "recipients_above_households": (["scenario", "--json", "--set", "recipient_households=244"],
                                    "error: recipient_households=244: must be <= households (243)"),
    "recipients_default_above_households": (
        ["scenario", "--set", "households=120", "--set", "persons=400"],
        "error: recipient_households=130: must be <= households (120) (the default, poor_households_registered - "
        "households_out_of_poverty_2017; set recipient_households)"),
    "recipient_persons_below_households": (["scenario", "--set", "recipient_persons=129"],
                                           "error: recipient_persons=129: must be >= recipient_households (130)"),
    "recipient_persons_above_persons": (["montecarlo", "--draws", "10", "--set", "recipient_persons=691"],
                                        "error: recipient_persons=691: must be <= persons (690)"),
    "recipient_persons_not_a_number": (["sensitivity", "--set", "recipient_persons=many"],
                                       "error: recipient_persons=many: must be a number"),
    "price_overflow": (["scenario", "--set", "price_yuan_per_kg=1e308"],
                       "error: price_yuan_per_kg=1e+308: out of the computable range: revenue_yuan overflows (inf or nan)"),
    "price_overflow_json": (["scenario", "--json", "--set", "price_yuan_per_kg=1e308", "--set", "households=243"],
                            "error: price_yuan_per_kg=1e+308: out of the computable range: revenue_yuan overflows "
                            "(inf or nan)"),
    "line_underflow": (["sensitivity", "--set", "poverty_line_yuan=1e-320"],
                       "error: poverty_line_yuan=1e-320: out of the computable range: share_of_poverty_line overflows "
                       "(inf or nan)"),
    "montecarlo_overflow": (["montecarlo", "--draws", "1000", "--set", "segments=1e306"],
                            "error: segments=1e+306: out of the computable range: per_person_yuan squared and summed "
                            "over the draws overflows (inf or nan)"),
    "draws_above_maximum": (["montecarlo", "--draws", "1e12"],
                            "error: draws=1e12: above the maximum of 1000000000 (about 30 s on 2 cores for "
                            "1,000,000,000); add --force to run it anyway"),
    "draws_just_above_maximum": (["montecarlo", "--draws", "1000000001", "--json"],
                                 "error: draws=1000000001: above the maximum of 1000000000 (about 30 s on 2 cores for "
                                 "1,000,000,000); add --force to run it anyway"),
    "seed_above_maximum": (["montecarlo", "--draws", "10", "--seed", "9223372036854775808"],
                           "error: seed=9223372036854775808: must be an integer between 0 and 9223372036854775807"),
    "seed_rounded": (["montecarlo", "--draws", "10", "--seed", "1e20"],
                     "error: seed=1e20: must be an integer written in digits (from 2**53 a number with an exponent or "
                     "a point is not exact)"),
    "seed_not_integer": (["montecarlo", "--draws", "10", "--seed", "2.5"],
                         "error: seed=2.5: must be an integer between 0 and 9223372036854775807"),
    # numbers as the CSV files write them: ASCII digits only (float() alone takes these three)
    "fullwidth_digits": (["scenario", "--set", "price_yuan_per_kg=５０"], "error: price_yuan_per_kg=５０: must be a number"),
    "arabic_indic_digits": (["scenario", "--set", "price_yuan_per_kg=٥٠"], "error: price_yuan_per_kg=٥٠: must be a number"),
    "underscore_digits": (["scenario", "--set", "segments=800_000"], "error: segments=800_000: must be a number"),
    "control_character": (["scenario", "--set", "price_yuan_per_kg=5\x01"],
                          "error: price_yuan_per_kg=5\\x01: must be a number"),  # escaped, never sent raw
    "set_twice": (["scenario", "--set", "price_yuan_per_kg=50", "--set", "price_yuan_per_kg=60"],
                  "error: --set 'price_yuan_per_kg=60': price_yuan_per_kg is set twice (give each parameter once)"),
    "no_command": ([], "error: no command given: choose one of validate, scenario, sensitivity, montecarlo, figures, "
                       "tables, site (python -m analysis --help)"),
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
    assert len(out["rows"]) == 32
    swings = [row["swing"] for row in out["rows"]]
    assert swings == sorted(swings, reverse=True)


def test_montecarlo_json_is_reproducible_across_processes(runs):
    assert runs["montecarlo_json"][1] == runs["montecarlo_json_again"][1]
    out = json.loads(runs["montecarlo_json"][1])
    assert (out["draws"], out["seed"]) == (2000, 5)
    assert [row["threshold_share"] for row in out["threshold_probabilities"]] == [0.1, 0.25, 0.5]
    assert {row["output"] for row in out["quantiles"]} >= {"per_person_yuan", "share_of_poverty_line"}


def test_scenario_json_per_recipient_by_hand(runs):
    out = json.loads(runs["scenario_json_hand"][1])
    # 0.5 x 0.6 x 800,000 x (0.05 x 60 - 1.5) = 360,000 over 243 - 113 = 130 households of 130 x 690 / 243 persons
    assert out["per_recipient_household_yuan"] == pytest.approx(360_000 / 130)
    assert out["per_recipient_person_yuan"] == pytest.approx(360_000 / (130 * 690 / 243))
    assert out["recipient_share_of_poverty_line"] == pytest.approx(360_000 / (130 * 690 / 243) / 3000)
    assert out["parameters"]["recipient_households"] == 130
    assert out["parameters"]["recipient_persons"] == pytest.approx(130 * 690 / 243)
    assert list(out["parameters"]) == list(SETTABLE)
    assert out["outside_range"] == [] and out["policy_levers"] == list(POLICY_LEVERS)
    recipients = json.loads(runs["scenario_recipients_json"][1])
    # 100 households set: persons follow the rule, 100 x 690 / 243 = 283.95
    assert recipients["parameters"]["recipient_persons"] == pytest.approx(100 * 690 / 243)
    assert recipients["per_recipient_household_yuan"] == pytest.approx(360_000 / 100)
    assert recipients["per_recipient_person_yuan"] == pytest.approx(360_000 / (100 * 690 / 243))
    both = json.loads(runs["scenario_recipients_both_json"][1])
    assert both["per_recipient_person_yuan"] == pytest.approx(360_000 / 500)
    assert both["per_household_yuan"] == pytest.approx(360_000 / 243)  # the average over everyone is unchanged


def test_scenario_and_sensitivity_flag_values_outside_the_range(runs):
    assert json.loads(runs["scenario_outside_json"][1])["outside_range"] == ["price_yuan_per_kg"]
    out = json.loads(runs["sensitivity_recipient_json"][1])
    assert out["output"] == "per_recipient_person_yuan" and len(out["rows"]) == 32
    price = next(row for row in out["rows"] if row["parameter"] == "price_yuan_per_kg")
    assert price["outside_range"] is True and price["value"] == 90
    assert price["output_base"] > price["output_high"]  # the run's value beyond the high end of the bar
    assert {row["parameter"] for row in out["rows"] if row["is_zero_swing"]} >= {"daily_wage_yuan", "price_cv"}


def test_montecarlo_json_draws_no_policy_lever_and_reports_per_recipient(runs):
    for case in ("montecarlo_json", "montecarlo_kernel_json"):
        out = json.loads(runs[case][1])
        assert out["varied"] == ["yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment"]
        assert not set(out["varied"]) & set(POLICY_LEVERS) and out["policy_levers"] == list(POLICY_LEVERS)
        assert set(out) >= {"draws", "seed", "preset", "overrides", "varied", "exact_quantiles", "quantiles",
                            "threshold_probabilities", "first_order"}
        rows = {row["output"]: row for row in out["quantiles"]}
        assert {"per_recipient_person_yuan", "per_recipient_household_yuan",
                "recipient_share_of_poverty_line"} <= set(rows)
        assert {row["output"] for row in out["first_order"]} == {"per_person_yuan", "per_recipient_person_yuan"}
    kernel = json.loads(runs["montecarlo_kernel_json"][1])
    rows = {row["output"]: row for row in kernel["quantiles"]}
    # 100 recipient households set, persons by the rule: each quantile is the households' pool / 100
    assert kernel["exact_quantiles"] is False
    assert rows["per_recipient_household_yuan"]["q50"] == pytest.approx(rows["households_pool_yuan"]["q50"] / 100)
    assert rows["per_recipient_person_yuan"]["mean"] == pytest.approx(rows["households_pool_yuan"]["mean"] / (100 * 690 / 243))
    assert json.loads(runs["montecarlo_big_seed"][1])["seed"] == 2**63 - 1


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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process *pid* (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc to see the run compute")
def test_montecarlo_stops_on_a_real_sigint_between_chunks():
    process = subprocess.Popen([sys.executable, "-m", "analysis", "montecarlo", "--draws", "1e11", "--force", "--json"],
                               cwd=paths.ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _cpu_seconds(process.pid) < 3.0 and time.monotonic() < deadline:  # past start-up, in the kernel's loop
            assert process.poll() is None
            time.sleep(0.05)
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
        stopped = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, stdout, stderr) == (130, "", "error: interrupted\n")
    assert stopped < 2.0
