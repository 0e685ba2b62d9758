"""The figure ``governance``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import pandas as pd

from analysis import style
from analysis.figures.common import FigureSpec, data_module, fact_number, register, start_figure, styled, wrap
from analysis.report import format_number

TEXT = {
    "en": {
        "title": "How Dasuhe Township organised its poverty campaign",
        "subtitle": "Bodies the article names; solid links are stated, dashed links are implied by the text",
        "caption": "The township's campaign structure from the article: {summary}. The other {unnamed_n} villages are not named in the source.",
        "alt": "Tree diagram of {n} bodies: {summary}; {unnamed_n} further villages are shown as one box, not named in the source.",
        "township": "Dasuhe Township 大苏河乡", "villages": "{villages_n} administrative villages",
        "unnamed": "{unnamed_n} further villages (not named in the source)",
        "stated": "Link stated in the article", "implied": "Link implied by the text",
        "summary": "{n_wg} working groups (placed under the leading group by inference; the article does not say), {n_pg} Party groups under the industry Party branch, {villages_n} villages, {n_coop} cooperatives and the enterprise Tianfu with its {n_unit} units",
        "village_label": "{en} {zh}",
        "village_branch": "",
    },
    "zh": {
        "title": "大苏河乡脱贫攻坚的组织结构",
        "subtitle": "文章提及的机构；实线为原文明确的隶属关系，虚线为文意推断",
        "caption": "文章所述乡脱贫攻坚组织结构：{summary}。其余{unnamed_n}个村文章未点名。",
        "alt": "树状图，共{n}个机构：{summary}；另外{unnamed_n}个村（原文未点名）合并为一个方框。",
        "township": "大苏河乡", "villages": "{villages_n}个行政村",
        "unnamed": "另外{unnamed_n}个村（原文未点名）",
        "stated": "原文明确的关系", "implied": "文意推断的关系",
        "summary": "{n_wg}个工作组（归属领导小组系推断，原文未明示），产业扶贫党支部下设{n_pg}个党小组，{villages_n}个村，{n_coop}个合作社，以及天福菌业及其下属{n_unit}个单位",
        "village_label": "{zh}",
        "village_branch": "{village}支部",
    },
}
GOVERNANCE_HEIGHT = {"web": 1.35, "single-column": 2.1, "double-column": 1.45, "slide": 1.0}
KIND_COLOURS = {
    "party_committee": style.VERMILLION, "party_branch": style.VERMILLION, "party_group": style.VERMILLION,
    "village_party_branch": style.VERMILLION, "leading_group": style.BLUE, "working_group": style.BLUE,
    "government": style.BLUE, "township": style.TEXT_COLOUR, "villages": style.GREEN, "village": style.GREEN,
    "villager_group": style.GREEN, "cooperative": style.GREEN, "enterprise": style.ORANGE,
    "enterprise_unit": style.ORANGE,
}


def prepare() -> pd.DataFrame:
    """Nodes and links of the campaign structure: the organisations table plus the township, villages
    (named ones and one node for the unnamed) as parents of the bodies that have none."""
    data = data_module()
    orgs = data.load_table("organisations")
    villages = data.load_table("villages")
    nodes = [{"node_id": "township", "parent_id": "", "kind": "township", "name_en": "", "name_zh": "",
              "link_basis": "", "fact_id": "township_name"},
             {"node_id": "villages", "parent_id": "township", "kind": "villages", "name_en": "", "name_zh": "",
              "link_basis": "stated", "fact_id": "villages_total"}]
    for v in villages.itertuples():
        nodes.append({"node_id": f"village_{v.village_id}", "parent_id": "villages", "kind": "village",
                      "name_en": v.name_en, "name_zh": v.name_zh, "link_basis": "stated", "fact_id": v.fact_id})
    for o in orgs.itertuples():
        if isinstance(o.parent_org_id, str) and o.parent_org_id:
            parent, basis = o.parent_org_id, o.parent_basis
        elif isinstance(o.village_id, str) and o.village_id:
            parent, basis = f"village_{o.village_id}", "stated"
        else:
            parent, basis = "township", "implied"
        nodes.append({"node_id": o.org_id, "parent_id": parent, "kind": o.kind, "name_en": o.name_en,
                      "name_zh": o.name_zh if isinstance(o.name_zh, str) else "", "link_basis": basis,
                      "fact_id": o.fact_id})
    nodes.append({"node_id": "village_unnamed", "parent_id": "villages", "kind": "village", "name_en": "",
                  "name_zh": "", "link_basis": "stated", "fact_id": "villages_total",
                  "villages": data.count_unnamed_villages()})
    frame = pd.DataFrame(nodes)
    frame["villages"] = frame["villages"].fillna(0)
    return frame


def text_values(df: pd.DataFrame, lang: str) -> dict:
    count = lambda kind: format_number((df["kind"] == kind).sum())  # noqa: E731
    values = {"villages_n": format_number(fact_number("villages_total")),
              "unnamed_n": format_number(df.loc[df["node_id"] == "village_unnamed", "villages"].iloc[0]),
              "n_wg": count("working_group"), "n_pg": count("party_group"), "n_coop": count("cooperative"),
              "n_unit": count("enterprise_unit"),
              "n": format_number(len(df))}
    values["summary"] = TEXT[lang]["summary"].format(**values)
    return values


def _governance_label(node, words: dict, values: dict, lang: str) -> str:
    if node.node_id == "township":
        return words["township"]
    if node.node_id == "villages":
        return words["villages"].format(**values)
    if node.node_id == "village_unnamed":
        return words["unnamed"].format(**values)
    if node.kind == "village":
        return words["village_label"].format(en=node.name_en, zh=node.name_zh)
    if lang == "zh" and node.name_zh:
        return node.name_zh
    if lang == "zh" and node.kind == "village_party_branch" and words["village_branch"]:
        village = values["village_zh"].get(node.parent_id, "")
        return words["village_branch"].format(village=village) if village else node.name_en
    return node.name_en


def _tree_layout(df: pd.DataFrame, heights: dict[str, float] | None = None) -> dict[str, tuple[int, float]]:
    """(depth, row) per node: leaves stacked (each as tall as *heights* says, default 1),
    parents centred on their children."""
    children: dict[str, list[str]] = {}
    for node in df.itertuples():
        children.setdefault(node.parent_id, []).append(node.node_id)
    position: dict[str, tuple[int, float]] = {}
    next_row = [0.0]

    def place(node_id: str, depth: int) -> float:
        kids = children.get(node_id, [])
        if not kids:
            height = (heights or {}).get(node_id, 1.0)
            row = next_row[0] + height / 2
            next_row[0] += height
        else:
            rows = [place(kid, depth + 1) for kid in kids]
            row = (rows[0] + rows[-1]) / 2
        position[node_id] = (depth, row)
        return row

    for root in children.get("", []):
        place(root, 0)
    return position


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Left-to-right tree of the campaign's bodies, coloured by kind; dashed links are implied."""
    from matplotlib.lines import Line2D

    preset = size if isinstance(size, style.SizePreset) else style.get_size(size)
    fig, size, words = start_figure("governance", df, lang, preset, height_scale=GOVERNANCE_HEIGHT.get(preset.name, 1.35), chrome=chrome)
    values = text_values(df, lang)
    values["village_zh"] = {n.node_id: n.name_zh for n in df.itertuples() if n.kind == "village"}
    depths = _tree_layout(df)
    depth_max = max(d for d, _ in depths.values())
    column_width = 1.0 / (depth_max + 1)
    font = size.small_pt
    labels = {node.node_id: wrap(fig, _governance_label(node, words, values, lang), font, column_width * 0.88)
              for node in df.itertuples()}
    layout = _tree_layout(df, {k: label.count("\n") + 1.6 for k, label in labels.items()})
    rows = max(r for _, r in layout.values()) + 1
    ax = fig.add_subplot()
    for node in df.itertuples():
        depth, row = layout[node.node_id]
        x, y = depth * column_width, -row
        if node.parent_id:
            pdepth, prow = layout[node.parent_id]
            px = pdepth * column_width
            ax.plot([px + column_width * 0.9, x + column_width * 0.02], [-prow, y], color=style.NEUTRAL_COLOUR,
                    linestyle="--" if node.link_basis == "implied" else "-", linewidth=size.line_width_pt * 0.6,
                    zorder=1)
        label = labels[node.node_id]
        colour = KIND_COLOURS.get(node.kind, style.NEUTRAL_COLOUR)
        ax.text(x + column_width * 0.02, y, label, ha="left", va="center", fontsize=font, zorder=2,
                color=style.TEXT_COLOUR, linespacing=1.1,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": colour,
                      "linewidth": size.line_width_pt * 0.9})
    ax.set_xlim(0, 1)
    ax.set_ylim(-rows + 0.6, 0.2)
    ax.axis("off")
    handles = [Line2D([], [], color=style.NEUTRAL_COLOUR, label=words["stated"]),
               Line2D([], [], color=style.NEUTRAL_COLOUR, linestyle="--", label=words["implied"])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncols=2)
    return fig


SPEC = register(FigureSpec("governance", prepare, draw, text_values, text=TEXT, facts=lambda df: tuple(df["fact_id"])))
