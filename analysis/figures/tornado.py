"""The figure ``tornado``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_FACTS, base_parameters, case_values, find_case, legend_below, legend_columns, register,
    start_figure, styled, thousands, wrap, yuan,
)
from analysis.report import format_quantity

OUTPUT = "per_recipient_person_yuan"
TEXT = {
    "en": {
        "title": "Which assumptions move the dividend per recipient person most",
        "subtitle": "One at a time, each assumption from its low to its high value, the others held fixed ({case}: {base} per recipient person per year)",
        "caption": "Sensitivity of the yearly dividend per recipient person ({recipients} not yet out of poverty) to each assumption over its low–high range, others held fixed ({case}); {leader} moves it most (from {leader_low} to {leader_high}).{levers}{outside} {n_flat} further assumptions do not change this output.",
        "alt": "Tornado chart of {n} assumptions, sorted by their effect on the dividend per recipient person ({case}: {base}): {listing}.",
        "axis": "Dividend per recipient person (yuan per year)",
        "low": "Assumption at its low value", "high": "Assumption at its high value", "base": "{Case}",
        "outside_marker": "This run's value, outside the assumed range",
        "item": "{label} {low} to {high}",
        "lever_item": "{label} (a choice of the villages, not an uncertainty) {low} to {high}",
        "lever_tick": "a choice, not an uncertainty",
        "outside_tick": "this run: {value}, outside",
        "levers": " {labels}, a choice of the villages rather than an uncertainty, would move it from {low} to {high} over its range (listed last).",
        "outside": " {labels}: this run's value lies outside the assumed range, so both bars lie on one side of the run's output; both ends are shown and the run's value is marked.",
    },
    "zh": {
        "title": "哪些假设对每名受助人口分红影响最大",
        "subtitle": "每次只改变一个假设（从低值到高值），其余固定于{case}（每名受助人口每年{base}）",
        "caption": "每名受助人口（尚未脱贫的{recipients}）年分红对各假设（低值至高值，其余固定于{case}）的敏感性；{leader}影响最大（{leader_low}至{leader_high}）。{levers}{outside}另有{n_flat}项假设不影响该结果。",
        "alt": "龙卷风图，{n}项假设按对每名受助人口分红的影响排序（{case}：{base}）：{listing}。",
        "axis": "每名受助人口分红（元/年）",
        "low": "假设取低值", "high": "假设取高值", "base": "{case}",
        "outside_marker": "本次取值，超出假设范围",
        "item": "{label}{low}至{high}",
        "lever_item": "{label}（各村的选择，而非不确定性）{low}至{high}",
        "lever_tick": "政策选择，非不确定性",
        "outside_tick": "本次取值{value}，超出范围",
        "levers": "{labels}是各村的选择而非不确定性，在其范围内可使分红从{low}变为{high}（列于最后）。",
        "outside": "{labels}：本次取值超出假设范围，两根条形位于本次结果的同一侧；图中显示两端并标出本次取值。",
    },
}


def prepare(p=None) -> pd.DataFrame:
    """The one-at-a-time sensitivity of the dividend per recipient person (all assumptions, sorted by swing;
    with outside_range, is_zero_swing, is_policy_lever: :func:`analysis.scenarios.sensitivity`) around the
    base case or *p*, with *p*'s recipient_households; ``case`` names the parameters (:func:`find_case`)."""
    from analysis import scenarios

    p = p or base_parameters()
    return scenarios.sensitivity(p, output=OUTPUT).reset_index(drop=True).assign(
        recipient_households=p.recipient_households, case=find_case(p))


def _flag(df: pd.DataFrame, column: str) -> pd.Series:
    """A boolean column of the sensitivity (False where a hand-made frame lacks it)."""
    return df[column].astype(bool) if column in df.columns else pd.Series(False, index=df.index)


def _moving(df: pd.DataFrame) -> pd.DataFrame:
    """The assumptions that move the output, largest swing first; policy levers after the uncertainties."""
    moves = ~_flag(df, "is_zero_swing") if "is_zero_swing" in df.columns else df["swing"] > 0
    moving = df[moves].assign(_lever=_flag(df, "is_policy_lever"))
    return moving.sort_values(["_lever", "swing"], ascending=[True, False], kind="stable").drop(columns="_lever")


def _yuan(value: float, lang: str) -> str:
    return yuan(value, lang)


def _in_sentence(label: str, lang: str) -> str:
    """An assumption's label inside an English sentence: its first letter in lower case."""
    return label[:1].lower() + label[1:] if lang == "en" else label


def text_values(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT[lang]
    moving = _moving(df)
    levers = moving[_flag(moving, "is_policy_lever")]
    uncertain = moving[~_flag(moving, "is_policy_lever")]
    leader = (uncertain if len(uncertain) else moving).iloc[0]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(words["lever_item" if lever else "item"].format(
        label=row[f"label_{lang}"], low=_yuan(row["output_low"], lang), high=_yuan(row["output_high"], lang))
        for lever, (_, row) in zip(_flag(moving, "is_policy_lever"), moving.iterrows()))
    lever_text = "".join(words["levers"].format(label=row[f"label_{lang}"], labels=row[f"label_{lang}"],
                                                low=_yuan(row["output_low"], lang), high=_yuan(row["output_high"], lang))
                         for _, row in levers.iterrows()) if len(uncertain) else ""
    outside = moving[_flag(moving, "outside_range")]
    outside_text = words["outside"].format(labels=(", " if lang == "en" else "、").join(outside[f"label_{lang}"]))  \
        if len(outside) else ""
    recipients = df["recipient_households"].iloc[0] if "recipient_households" in df.columns else float("nan")
    return {"base": _yuan(df["output_base"].iloc[0], lang), "leader": _in_sentence(leader[f"label_{lang}"], lang),
            "leader_low": _yuan(leader["output_low"], lang), "leader_high": _yuan(leader["output_high"], lang),
            "n": str(len(moving)), "n_flat": str(len(df) - len(moving)), "listing": listing, "levers": lever_text,
            "outside": outside_text,
            "recipients": format_quantity(recipients, "households", lang=lang) if recipients == recipients else
            ("the households" if lang == "en" else "各户"),
            **case_values(df, lang)}


HEIGHT = {"single-column": 1.5}  # labels of two or three lines per assumption
OUTSIDE_MARGIN = 0.04  # of the x axis on each side, when a run's value is marked
EXTRA_LINE_HEIGHT = {"single-column": 0.15}  # more per label line naming a choice or an outside value
OUTSIDE_HEIGHT = {"single-column": 0.2}  # ... and for the legend's row of the outside marker


def _height(moving: pd.DataFrame) -> dict[str, float]:
    """Height factors per size preset for the labels and legend of *moving*."""
    extra = int(_flag(moving, "is_policy_lever").sum() + _flag(moving, "outside_range").sum())
    outside = bool(_flag(moving, "outside_range").any())
    return {name: scale + EXTRA_LINE_HEIGHT.get(name, 0.0) * extra + (OUTSIDE_HEIGHT.get(name, 0.0) if outside else 0.0)
            for name, scale in HEIGHT.items()}


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Horizontal bars from the run's output to the output at each assumption's low and high value. An
    assumption whose value in the run lies outside its low–high gets its two bars side by side (both lie
    on one side of the run's output) and a marker at the run's output; policy levers come last, named as
    choices."""
    from matplotlib.lines import Line2D

    moving = _moving(df).iloc[::-1]
    fig, size, words = start_figure("tornado", df, lang, size, height_scale=_height(moving), chrome=chrome)
    ax = fig.add_subplot()
    base = float(df["output_base"].iloc[0])
    positions = np.arange(len(moving), dtype=float)
    outside = _flag(moving, "outside_range").to_numpy()
    levers = _flag(moving, "is_policy_lever").to_numpy()
    height = np.where(outside, 0.3, 0.6)
    offset = np.where(outside, 0.16, 0.0)  # outside the range: the low bar above, the high bar below
    ax.barh(positions + offset, moving["output_low"] - base, left=base, height=height, color=style.BLUE,
            label=words["low"])
    ax.barh(positions - offset, moving["output_high"] - base, left=base, height=height, color=style.ORANGE,
            hatch=style.ASSUMED_HATCH, edgecolor="white", linewidth=0, label=words["high"])
    marker = dict(marker="D", color="white", markeredgecolor=style.TEXT_COLOUR, markeredgewidth=size.line_width_pt * 0.8,
                  markersize=size.font_pt * 0.7, linestyle="none")
    for y in positions[outside]:
        ax.plot([base], [y], zorder=3, **marker)
    labels = [_tick_label(fig, row, lang, size, lever, out)
              for (_, row), lever, out in zip(moving.iterrows(), levers, outside)]
    ax.set_yticks(positions, labels, fontsize=size.small_pt)
    ax.tick_params(axis="y", length=0)
    if levers.any() and not levers.all():  # a rule between the choices (below) and the uncertainties
        ax.axhline(positions[levers].max() + 0.5, color=style.LIGHT_COLOUR, linewidth=size.line_width_pt * 0.8)
    ax.axvline(base, color=style.TEXT_COLOUR, linewidth=size.line_width_pt * 0.7,
               label=words["base"].format(**case_values(df, lang)))
    ax.set_ylim(-0.6, len(moving) - 0.4)
    if outside.any():  # room for the marker when the run's output is at an end of the axis
        low, high = ax.get_xlim()
        ax.set_xlim(low - (high - low) * OUTSIDE_MARGIN, high + (high - low) * OUTSIDE_MARGIN)
    ax.set_xlabel(words["axis"])
    thousands(ax.xaxis)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    handles, _ = ax.get_legend_handles_labels()
    if outside.any():
        handles.append(Line2D([], [], label=words["outside_marker"], **marker))
    columns = legend_columns(fig, 2 if outside.any() else 3)
    for handle in handles:
        handle.set_label(wrap(fig, handle.get_label(), size.small_pt, 0.75 / columns if columns > 1 else 0.42))
    legend_below(fig, ax, columns, handles=handles)
    return fig


def _tick_label(fig, row, lang: str, size, lever: bool, outside: bool) -> str:
    """The assumption's label, its low–high range; a policy lever named as a choice; an outside value named."""
    words = TEXT[lang]
    lines = [wrap(fig, row[f"label_{lang}"], size.small_pt, 0.36), _range_text(row, lang)]
    if lever:
        lines.append(wrap(fig, words["lever_tick"], size.small_pt, 0.36))
    if outside:
        value = format_quantity(row["value"], row["unit"], lang=lang)
        lines.append(wrap(fig, words["outside_tick"].format(value=value), size.small_pt, 0.36))
    return "\n".join(lines)


def _range_text(row, lang: str) -> str:
    from analysis.report import format_range

    return format_range(row["low"], row["high"], row["unit"], lang=lang)


SPEC = register(FigureSpec(
    "tornado", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS + ("households_out_of_poverty_2017",),
    assumptions=lambda df: tuple(_moving(df)["parameter"]),
))
