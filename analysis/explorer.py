"""The scenario explorer: an offline, plain-JavaScript page element where readers change the
assumptions and see one season of the contract, with the numbers of :mod:`analysis.model`.

Python writes everything the explorer knows (parameters, labels, ranges, sources, facts, the
output keys and the words of the interface) from ``data/`` and the model at build time; the
JavaScript (``site_assets/explorer.js``) only reads that configuration, mirrors
:func:`analysis.model.season_arrays` and draws. A notebook cell shows it:

>>> from analysis import explorer                    # doctest: +SKIP
>>> explorer.explorer("en")                          # doctest: +SKIP

The page contract (kept stable for tests and independent checks):

- the root element carries ``data-explorer``;
- each parameter has a text field ``data-param="<name of scenario --set>"``, read on ``input``
  and ``change``;
- each output carries ``data-output="<key of scenario --json>"`` and its unrounded value in
  ``data-value`` (empty where the value is not finite, as ``null`` in the JSON);
- "Download scenario" saves the object ``python -m analysis scenario --json`` prints for the
  same preset and overrides (overrides = the fields whose value differs from the preset).

Recipients (``recipient_households``, ``recipient_persons`` and the three per-recipient
outputs) follow the definitions of issue 10; they enter the downloaded JSON once the model
lists them in :data:`analysis.model.SEASON_OUTPUTS` and :data:`analysis.parameters.SETTABLE`.
"""
from __future__ import annotations

import functools
import html
import json
import math
import re
from pathlib import Path

from analysis import data, model, paths, report, scenarios, style
from analysis.figures import break_even_map
from analysis.errors import ParameterError
from analysis.parameters import (
    ASSUMPTION_NAMES, FACT_PARAMETERS, POLICY_LEVERS, POSITIVE, PRESETS, SETTABLE, SHARES, assumption_table,
    parameter_table, preset_values,
)

MAX_FRAGMENT_BYTES = 50 * 1024  # the budget for the page weight the explorer adds
DEFAULT_PRESET = "base"
INLINE_BREAKER = re.compile(r"</(script|style)|<!--", re.IGNORECASE)  # what ends inline <script>/<style> early
SLIDER_SPAN_RANGES = 1.0  # a slider reaches one low-high range beyond each end (shares: 0 to 1)
SLIDER_STEPS = 100  # a slider's step is the power of ten nearest below (slider span / SLIDER_STEPS)
EXITED_FACT = "households_out_of_poverty_2017"
EXITED_LABELS = ("Households out of poverty by the end of 2017", "2017年底脱贫的贫困户")
FACT_IDS = {  # facts the explorer uses, by the name the explorer gives them
    "segments": FACT_PARAMETERS["segments"][0],
    "households": FACT_PARAMETERS["households"][0],
    "persons": FACT_PARAMETERS["persons"][0],
    "village_share": FACT_PARAMETERS["village_share"][0],
    "households_out_of_poverty": EXITED_FACT,
}

# The explorer's inputs, in page order; compact = the front page's smaller version.
INPUTS = ("price_yuan_per_kg", "yield_kg_per_segment", "cost_yuan_per_segment", "village_share",
          "subsidy_fraction", "recipient_households", "recipient_persons", "poverty_line_yuan")
COMPACT_INPUTS = ("price_yuan_per_kg", "yield_kg_per_segment", "subsidy_fraction", "recipient_households")

# Outputs of issue 10 the model does not have yet; the explorer computes them the same way.
RECIPIENT_OUTPUTS = ("per_recipient_household_yuan", "per_recipient_person_yuan", "recipient_share_of_poverty_line")
RECIPIENT_PARAMETERS = ("recipient_households", "recipient_persons")
# Output groups of the page (each key once); compact shows COMPACT_OUTPUTS.
OUTPUT_GROUPS = (
    ("season", ("revenue_yuan", "cost_yuan", "profit_yuan", "profit_yuan_per_segment")),
    ("split", ("enterprise_yuan", "village_pool_yuan", "households_pool_yuan", "welfare_pool_yuan")),
    ("recipients", RECIPIENT_OUTPUTS),
    ("registered", ("per_household_yuan", "per_person_yuan", "share_of_poverty_line")),
    ("break_even", ("break_even_price_yuan_per_kg", "break_even_price_yuan_per_jin",
                    "break_even_yield_kg_per_segment")),
)
INLINE_OUTPUTS = ("price_yuan_per_jin",)  # shown beside an input, not in a group
COMPACT_OUTPUTS = ("per_recipient_person_yuan", "recipient_share_of_poverty_line", "per_recipient_household_yuan",
                   "per_person_yuan", "households_pool_yuan", "profit_yuan", "break_even_price_yuan_per_kg")

OUTPUT_LABELS = {
    "revenue_yuan": ("Revenue", "收入"),
    "cost_yuan": ("Cost (advanced by the enterprise)", "成本（企业垫付）"),
    "profit_yuan": ("Profit", "利润"),
    "village_pool_yuan": ("Villages' share of the profit", "十个村所得利润"),
    "enterprise_yuan": ("Enterprise's share of the profit", "企业所得利润"),
    "households_pool_yuan": ("Households' pool (subsidies)", "贫困户补助总额"),
    "welfare_pool_yuan": ("Public welfare (rest of the villages' share)", "村公益事业（村所得其余部分）"),
    "per_household_yuan": ("Per registered household (average)", "建档立卡贫困户户均"),
    "per_person_yuan": ("Per registered person (average)", "建档立卡贫困人口人均"),
    "share_of_poverty_line": ("Per registered person, share of the poverty line", "人均占贫困线比例"),
    "break_even_price_yuan_per_kg": ("Break-even price", "盈亏平衡价格"),
    "break_even_price_yuan_per_jin": ("Break-even price per jin", "盈亏平衡价格（每斤）"),
    "break_even_yield_kg_per_segment": ("Break-even yield at this price", "该价格下的盈亏平衡产量"),
    "price_yuan_per_jin": ("Price per jin", "每斤价格"),
    "profit_yuan_per_segment": ("Profit per segment", "每段利润"),
    "per_recipient_household_yuan": ("Per recipient household", "每户受助贫困户"),
    "per_recipient_person_yuan": ("Per recipient person", "受助贫困人口人均"),
    "recipient_share_of_poverty_line": ("Per recipient person, share of the poverty line", "受助人口人均占贫困线比例"),
}
RECIPIENT_OUTPUT_UNITS = {"recipient_share_of_poverty_line": "share"}
# The grades of data/schemas (assumptions.json, assumption_sources.json), as the page shows them.
CONFIDENCE_LABELS = {
    "high": ("high", "高"), "medium_high": ("medium to high", "中高"), "medium": ("medium", "中"),
    "medium_low": ("medium to low", "中低"), "low": ("low", "低"),
    "judgement": ("judgement (no public source)", "判断（无公开来源）"),
}

# Words of the interface; {name} placeholders are filled by the JavaScript.
WORDS = {
    "en": {
        "title": "Scenario explorer",
        "intro": "Change an assumption and the results follow, computed in your browser with the formulas of the "
                 "report's model (one season of the segments managed for poor households). Nothing leaves this page.",
        "preset": "Preset", "low": "Low", "base": "Base", "high": "High",
        "preset_note": "the low, base or high value of every assumption",
        "reset": "Reset", "download": "Download scenario (JSON)",
        "inputs": "Assumptions", "outputs": "Results",
        "range": "Assumed range", "article": "Article's value", "rule_range": "Between the two recipient rules",
        "outside": "outside the assumed range", "differs": "differs from the article's value",
        "source": "Source", "confidence": "confidence",
        "per_jin": "= {value}",
        "recipients_legend": "Who receives the households' pool",
        "recipients_remaining": "Not yet out of poverty ({n})",
        "recipients_all": "All registered households ({n})",
        "recipients_number": "A number",
        "persons_auto": "follows the household size: recipient households × {persons} ÷ {households}",
        "persons_pinned": "set by you",
        "persons_follow": "Follow the household size",
        "slider": "{label}, slider",
        "status_invalid": "Correct the marked input: the results below are those of the last valid scenario.",
        "not_defined": "not defined",
        "not_defined_title": "division by zero: not defined",
        "rule_empty": "enter a number",
        "rule_number": "must be a number",
        "rule_finite": "must be a finite number",
        "rule_nonnegative": "must be ≥ 0",
        "rule_positive": "must be > 0",
        "rule_share": "must be between 0 and 1",
        "rule_recipients_max": "must be ≤ the registered households ({n})",
        "rule_persons_min": "must be ≥ the recipient households ({n})",
        "rule_persons_max": "must be ≤ the registered poor persons ({n})",
        "group_season": "One season", "group_split": "Split of the profit",
        "group_recipients": "Per recipient", "group_registered": "Averaged over all registered households",
        "group_break_even": "Break-even",
        "headline": "Per recipient person in one season",
        "headline_share": "{share} of the poverty line",
        "chart_title": "Dividend per person in one season, against the poverty line",
        "chart_recipient": "Per recipient person", "chart_registered": "Per registered person",
        "chart_line": "Poverty line {value}",
        "map_title": "Break-even map: price × dry yield (cost {cost})",
        "map_x": "Price (yuan per kg)", "map_y": "Dry yield (kg per segment)",
        "map_loss": "loss: the villages receive nothing", "map_profit": "profit",
        "map_range": "assumed low–high", "map_line": "break-even", "map_here": "this scenario",
        "facts": "Facts of the article used",
        "kg_per_jin": "1 jin = {kg} kg",
        "noscript": "The scenario explorer needs JavaScript.",
        "plain": "<the scenario explorer: open the page on the website>",
    },
    "zh": {
        "title": "情景探索",
        "intro": "修改任一假设，结果随即更新：在您的浏览器中按本报告模型的公式计算"
                 "（为贫困户代理经营的菌段一季）。数据不离开本页。",
        "preset": "预设", "low": "低", "base": "基准", "high": "高",
        "preset_note": "所有假设同取低值、基准值或高值",
        "reset": "重置", "download": "下载情景（JSON）",
        "inputs": "假设", "outputs": "结果",
        "range": "假设范围", "article": "原文数值", "rule_range": "介于两种受助规则之间",
        "outside": "超出假设范围", "differs": "与原文数值不同",
        "source": "来源", "confidence": "可信度",
        "per_jin": "= {value}",
        "recipients_legend": "贫困户补助发给谁",
        "recipients_remaining": "尚未脱贫的贫困户（{n}）",
        "recipients_all": "全部建档立卡贫困户（{n}）",
        "recipients_number": "自定户数",
        "persons_auto": "按户均人口：受助户数 × {persons} ÷ {households}",
        "persons_pinned": "由您设定",
        "persons_follow": "按户均人口计算",
        "slider": "{label}（滑块）",
        "status_invalid": "请更正标出的输入：下方结果为上一个有效情景的结果。",
        "not_defined": "无定义",
        "not_defined_title": "除数为零：无定义",
        "rule_empty": "请输入数字",
        "rule_number": "必须是数字",
        "rule_finite": "必须是有限数",
        "rule_nonnegative": "必须 ≥ 0",
        "rule_positive": "必须 > 0",
        "rule_share": "必须介于0和1之间",
        "rule_recipients_max": "必须 ≤ 建档立卡贫困户数（{n}）",
        "rule_persons_min": "必须 ≥ 受助户数（{n}）",
        "rule_persons_max": "必须 ≤ 建档立卡贫困人口数（{n}）",
        "group_season": "一季", "group_split": "利润分配",
        "group_recipients": "每名受助者", "group_registered": "全部建档立卡贫困户平均",
        "group_break_even": "盈亏平衡",
        "headline": "一季受助贫困人口人均",
        "headline_share": "占贫困线{share}",
        "chart_title": "一季人均分红与贫困线",
        "chart_recipient": "受助人口人均", "chart_registered": "建档立卡人口人均",
        "chart_line": "贫困线{value}",
        "map_title": "盈亏平衡图：价格 × 干耳产量（成本{cost}）",
        "map_x": "价格（元/千克）", "map_y": "干耳产量（千克/段）",
        "map_loss": "亏损：各村分文不得", "map_profit": "盈利",
        "map_range": "假设范围", "map_line": "盈亏平衡", "map_here": "当前情景",
        "facts": "所用原文事实",
        "kg_per_jin": "1斤 = {kg}千克",
        "noscript": "情景探索需要启用JavaScript。",
        "plain": "<情景探索：请在网站上打开本页>",
    },
}

# Labels of the recipient parameters (not in data/ until the model has them).
RECIPIENT_LABELS = {
    "recipient_households": ("Recipient households", "受助贫困户数"),
    "recipient_persons": ("Recipient persons", "受助贫困人口"),
}
LANG_TAGS = {"en": "en", "zh": "zh-Hans"}
# The figures' colours (analysis.style), as CSS custom properties of the root: --dx-fact, ...
COLOURS = {"fact": style.FACT_COLOUR, "assumed": style.ASSUMED_COLOUR, "loss": style.VERMILLION,
           "text": style.TEXT_COLOUR}


def _check_lang(lang: str) -> str:
    if lang not in WORDS:
        raise ParameterError(f"lang={lang}: choose one of {', '.join(WORDS)}")
    return lang


def _rule(name: str) -> str:
    """The range rule of a parameter, as analysis.parameters checks it."""
    if name in SHARES:
        return "share"
    if name in POSITIVE:
        return "positive"
    return "nonnegative"


def _slider(low: float, high: float, rule: str) -> dict:
    """Slider bounds and step: one low-high range beyond each end (never below 0), shares 0 to 1."""
    if rule == "share":
        lo, hi = 0.0, 1.0
    else:
        span = (high - low) * SLIDER_SPAN_RANGES if high > low else high
        lo, hi = max(low - span, 0.0), high + span
    digits = -math.floor(math.log10((hi - lo) / SLIDER_STEPS))
    return {"min": round(lo, digits), "max": round(hi, digits), "step": 10.0 ** -digits}


def _map_axes(table) -> dict:
    """What the break-even map needs to span its axes as figures.break_even_map does: the
    assumed low-high of price and yield and the margin added beyond them and the break-even line."""
    return {"price": [float(table.at["price_yuan_per_kg", c]) for c in ("low", "high")],
            "yield": [float(table.at["yield_kg_per_segment", c]) for c in ("low", "high")],
            "margin": break_even_map.MAP_MARGIN}


def _facts(lang: str, data_dir) -> dict:
    """The facts the explorer uses: value, unit, fact_id, paragraph, label and a line of text each."""
    facts = {}
    for name, fact_id in FACT_IDS.items():
        found = data.fact(fact_id, data_dir)
        labels = FACT_PARAMETERS[name][1:] if name in FACT_PARAMETERS else EXITED_LABELS
        label = labels[0 if lang == "en" else 1]
        quantity = report.format_quantity(found.value, found.unit, found.qualifier, lang=lang)
        facts[name] = {"fact_id": fact_id, "value": float(found.value), "unit": found.unit,
                       "paragraph": found.source_paragraph, "label": label,
                       "text": f"{label}: {quantity}" if lang == "en" else f"{label}：{quantity}"}
    return facts


def _article_source(lang: str, paragraph: int, data_dir) -> str:
    """The article and a paragraph of it, as a source line: ``共产党员网, <title> (2018-06-04), paragraph 6``;
    in Chinese ``共产党员网《<title>》（2018-06-04），第6段``."""
    row = data.load_table("source", data_dir).iloc[0]
    published = row["date_published"].date().isoformat()
    if lang == "zh":
        return f"{row['publisher_zh']}《{row['title_zh']}》（{published}），第{paragraph}段"
    return f"{row['publisher_zh']}, {row['title_zh']} ({published}), paragraph {paragraph}"


def _recipient_inputs(lang: str, facts: dict, data_dir) -> list[dict]:
    """recipient_households and recipient_persons (issue 10): defaults computed from the facts."""
    households, persons = facts["households"]["value"], facts["persons"]["value"]
    remaining = households - facts["households_out_of_poverty"]["value"]
    persons_at = {n: n * persons / households for n in (remaining, households)}
    title = _article_source(lang, facts["households"]["paragraph"], data_dir)
    source = {"id": f"{facts['households']['fact_id']}, {facts['households_out_of_poverty']['fact_id']}",
              "title": title}
    confidence = "computed from the article's facts" if lang == "en" else "由原文事实计算"
    out = []
    for name, default, low, high, unit in (
            ("recipient_households", remaining, remaining, households, "households"),
            ("recipient_persons", persons_at[remaining], persons_at[remaining], persons_at[households], "persons")):
        out.append({
            "name": name, "label": RECIPIENT_LABELS[name][0 if lang == "en" else 1], "unit": unit,
            "unit_label": report.format_unit(unit, lang), "kind": "recipients",
            "presets": {preset: default for preset in PRESETS}, "low": low, "high": high,
            "range_label": WORDS[lang]["rule_range"],
            "range_text": report.format_range(low, high, unit, lang),
            "rule": name, "source": source, "confidence": confidence,
            "slider": {"min": 1.0, "max": households, "step": 1.0} if name == "recipient_households" else None,
        })
    return out


def _parameter_inputs(lang: str, facts: dict, data_dir) -> dict[str, dict]:
    """Each explorer input that is a model parameter: label, unit, presets, range, source, rule."""
    table = assumption_table(data_dir)
    sources = data.load_table("assumption_sources", data_dir).set_index("source_id")
    values = {preset: preset_values(preset, data_dir) for preset in PRESETS}
    out = {}
    for name in INPUTS:
        if name in RECIPIENT_PARAMETERS:
            continue
        rule = _rule(name)
        presets = {preset: values[preset][name] for preset in PRESETS}
        if name in ASSUMPTION_NAMES:
            row = table.loc[name]
            unit, label = row["unit"], row[f"label_{lang}"]
            low, high = float(row["low"]), float(row["high"])
            title = sources.at[row["source_id"], "title" if lang == "en" else "title_zh"]
            source = {"id": row["source_id"], "title": title}
            confidence = CONFIDENCE_LABELS[row["confidence"]][0 if lang == "en" else 1]
            kind, range_label = "assumption", WORDS[lang]["range"]
        else:
            found = facts[name]
            unit, label = found["unit"], FACT_PARAMETERS[name][1 if lang == "en" else 2]
            low = high = found["value"]
            source = {"id": found["fact_id"], "title": _article_source(lang, found["paragraph"], data_dir)}
            confidence = report.explain_qualifier(data.fact(found["fact_id"], data_dir).qualifier, lang)
            kind, range_label = "fact", WORDS[lang]["article"]
        range_text = (report.format_range(low, high, unit, lang) if high > low
                      else report.format_quantity(low, unit, lang=lang))
        out[name] = {
            "name": name, "label": label, "unit": unit,
            "unit_label": "" if unit == "share" else report.format_unit(unit, lang),
            "kind": kind, "presets": presets, "low": low, "high": high,
            "range_label": range_label, "range_text": range_text, "rule": rule,
            "source": source, "confidence": confidence, "slider": _slider(low, high, rule),
        }
    return out


def _outputs(lang: str) -> dict[str, dict]:
    keys = list(model.SEASON_OUTPUTS) + [k for k in RECIPIENT_OUTPUTS if k not in model.SEASON_OUTPUTS]
    missing = [k for k in keys if k not in OUTPUT_LABELS]
    if missing:
        raise ParameterError(f"output={missing[0]}: the explorer has no label for it (add it to OUTPUT_LABELS)")
    out = {}
    for key in keys:
        unit = RECIPIENT_OUTPUT_UNITS.get(key) or scenarios.OUTPUT_UNITS.get(key, "yuan").replace("/", "_per_")
        out[key] = {"label": OUTPUT_LABELS[key][0 if lang == "en" else 1], "unit": unit,
                    "unit_label": "" if unit == "share" else report.format_unit(unit, lang)}
    return out


def explorer_config(lang: str = "en", data_dir: Path | str | None = None, compact: bool = False) -> dict:
    """Everything the explorer needs, from ``data/`` and the model (the JavaScript types no number).

    Keys: ``lang``, ``compact``, ``presets`` (preset names), ``default_preset``, ``inputs`` (one
    dict per input in page order: name = the ``--set`` name, label, unit, unit_label, kind
    ('assumption', 'fact' or 'recipients'), presets {preset: value}, low, high, range_label,
    range_text, rule, source {id, title}, confidence, slider), ``facts`` (segments, households,
    persons, village_share, households_out_of_poverty: value, unit, fact_id, label, text),
    ``hidden_inputs`` (inputs the compact page leaves at their preset), ``kg_per_jin``, ``wan``
    (threshold and {unit: word} of the amounts counted in 万: Chinese only),
    ``outputs`` {key: {label, unit, unit_label}}, ``groups`` [[group, [keys]]],
    ``inline_outputs``, ``map`` (price and yield ranges and the margin of the break-even map; None
    when compact), ``scenario`` (what ``scenario --json`` holds: ``outputs`` = model.SEASON_OUTPUTS,
    ``parameters`` = SETTABLE, ``preset_parameters`` {preset: {name: value}}), ``words``.

    Raises ParameterError for a language other than 'en' or 'zh'.
    """
    _check_lang(lang)
    facts = _facts(lang, data_dir)
    by_name = _parameter_inputs(lang, facts, data_dir)
    by_name.update({entry["name"]: entry for entry in _recipient_inputs(lang, facts, data_dir)})
    shown = COMPACT_INPUTS if compact else INPUTS
    outputs = _outputs(lang)
    groups = [[group, [k for k in keys if not compact or k in COMPACT_OUTPUTS]] for group, keys in OUTPUT_GROUPS]
    preset_parameters = {preset: preset_values(preset, data_dir) for preset in PRESETS}
    return {
        "lang": lang,
        "compact": bool(compact),
        "presets": list(PRESETS),
        "default_preset": DEFAULT_PRESET,
        "inputs": [by_name[name] for name in shown],
        # inputs the compact page does not show still enter the model at their preset value
        "hidden_inputs": [by_name[name] for name in INPUTS if name not in shown],
        "facts": facts,
        "kg_per_jin": model.KG_PER_JIN,
        # amounts the Chinese page counts in 万 (report.format_quantity: 201.6万元), from this size up
        "wan": {"threshold": report.TEN_THOUSAND, "units": dict(report.WAN_UNITS_ZH) if lang == "zh" else {}},
        "outputs": outputs,
        "groups": [[g, keys] for g, keys in groups if keys],
        "inline_outputs": list(INLINE_OUTPUTS),
        "map": None if compact else _map_axes(assumption_table(data_dir)),
        "scenario": {"outputs": list(model.SEASON_OUTPUTS), "parameters": list(SETTABLE),
                     "preset_parameters": preset_parameters,
                     # what `scenario --json` flags as outside_range (parameters.outside_range): a
                     # value outside the low-high of the parameter table; computed ones never are
                     "ranges": {row.name: [float(row.low), float(row.high)] for row in
                                parameter_table().itertuples() if row.kind != "computed"},
                     "policy_levers": list(POLICY_LEVERS)},
        "words": WORDS[lang],
    }


@functools.cache
def _assets() -> tuple[str, str]:
    """The explorer's CSS and its JavaScript minified by rjsmin (comments and spaces out: a
    third of the bytes), each checked for text that would end its inline element."""
    import rjsmin

    css = paths.EXPLORER_CSS.read_text(encoding="utf-8")
    js = rjsmin.jsmin(paths.EXPLORER_JS.read_text(encoding="utf-8"))
    for path, text in ((paths.EXPLORER_CSS, css), (paths.EXPLORER_JS, js)):
        found = INLINE_BREAKER.search(text)
        if found:
            raise ParameterError(f"{path.name}: contains {found.group(0)!r}, which would end its inline element early")
    return css, js


def _script_json(obj) -> str:
    """JSON safe inside a <script> element (no '<', '>' or '&' left to end it early)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def explorer_html(lang: str = "en", compact: bool = False, data_dir: Path | str | None = None) -> str:
    """The explorer as one self-contained HTML fragment: root ``[data-explorer]``, the
    configuration as ``<script type="application/json">``, the CSS and JavaScript inlined.

    No external request; at most MAX_FRAGMENT_BYTES (UTF-8), else ParameterError.
    """
    config = explorer_config(lang, data_dir, compact=compact)
    css, js = _assets()
    colours = "".join(f"--dx-{k}:{v};" for k, v in COLOURS.items())
    fragment = (
        f'<div class="dx{" dx-compact" if compact else ""}" data-explorer lang="{LANG_TAGS[lang]}" '
        f'style="{html.escape(colours)}">'
        f'<noscript>{html.escape(WORDS[lang]["noscript"])}</noscript>'
        f"<style>{css}</style>"
        f'<script type="application/json" data-explorer-config>{_script_json(config)}</script>'
        f"<script>{js}</script></div>"
    )
    size = len(fragment.encode("utf-8"))
    if size > MAX_FRAGMENT_BYTES:
        raise ParameterError(f"explorer fragment ({lang}, compact={compact}): {size} bytes: must be <= "
                             f"{MAX_FRAGMENT_BYTES}")
    return fragment


class Explorer:
    """The explorer as a notebook output: Markdown holding the fragment as a raw HTML block.

    Markdown, not an HTML output: an HTML output makes Quarto load require.js and jQuery from a CDN
    for the whole page (quarto-cli src/core/jupyter/widgets.ts, extractJupyterWidgetDependencies).
    Pandoc passes a ``{=html}`` raw block through to the web page untouched and leaves it out of the
    PDF, where the page says in its prose what the site offers there.
    """

    def __init__(self, fragment: str, lang: str = "en"):
        self.fragment = fragment
        self.lang = _check_lang(lang)

    def _repr_markdown_(self) -> str:
        return f"```{{=html}}\n{self.fragment}\n```\n"

    def __repr__(self) -> str:
        return WORDS[self.lang]["plain"]


def explorer(lang: str = "en", compact: bool = False) -> Explorer:
    """The explorer for a notebook cell (see :class:`Explorer`)."""
    return Explorer(explorer_html(lang, compact), lang)
