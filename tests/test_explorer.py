"""Tests of analysis/explorer.py and site_assets/explorer.js: the configuration comes from data/
and the model, the fragment is self-contained and small, and in a real browser every number the
page shows equals analysis.model.season, the download equals ``scenario --json``, the URL
restores the state and bad input keeps the last valid result.

The browser tests (marked ``slow``) need Debian's /usr/bin/chromium; without it they skip,
unless DASUHE_REQUIRE_BROWSER=1 (CI), where they fail.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import html.parser
import http.server
import io
import json
import math
import os
import random
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest

from analysis import cli, data, explorer, model, paths, style
from analysis.errors import ParameterError
from analysis.parameters import FACT_PARAMETERS, PRESETS, SETTABLE, get_parameters

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REL = 1e-12
RANDOM_SETS = 60
SEED = 20180604


def _csv_rows(name: str) -> dict[str, dict]:
    """A CSV of data/ read with the csv module (not through analysis.data), keyed by its first column."""
    with (paths.DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {row[next(iter(row))]: row for row in rows}


# ---------------------------------------------------------------------------------------------
# explorer_config
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def config_en() -> dict:
    return explorer.explorer_config("en")


@pytest.fixture(scope="module")
def config_zh() -> dict:
    return explorer.explorer_config("zh")


def test_config_lists_the_inputs_by_their_cli_names(config_en):
    names = [entry["name"] for entry in config_en["inputs"]]
    assert names == ["price_yuan_per_kg", "yield_kg_per_segment", "cost_yuan_per_segment", "village_share",
                     "subsidy_fraction", "recipient_households", "recipient_persons", "poverty_line_yuan"]
    assert [n for n in names if n not in explorer.RECIPIENT_PARAMETERS and n not in SETTABLE] == []
    assert config_en["hidden_inputs"] == []


@pytest.mark.parametrize("preset", PRESETS)
def test_config_presets_are_those_of_get_parameters(config_en, preset):
    p = get_parameters(preset)
    for entry in config_en["inputs"]:
        if entry["name"] in SETTABLE:
            assert entry["presets"][preset] == getattr(p, entry["name"]), entry["name"]
    assert config_en["scenario"]["preset_parameters"][preset] == p.as_dict()


def test_config_ranges_labels_and_sources_come_from_the_assumptions_table(config_en, config_zh):
    assumptions, sources = _csv_rows("assumptions.csv"), _csv_rows("assumption_sources.csv")
    checked = 0
    for en, zh in zip(config_en["inputs"], config_zh["inputs"]):
        row = assumptions.get(en["name"])
        if row is None:
            continue
        checked += 1
        assert (en["low"], en["high"]) == (float(row["low"]), float(row["high"]))
        assert (en["label"], zh["label"]) == (row["label_en"], row["label_zh"])
        assert en["unit"] == row["unit"] and en["kind"] == "assumption"
        assert en["source"] == {"id": row["source_id"], "title": sources[row["source_id"]]["title"]}
        assert en["confidence"] == explorer.CONFIDENCE_LABELS[row["confidence"]][0]
        assert zh["confidence"] == explorer.CONFIDENCE_LABELS[row["confidence"]][1]
    assert checked == 5  # price, yield, cost, subsidy, poverty line
    price, row = config_en["inputs"][0], assumptions["price_yuan_per_kg"]
    low, high = float(row["low"]), float(row["high"])  # low and high of assumptions.csv, as the methods page says
    assert price["range_text"] == f"{low:g}–{high:g} yuan per kg"
    assert price["source"]["id"] == row["source_id"]
    assert config_zh["inputs"][0]["range_text"] == f"{low:g}–{high:g}元/千克"


def test_config_village_share_is_the_article_fact(config_en, config_zh):
    share = next(e for e in config_en["inputs"] if e["name"] == "village_share")
    assert share["kind"] == "fact"
    assert share["presets"] == {"low": 0.6, "base": 0.6, "high": 0.6}  # 10个村占60%, paragraph 6
    assert (share["low"], share["high"]) == (0.6, 0.6)
    assert share["label"] == FACT_PARAMETERS["village_share"][1]
    assert share["source"]["id"] == "profit_share_villages"
    assert share["source"]["title"].endswith("(2018-06-04), paragraph 6")
    assert share["range_text"] == "60%"
    zh = next(e for e in config_zh["inputs"] if e["name"] == "village_share")
    assert zh["label"] == FACT_PARAMETERS["village_share"][2] and zh["source"]["title"].endswith("第6段")


def test_config_facts_are_those_of_the_facts_table(config_en):
    facts = _csv_rows("facts.csv")
    for name, fact_id in explorer.FACT_IDS.items():
        assert config_en["facts"][name]["fact_id"] == fact_id
        assert config_en["facts"][name]["value"] == float(facts[fact_id]["value"])
        assert config_en["facts"][name]["value"] == data.fact_value(fact_id)
    assert config_en["facts"]["households_out_of_poverty"]["text"] == \
        "Households out of poverty by the end of 2017: 113 households"


def test_config_recipient_defaults_are_computed_from_the_facts(config_en):
    households = next(e for e in config_en["inputs"] if e["name"] == "recipient_households")
    persons = next(e for e in config_en["inputs"] if e["name"] == "recipient_persons")
    assert households["presets"] == {"low": 130.0, "base": 130.0, "high": 130.0}  # 243 - 113 = 130
    assert (households["low"], households["high"]) == (130.0, 243.0)
    assert persons["presets"]["base"] == 130 * 690 / 243  # recipient households x persons / households
    assert (persons["low"], persons["high"]) == (130 * 690 / 243, 690.0)
    assert households["range_text"] == "130–243 households"


def test_config_outputs_kg_per_jin_and_scenario_keys(config_en, config_zh):
    assert config_en["kg_per_jin"] == model.KG_PER_JIN == 0.5
    keys = list(model.SEASON_OUTPUTS) + [k for k in explorer.RECIPIENT_OUTPUTS if k not in model.SEASON_OUTPUTS]
    assert list(config_en["outputs"]) == keys
    assert config_en["outputs"]["per_recipient_person_yuan"] == {
        "label": "Per recipient person", "unit": "yuan", "unit_label": "yuan"}
    assert config_zh["outputs"]["break_even_price_yuan_per_kg"] == {
        "label": "盈亏平衡价格", "unit": "yuan_per_kg", "unit_label": "元/千克"}
    assert config_en["outputs"]["share_of_poverty_line"]["unit"] == "share"
    assert config_en["outputs"]["recipient_share_of_poverty_line"]["unit"] == "share"
    shown = [k for _, group in config_en["groups"] for k in group] + config_en["inline_outputs"]
    assert sorted(shown) == sorted(keys)  # every output on the full page, once
    assert config_en["scenario"]["outputs"] == list(model.SEASON_OUTPUTS)
    assert config_en["scenario"]["parameters"] == list(SETTABLE)
    table = _csv_rows("assumptions.csv")
    assert config_en["map"] == {  # the assumed low-high box of price and yield, and the figure's margin
        "price": [float(table["price_yuan_per_kg"]["low"]), float(table["price_yuan_per_kg"]["high"])],
        "yield": [float(table["yield_kg_per_segment"]["low"]), float(table["yield_kg_per_segment"]["high"])],
        "margin": 0.1}


def test_config_compact_has_fewer_inputs_and_outputs(config_en):
    compact = explorer.explorer_config("en", compact=True)
    assert [e["name"] for e in compact["inputs"]] == list(explorer.COMPACT_INPUTS)
    assert [e["name"] for e in compact["hidden_inputs"]] == [
        "cost_yuan_per_segment", "village_share", "recipient_persons", "poverty_line_yuan"]
    shown = [k for _, group in compact["groups"] for k in group]
    assert sorted(shown) == sorted(explorer.COMPACT_OUTPUTS)
    assert compact["map"] is None and compact["scenario"] == config_en["scenario"]


def test_config_words_have_the_same_keys_in_both_languages(config_en, config_zh):
    assert config_en["words"].keys() == config_zh["words"].keys()
    assert config_zh["words"]["title"] == "情景探索"


def test_config_reads_the_given_data_folder(data_copy, set_cell):
    set_cell(data_copy, "assumptions.csv", "price_yuan_per_kg", "base", "61")
    config = explorer.explorer_config("en", data_dir=data_copy)
    assert config["inputs"][0]["presets"]["base"] == 61.0
    assert config["scenario"]["preset_parameters"]["base"]["price_yuan_per_kg"] == 61.0


def test_config_rejects_an_unknown_language():
    with pytest.raises(ParameterError, match=r"^lang=fr: choose one of en, zh$"):
        explorer.explorer_config("fr")


# ---------------------------------------------------------------------------------------------
# the fragment
# ---------------------------------------------------------------------------------------------
class _Elements(html.parser.HTMLParser):
    """Start tags with their attributes, and the text of each <script>."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, text):
        if self._script is not None:
            attrs, before = self.scripts[-1]
            self.scripts[-1] = (attrs, before + text)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


URL_ATTRIBUTES = ("src", "href", "action", "srcset", "poster", "data", "formaction", "xlink:href")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("compact", [False, True])
def test_fragment_is_small_self_contained_and_carries_the_contract(lang, compact):
    fragment = explorer.explorer_html(lang, compact=compact)
    assert len(fragment.encode("utf-8")) <= 50 * 1024
    assert fragment == explorer.explorer_html(lang, compact=compact)  # deterministic
    parser = _Elements()
    parser.feed(fragment)
    root_tag, root = parser.tags[0]
    assert root_tag == "div" and "data-explorer" in root and root["lang"] == {"en": "en", "zh": "zh-Hans"}[lang]
    assert root["style"] == (f"--dx-fact:{style.FACT_COLOUR};--dx-assumed:{style.ASSUMED_COLOUR};"
                             f"--dx-loss:{style.VERMILLION};--dx-text:{style.TEXT_COLOUR};")  # the figures' colours
    assert [tag for tag, _ in parser.tags] == ["div", "noscript", "style", "script", "script"]
    (config_attrs, config_text), (js_attrs, js_text) = parser.scripts
    assert config_attrs == {"type": "application/json", "data-explorer-config": None}
    assert json.loads(config_text) == explorer.explorer_config(lang, compact=compact)
    assert js_attrs == {} and "season(" in js_text
    # nothing that the browser would fetch
    assert "http://" not in fragment and "https://" not in fragment
    for _, attrs in parser.tags:
        assert not set(attrs) & set(URL_ATTRIBUTES)
    assert not re.search(r"url\(|@import|(?<![:\w])//[\w.-]+\.[a-z]{2,}", fragment)
    for api in ("fetch(", "XMLHttpRequest", "import(", "sendBeacon", "WebSocket", "EventSource", "new Image"):
        assert api not in js_text, api


def test_fragment_rejects_assets_that_would_end_their_element(tmp_path, monkeypatch):
    bad = tmp_path / "explorer.js"
    bad.write_text('var x = "</script>";\n', encoding="utf-8")
    monkeypatch.setattr(paths, "EXPLORER_JS", bad)
    explorer._assets.cache_clear()
    try:
        with pytest.raises(ParameterError, match=r"^explorer\.js: contains '</script', which would end its inline "
                                                 r"element early$"):
            explorer.explorer_html("en")
    finally:
        explorer._assets.cache_clear()


def test_fragment_over_budget_is_an_error(monkeypatch):
    monkeypatch.setattr(explorer, "MAX_FRAGMENT_BYTES", 1000)
    with pytest.raises(ParameterError, match=r"^explorer fragment \(en, compact=False\): \d+ bytes: must be <= 1000$"):
        explorer.explorer_html("en")


def test_explorer_is_a_raw_html_block_in_markdown_for_the_notebook():
    shown = explorer.explorer("zh", compact=True)
    assert shown._repr_markdown_() == "```{=html}\n" + explorer.explorer_html("zh", compact=True) + "\n```\n"
    assert not hasattr(shown, "_repr_html_")  # no text/html output: Quarto would load require.js from a CDN


# ---------------------------------------------------------------------------------------------
# in a real browser
# ---------------------------------------------------------------------------------------------
def _require_browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: the real-browser test needs Debian's chromium"
        if os.environ.get("DASUHE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (DASUHE_REQUIRE_BROWSER=1)")
        pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102 - keep pytest output clean
        pass


PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>explorer test</title></head>
<body><main>{fragment}</main></body></html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The fragment in a minimal page per language and size, served on 127.0.0.1."""
    _require_browser()
    root = tmp_path_factory.mktemp("explorer")
    for lang in ("en", "zh"):
        for compact in (False, True):
            fragment = explorer.explorer_html(lang, compact=compact)
            (root / f"{lang}-{'compact' if compact else 'full'}.html").write_text(
                PAGE.format(lang=lang, fragment=fragment), encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Page:
    """One explorer page; records every request and every error of the page."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        self.page.goto(url)
        self.page.wait_for_selector("[data-explorer][data-explorer-ready] [data-param]")

    def _route(self, route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.errors.append(f"request to another host: {route.request.url}")
            route.abort()

    def close(self) -> list[str]:
        """Close; the problems seen (errors, and requests other than the test pages themselves)."""
        self.context.close()
        pages = {"/en-full.html", "/en-compact.html", "/zh-full.html", "/zh-compact.html"}
        strays = [url for url in self.requests
                  if not (urlparse(url).hostname == "127.0.0.1" and urlparse(url).path in pages)]
        return self.errors + [f"request besides the page: {url}" for url in strays]

    # --- the contract ---
    def set(self, name: str, text: str, event: str = "input") -> None:
        field = self.page.locator(f'[data-explorer] [data-param="{name}"]')
        if event == "input":
            field.fill(text)  # sets the value and fires `input`
        else:
            field.evaluate("(el, text) => { el.value = text; el.dispatchEvent(new Event('change')); }", text)

    def field(self, name: str) -> str:
        return self.page.locator(f'[data-explorer] [data-param="{name}"]').input_value()

    def outputs(self) -> dict[str, str]:
        pairs = self.page.eval_on_selector_all(
            "[data-explorer] [data-output]", "els => els.map(e => [e.dataset.output, e.dataset.value])")
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    def message(self, name: str) -> str:
        return self.page.locator(f'[data-explorer] [data-field="{name}"] .dx-msg').inner_text()

    def url(self) -> str:
        return self.page.evaluate("location.href")  # Page.url follows replaceState only later

    def text(self) -> str:
        return self.page.locator("[data-explorer]").inner_text()

    def click(self, selector: str) -> None:
        self.page.click(f"[data-explorer] {selector}")

    def download(self) -> dict:
        with self.page.expect_download() as info:
            self.click('[data-action="download"]')
        return json.loads(Path(info.value.path()).read_text(encoding="utf-8"))


@pytest.fixture
def open_page(browser, site):
    opened: list[Page] = []

    def open_(name: str = "en-full.html", query: str = "") -> Page:
        opened.append(Page(browser, site + name + query))
        return opened[-1]

    yield open_
    problems = [problem for page in opened for problem in page.close()]
    assert problems == []


def expected_season(preset: str, values: dict[str, float]) -> dict[str, float]:
    """What the model gives for the preset and the explorer's values."""
    return model.season(get_parameters(preset, **{k: v for k, v in values.items() if k in SETTABLE}))


def assert_outputs_equal(shown: dict[str, str], expected: dict[str, float], context) -> None:
    assert set(shown) <= set(expected), context
    for key, text in shown.items():
        value = expected[key]
        if math.isfinite(value):
            assert text != "", (context, key)
            assert math.isclose(float(text), value, rel_tol=REL, abs_tol=0.0), (context, key, text, value)
        else:
            assert text == "", (context, key, text)  # never "Infinity" or "NaN"


def scenario_json(preset: str, overrides: dict[str, float]) -> dict:
    """What `python -m analysis scenario --json` prints, run in this process through analysis.cli."""
    argv = ["scenario", "--preset", preset, "--json"]
    for name, value in overrides.items():
        argv += ["--set", f"{name}={value!r}"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(argv) == 0
    return json.loads(out.getvalue())


def overrides_of(preset: str, values: dict[str, float]) -> dict[str, float]:
    """The --set assignments for the explorer's values: those that differ from the preset and that
    the command line knows (recipients once the model has them)."""
    base = get_parameters(preset).as_dict()
    out = {k: v for k, v in values.items() if k in SETTABLE and v != base[k]}
    households = values.get("recipient_households", base["recipient_households"])
    if out.get("recipient_persons") == households * base["persons"] / base["households"]:
        del out["recipient_persons"]  # the household-size rule gives it: setting the households is enough
    return out


def _random_text(rng: random.Random, value: float) -> str:
    """A number as a reader might type it: in full, rounded, or in exponent notation."""
    style = rng.randrange(4)
    if style == 0:
        return repr(value)
    if style == 1:
        return f"{value:.4g}"
    if style == 2:
        return f"{value:.6e}"
    return f"{round(value, 3)}"


def random_settings(rng: random.Random, config: dict) -> tuple[str, dict[str, str], str | None]:
    """(preset, {name: text typed}, recipient choice clicked or None) for one random scenario."""
    preset = rng.choice(PRESETS)
    texts: dict[str, str] = {}
    choice = None
    for entry in config["inputs"]:
        name = entry["name"]
        if rng.random() < 0.15 or name == "recipient_persons":
            continue
        if name == "recipient_households":
            kind = rng.randrange(4)
            if kind < 2:
                choice = ("remaining", "all")[kind]
            else:
                texts[name] = _random_text(rng, rng.uniform(1, config["facts"]["households"]["value"]))
            continue
        if entry["rule"] == "share":
            value = rng.uniform(0, 1)
        else:
            span = entry["high"] - entry["low"] or entry["high"]
            value = rng.uniform(max(entry["low"] - span, 0.0), entry["high"] + span)
            if entry["rule"] == "positive":
                value = max(value, 1.0)
        texts[name] = _random_text(rng, value)
    if "recipient_persons" in {e["name"] for e in config["inputs"]} and rng.random() < 0.4:
        texts["recipient_persons"] = _random_text(rng, rng.uniform(243, 690))  # >= any recipient households, <= persons
    return preset, texts, choice


EDGE_CASES = [  # the model's corners: zero yield or price (break-even undefined), a loss, zeros
    ("base", {"yield_kg_per_segment": "0"}),
    ("base", {"price_yuan_per_kg": "0"}),
    ("low", {"price_yuan_per_kg": "30"}),  # below the break-even price: the villages get nothing
    ("high", {"subsidy_fraction": "0", "village_share": "0"}),
    ("base", {"cost_yuan_per_segment": "0", "recipient_households": "243", "recipient_persons": "690"}),
    ("base", {"yield_kg_per_segment": "0", "cost_yuan_per_segment": "0"}),  # 0/0
]


def _apply(page: Page, preset: str, texts: dict[str, str], choice: str | None, event: str) -> dict[str, float]:
    page.click(f'[data-preset="{preset}"]')
    if choice:
        page.click(f'[data-recipients="{choice}"]')
    for name, text in texts.items():
        page.set(name, text, event)
    values = {name: float(text) for name, text in texts.items()}
    if choice:
        households = data.fact_value("poor_households_registered")
        values["recipient_households"] = households if choice == "all" else \
            households - data.fact_value(explorer.EXITED_FACT)
    return values


@pytest.mark.slow
def test_random_scenarios_equal_the_model_and_the_command_line(open_page, config_en):
    page = open_page()
    rng = random.Random(SEED)
    cases = EDGE_CASES + [None] * RANDOM_SETS
    for number, case in enumerate(cases):
        preset, texts, choice = (case[0], case[1], None) if case else random_settings(rng, config_en)
        event = "input" if number % 2 == 0 else "change"
        values = _apply(page, preset, texts, choice, event)
        context = (number, preset, texts, choice, event)
        shown = page.outputs()
        assert set(shown) == set(config_en["outputs"]), context
        assert_outputs_equal(shown, expected_season(preset, values), context)
        assert page.download() == scenario_json(preset, overrides_of(preset, values)), context
    assert "NaN" not in page.text() and "Infinity" not in page.text()


@pytest.mark.slow
def test_download_equals_the_real_command_line(open_page):
    page = open_page()
    values = _apply(page, "high", {"price_yuan_per_kg": "45.5", "subsidy_fraction": "0.35"}, None, "input")
    overrides = overrides_of("high", values)
    assert overrides == {"price_yuan_per_kg": 45.5, "subsidy_fraction": 0.35}
    argv = [sys.executable, "-m", "analysis", "scenario", "--preset", "high", "--json",
            "--set", "price_yuan_per_kg=45.5", "--set", "subsidy_fraction=0.35"]
    printed = subprocess.run(argv, cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout
    downloaded = page.download()
    assert downloaded == json.loads(printed)
    # by hand, high preset (yield 0.065, cost 2.8): 800000 x 0.065 x 45.5 = 2,366,000 revenue;
    # cost 800000 x 2.8 = 2,240,000; profit 126,000
    assert downloaded["profit_yuan"] == pytest.approx(126_000, rel=REL)
    assert downloaded["households_pool_yuan"] == pytest.approx(0.35 * 0.6 * 126_000, rel=REL)  # 26,460


@pytest.mark.slow
def test_the_url_holds_the_state_and_restores_it(open_page):
    page = open_page()
    _apply(page, "high", {"price_yuan_per_kg": "45", "recipient_households": "200", "recipient_persons": "500"},
           None, "input")
    url = page.url()
    query = urlparse(url).query
    assert query == "preset=high&price_yuan_per_kg=45&recipient_households=200&recipient_persons=500"
    shown = page.outputs()
    restored = open_page(query="?" + query)
    assert restored.field("price_yuan_per_kg") == "45" and restored.field("recipient_persons") == "500"
    assert restored.page.is_checked('[data-explorer] [data-recipients="number"]')
    assert restored.page.get_attribute('[data-explorer] [data-preset="high"]', "aria-pressed") == "true"
    assert restored.outputs() == shown
    values = {"price_yuan_per_kg": 45.0, "recipient_households": 200.0, "recipient_persons": 500.0}
    assert_outputs_equal(shown, expected_season("high", values), "restored")
    # 200 recipient households, recipient_persons following the household size: 200 x 690 / 243
    other = open_page(query="?" + urlencode({"recipient_households": "243"}))
    assert other.page.is_checked('[data-explorer] [data-recipients="all"]')
    assert other.field("recipient_persons") == "690"
    # reset clears the state from the URL
    restored.click('[data-action="reset"]')
    assert urlparse(restored.url()).query == ""
    assert_outputs_equal(restored.outputs(), expected_season("base", {}), "reset")


BAD_INPUTS = [  # (parameter, text, the message shown under the field)
    ("price_yuan_per_kg", "", "Farm-gate price of dried wood-ear: enter a number"),
    ("price_yuan_per_kg", "abc", "Farm-gate price of dried wood-ear: must be a number"),
    ("price_yuan_per_kg", "1,5", "Farm-gate price of dried wood-ear: must be a number"),
    ("price_yuan_per_kg", "-5", "Farm-gate price of dried wood-ear: must be ≥ 0"),
    ("price_yuan_per_kg", "1e999", "Farm-gate price of dried wood-ear: must be a finite number"),
    ("yield_kg_per_segment", "Infinity", "Dry yield per segment: must be a number"),
    ("cost_yuan_per_segment", "-0.01", "Production cost per segment: must be ≥ 0"),
    ("village_share", "1.5", "Villages' share of the profit: must be between 0 and 1"),
    ("subsidy_fraction", "-0.1", "Share of village profit paid to poor households: must be between 0 and 1"),
    ("subsidy_fraction", "1.01", "Share of village profit paid to poor households: must be between 0 and 1"),
    ("poverty_line_yuan", "0", "Rural poverty line: must be > 0"),
    ("recipient_households", "300", "Recipient households: must be ≤ the registered households (243)"),
    ("recipient_households", "0", "Recipient households: must be > 0"),
    ("recipient_persons", "100", "Recipient persons: must be ≥ the recipient households (130)"),
    ("recipient_persons", "700", "Recipient persons: must be ≤ the registered poor persons (690)"),
    ("recipient_persons", "-1", "Recipient persons: must be > 0"),
]


@pytest.mark.slow
def test_bad_input_names_the_rule_and_keeps_the_last_valid_result(open_page, config_en):
    page = open_page()
    page.set("price_yuan_per_kg", "55")
    valid = page.outputs()
    url = page.url()
    for name, text, message in BAD_INPUTS:
        before = page.field(name)
        page.set(name, text)
        assert page.message(name) == message, (name, text)
        assert page.page.get_attribute(f'[data-explorer] [data-param="{name}"]', "aria-invalid") == "true"
        assert page.page.inner_text("[data-explorer] [data-status]") == config_en["words"]["status_invalid"]
        assert page.outputs() == valid, (name, text)
        assert page.url() == url  # the URL keeps the last valid state
        assert "NaN" not in page.text() and "Infinity" not in page.text()
        assert page.download() == scenario_json("base", {"price_yuan_per_kg": 55.0})  # what is on screen
        if name == "recipient_persons":  # back to the rule (the field shows its value rounded)
            page.click('[data-action="follow"]')
        else:
            page.set(name, before)
        assert page.message(name) == "" and page.outputs() == valid, (name, text)
    # a valid value outside the assumed range is allowed and flagged
    below = float(_csv_rows("assumptions.csv")["price_yuan_per_kg"]["low"]) - 5  # under the assumed low
    page.set("price_yuan_per_kg", f"{below:g}")
    assert page.page.is_visible('[data-explorer] [data-field="price_yuan_per_kg"] .dx-flag')
    assert not page.page.is_visible('[data-explorer] [data-field="yield_kg_per_segment"] .dx-flag')
    assert_outputs_equal(page.outputs(), expected_season("base", {"price_yuan_per_kg": below}), "outside")


@pytest.mark.slow
def test_bad_value_in_the_url_shows_its_message_over_the_default_result(open_page):
    page = open_page(query="?price_yuan_per_kg=-3")
    assert page.message("price_yuan_per_kg") == "Farm-gate price of dried wood-ear: must be ≥ 0"
    assert_outputs_equal(page.outputs(), expected_season("base", {}), "bad url")


@pytest.mark.slow
def test_chinese_and_compact_pages(open_page):
    zh = open_page("zh-full.html")
    assert zh.page.get_attribute("[data-explorer]", "lang") == "zh-Hans"
    assert "情景探索" in zh.text() and "干木耳收购价" in zh.text()
    values = _apply(zh, "low", {"price_yuan_per_kg": "52.5", "recipient_households": "100"}, None, "input")
    assert_outputs_equal(zh.outputs(), expected_season("low", values), "zh")
    zh.set("village_share", "2")
    assert zh.message("village_share") == "十个村的利润分成：必须介于0和1之间"
    _apply(zh, "base", {}, None, "input")
    shown = {key: zh.page.text_content(f'[data-explorer] dd[data-output="{key}"]').strip()
             for key in ("revenue_yuan", "profit_yuan", "per_recipient_household_yuan")}
    # in 万元 from 10,000 yuan up, as the prose writes them: revenue 800,000 × 0.045 × 56 = 2,016,000 =
    # 201.6万元; profit 2,016,000 − 800,000 × 2.0 = 416,000 = 41.6万元; a household's 960 yuan stays in 元
    assert shown == {"revenue_yuan": "201.6万元", "profit_yuan": "41.6万元", "per_recipient_household_yuan": "960元"}
    compact_config = explorer.explorer_config("en", compact=True)
    compact = open_page("en-compact.html")
    fields = compact.page.eval_on_selector_all("[data-explorer] [data-param]", "els => els.map(e => e.dataset.param)")
    assert fields == list(explorer.COMPACT_INPUTS)
    rng = random.Random(SEED + 1)
    for number in range(8):
        preset, texts, choice = random_settings(rng, compact_config)
        values = _apply(compact, preset, texts, choice, "input")
        shown = compact.outputs()
        assert set(shown) == set(explorer.COMPACT_OUTPUTS) | {"per_recipient_person_yuan", "price_yuan_per_jin"}
        assert_outputs_equal(shown, expected_season(preset, values), (number, texts))
        assert compact.download() == scenario_json(preset, overrides_of(preset, values))


@pytest.mark.slow
def test_keyboard_and_labels(open_page):
    page = open_page()
    ids = page.page.eval_on_selector_all(
        "[data-explorer] [data-param]",
        "els => els.map(e => [e.id, !!document.querySelector('label[for=\"' + e.id + '\"]')])")
    assert ids and all(labelled for _, labelled in ids)
    page.page.focus('[data-explorer] [data-param="subsidy_fraction"]')
    page.page.keyboard.press("Control+A")
    page.page.keyboard.type("0.4")
    assert_outputs_equal(page.outputs(), expected_season("base", {"subsidy_fraction": 0.4}), "keyboard")
    page.page.keyboard.press("Tab")  # on to the slider beside it, which the arrow keys move
    page.page.keyboard.press("ArrowRight")
    assert page.field("subsidy_fraction") == "0.41"
    page.page.focus('[data-explorer] [data-preset="low"]')
    page.page.keyboard.press("Enter")
    assert page.page.get_attribute('[data-explorer] [data-preset="low"]', "aria-pressed") == "true"
    assert_outputs_equal(page.outputs(), expected_season("low", {}), "low preset by keyboard")
