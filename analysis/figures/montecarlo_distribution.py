"""The figure ``montecarlo_distribution``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_ASSUMPTIONS, SEASON_FACTS, base_parameters, case_values, find_case, illustrative,
    join_labels, legend_below, register, start_figure, styled, thousands, yuan,
)
from analysis.report import format_number, format_quantity, format_share

MC_DRAWS = 100_000
MC_BINS = 40
MC_INTERVAL = (0.05, 0.95)  # the quantiles q05 and q95 reported by scenarios.monte_carlo
TEXT = {
    "en": {
        "title": "How likely is a meaningful dividend? {draws} model draws",
        "subtitle": "{illustrative}; {drawing}; lines mark shares of the poverty line",
        "caption": "Monte Carlo distribution of the yearly dividend per recipient person, in the {recipients} not yet out of poverty ({recipient_persons}; {draws} draws, seed {seed}; {drawing}): median {median}, {interval} interval {q05} to {q95}. {probabilities}. Averaged over all {households} registered as poor ({persons}) instead, the median would be {registered_median} ({interval} interval {registered_q05} to {registered_q95}).",
        "alt": "Histogram of the dividend per recipient person from {draws} model draws; median {median}, {interval} of draws between {q05} and {q95}; {probabilities}; the average over all registered poor persons has a median of {registered_median}.",
        "x": "Dividend per recipient person (yuan per year)", "y": "Share of draws",
        "threshold": "{share} of the poverty line ({yuan}): P = {probability}",
        "probability": "P(dividend ≥ {share} of the poverty line) = {probability}",
        "drawing_all": "each drawn from its assumed distribution, other inputs fixed at {the_case}",
        "drawing_some": "{fixed} held fixed at {the_case}, the others drawn from their assumed distributions",
        "drawing_none": "all held fixed at {the_case}, none drawn",
    },
    "zh": {
        "title": "分红达到一定水平的可能性有多大？{draws}次模型抽样",
        "subtitle": "{illustrative}；{drawing}；竖线为贫困线的若干比例",
        "caption": "每名受助人口（尚未脱贫的{recipients}，{recipient_persons}）年分红的蒙特卡洛分布（{draws}次抽样，种子{seed}；{drawing}）；中位数{median}，{interval}区间{q05}至{q95}。{probabilities}。若摊给全部{households}建档立卡贫困户（{persons}），中位数为{registered_median}（{interval}区间{registered_q05}至{registered_q95}）。",
        "alt": "直方图：{draws}次模型抽样中每名受助人口的分红；中位数{median}，{interval}的抽样在{q05}至{q95}之间；{probabilities}；全部建档立卡贫困人口平均的中位数为{registered_median}。",
        "x": "每名受助人口分红（元/年）", "y": "抽样占比",
        "threshold": "贫困线的{share}（{yuan}）：P = {probability}",
        "probability": "分红不低于贫困线{share}的概率为{probability}",
        "drawing_all": "各项均按假设分布抽样，其余输入固定于{case}",
        "drawing_some": "{fixed}固定于{case}，其余按假设分布抽样",
        "drawing_none": "均固定于{case}，未抽样",
    },
}


def recipient_thresholds(p=None, shares=None) -> tuple[float, ...]:
    """The *thresholds* to give :func:`analysis.scenarios.monte_carlo` (shares of the poverty line of the
    average over registered persons, the Monte Carlo's own measure) so that its threshold probabilities
    are those of the dividend per recipient person reaching *shares* of the line (default
    scenarios.DEFAULT_THRESHOLD_SHARES): share x recipient_persons / persons, since per recipient
    person = per person x persons / recipient_persons in every draw (the recipients are never drawn).
    Shares above 1 of the line per recipient person would exceed the Monte Carlo's 0-1: they are left out."""
    from analysis import scenarios

    p = p or base_parameters()
    shares = scenarios.DEFAULT_THRESHOLD_SHARES if shares is None else shares
    return tuple(float(share) * p.recipient_persons / p.persons for share in shares
                 if float(share) * p.recipient_persons / p.persons <= 1)


def prepare() -> pd.DataFrame:
    """Histogram of the dividend per recipient person (kind 'bin'), thresholds and quantiles of a seeded base
    run (thresholds at :func:`recipient_thresholds`)."""
    from analysis import scenarios

    p = base_parameters()
    return montecarlo_frame(scenarios.monte_carlo(MC_DRAWS, scenarios.DEFAULT_SEED, p,
                                                  thresholds=recipient_thresholds(p)), p)


def montecarlo_frame(result, p=None) -> pd.DataFrame:
    """The plotted frame of ``montecarlo_distribution`` for any :class:`scenarios.MonteCarloResult`
    (a notebook's own run, with its parameters and the draws it holds fixed).

    Plots the dividend per recipient person: kind 'bin' (its histogram of the kept draws),
    'threshold' (the run's threshold probabilities, as shares of the poverty line per recipient
    person: the run's threshold_share x persons / recipient_persons; round shares when the run took
    :func:`recipient_thresholds`), 'quantile' (q05, q50, q95 of it) and 'registered_quantile' (the
    same of the average over every registered poor person, per_person_yuan).

    *p* are the parameters the run took its fixed inputs from (``case`` column, :func:`find_case`;
    'custom' when not given, and then the base preset's households and persons); ``varied`` lists
    the inputs the run drew, comma-separated.
    """
    counts_from = p or base_parameters()
    to_recipients = counts_from.persons / counts_from.recipient_persons
    samples = result.samples["per_recipient_person_yuan"].to_numpy()
    counts, edges = np.histogram(samples, bins=MC_BINS)
    bins = pd.DataFrame({"kind": "bin", "start_yuan": edges[:-1], "end_yuan": edges[1:],
                         "share_of_draws": counts / counts.sum()})
    thresholds = result.threshold_probabilities.assign(
        kind="threshold", start_yuan=result.threshold_probabilities["threshold_yuan"] * to_recipients,
        threshold_share=result.threshold_probabilities["threshold_share"] * to_recipients,
    ).drop(columns="threshold_yuan")
    quantiles = result.quantiles.set_index("output")
    stats = [pd.DataFrame({"kind": kind, "quantile": ["q05", "q50", "q95"],
                           "start_yuan": [quantiles.at[output, q] for q in ("q05", "q50", "q95")]})
             for kind, output in (("quantile", "per_recipient_person_yuan"), ("registered_quantile", "per_person_yuan"))]
    frame = pd.concat([bins, thresholds, *stats], ignore_index=True)
    frame["draws"] = result.draws
    frame["seed"] = result.seed
    frame["varied"] = ",".join(result.varied)
    frame["case"] = "custom" if p is None else find_case(p)
    for name in ("recipient_households", "recipient_persons", "households", "persons"):
        frame[name] = getattr(counts_from, name)
    return frame[["kind", "start_yuan", "end_yuan", "share_of_draws", "threshold_share", "probability", "quantile",
                  "draws", "seed", "varied", "case", "recipient_households", "recipient_persons", "households",
                  "persons"]]


def _drawing(df: pd.DataFrame, lang: str) -> str:
    """Which of the season's assumptions the run drew and which it held fixed, in words."""
    words = TEXT[lang]
    varied = [name for name in str(df["varied"].iloc[0]).split(",") if name] if "varied" in df.columns else \
        list(SEASON_ASSUMPTIONS)
    fixed = [name for name in SEASON_ASSUMPTIONS if name not in varied]
    key = "drawing_all" if not fixed else ("drawing_some" if varied else "drawing_none")
    return words[key].format(fixed=join_labels(fixed, lang), **case_values(df, lang))


def _quantiles(df: pd.DataFrame, kind: str) -> pd.Series:
    return df[df["kind"] == kind].set_index("quantile")["start_yuan"]


def text_values(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT[lang]
    q = _quantiles(df, "quantile")
    registered = _quantiles(df, "registered_quantile")
    thresholds = df[df["kind"] == "threshold"]
    sep = "; " if lang == "en" else "；"
    probabilities = sep.join(words["probability"].format(share=format_share(row["threshold_share"]),
                                                         probability=format_share(row["probability"], 1))
                             for _, row in thresholds.iterrows())
    first = df.iloc[0]
    return {"draws": format_number(df["draws"].iloc[0]), "seed": str(int(df["seed"].iloc[0])),
            "interval": format_share(MC_INTERVAL[1] - MC_INTERVAL[0]),
            "median": yuan(q["q50"], lang), "q05": yuan(q["q05"], lang), "q95": yuan(q["q95"], lang),
            "registered_median": yuan(registered["q50"], lang), "registered_q05": yuan(registered["q05"], lang),
            "registered_q95": yuan(registered["q95"], lang), "probabilities": probabilities,
            "recipients": format_quantity(first["recipient_households"], "households", lang=lang),
            "recipient_persons": format_quantity(first["recipient_persons"], "persons", lang=lang, decimals=0),
            "households": format_quantity(first["households"], "households", lang=lang),
            "persons": format_quantity(first["persons"], "persons", lang=lang),
            "illustrative": illustrative(SEASON_ASSUMPTIONS, lang), "drawing": _drawing(df, lang)}


HEIGHT = {"single-column": 1.5}  # a histogram under a long subtitle, a three-row legend


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Histogram of the dividend per recipient person with threshold lines and their probabilities."""
    fig, size, words = start_figure("montecarlo_distribution", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    ax = fig.add_subplot()
    bins = df[df["kind"] == "bin"]
    ax.bar(bins["start_yuan"], bins["share_of_draws"], width=bins["end_yuan"] - bins["start_yuan"], align="edge",
           color=style.ASSUMED_COLOUR, edgecolor="white", linewidth=0.3)
    thresholds = df[df["kind"] == "threshold"]
    top = bins["share_of_draws"].max()
    styles = ("-", "--", ":")
    for i, (_, row) in enumerate(thresholds.iterrows()):
        ax.axvline(row["start_yuan"], color=style.TEXT_COLOUR, linestyle=styles[i % len(styles)],
                   linewidth=size.line_width_pt * 0.8,
                   label=words["threshold"].format(share=format_share(row["threshold_share"]),
                                                   yuan=yuan(row["start_yuan"], lang),
                                                   probability=format_share(row["probability"], 1)))
    ax.set_xlim(0, max(bins["end_yuan"].max(), thresholds["start_yuan"].max()) * 1.05)
    ax.set_ylim(0, top * 1.1)
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    thousands(ax.xaxis)
    legend_below(fig, ax, 1)
    return fig


SPEC = register(FigureSpec(
    "montecarlo_distribution", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS + ("households_out_of_poverty_2017",),
    assumptions=SEASON_ASSUMPTIONS + ("poverty_line_yuan",),
))
