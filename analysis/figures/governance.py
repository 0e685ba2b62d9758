"""The figure ``governance``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis import style
from analysis.figures.check import labels
from analysis.figures.common import (
    FigureSpec, data_module, fact_number, legend_columns, proper_names, register, start_figure, styled,
)
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


def box_texts(df: pd.DataFrame, lang: str) -> dict[str, str]:
    """The text of each body's box in *lang* (node id -> text)."""
    values = text_values(df, lang)
    values["village_zh"] = {n.node_id: n.name_zh for n in df.itertuples() if n.kind == "village"}
    return {node.node_id: _governance_label(node, TEXT[lang], values, lang) for node in df.itertuples()}


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


@dataclass
class Box:
    """A body's box in the organogram, in inches from the top left of the tree (y grows downwards)."""

    node_id: str
    depth: int
    lines: list[str]
    width: float
    height: float
    x: float = 0.0
    y: float = 0.0  # top edge

    @property
    def centre_y(self) -> float:
        return self.y + self.height / 2


@dataclass
class Layout:
    """Boxes and edges of the organogram: "columns" (a left-to-right tree) or "outline" (indented rows,
    for narrow figures). Edges: (child id, vertices, path codes) in inches, y downwards."""

    kind: str
    boxes: dict[str, Box]
    edges: list[tuple[str, list[tuple[float, float]], list[int]]] = field(default_factory=list)

    @property
    def width(self) -> float:
        return max(b.x + b.width for b in self.boxes.values())

    @property
    def height(self) -> float:
        return max(b.y + b.height for b in self.boxes.values())


def _depths(df: pd.DataFrame) -> dict[str, int]:
    parent = dict(zip(df["node_id"], df["parent_id"]))
    depths = {}
    for node_id in df["node_id"]:
        depth, up = 0, parent[node_id]
        while up:
            depth, up = depth + 1, parent[up]
        depths[node_id] = depth
    return depths


def _children(df: pd.DataFrame) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for node in df.itertuples():
        children.setdefault(node.parent_id, []).append(node.node_id)
    return children


def names(df: pd.DataFrame) -> tuple[str, ...]:
    """The proper names on the boxes (never broken across lines): the bodies' and villages' Chinese
    names and the township's."""
    found = {str(n) for n in df["name_zh"] if isinstance(n, str) and n}
    return tuple(sorted(found | {TEXT["zh"]["township"]} | set(proper_names())))


def _box(fig, node_id: str, depth: int, text: str, size, width_in: float, keep) -> Box:
    pad = size.small_pt * PAD_EM / 72
    lines = style.wrap_text(fig, text, size.small_pt, width_in - 2 * pad, keep=keep)
    # measured at the PNG resolution too: hinted glyphs there run a little wider than at screen dpi
    width = max(style.text_width_in(line, size.small_pt, dpi) for line in lines for dpi in (fig.dpi, size.png_dpi))
    width += 2 * pad
    height = (len(lines) * size.small_pt * LINE_SPACING + 2 * size.small_pt * PAD_EM) / 72
    return Box(node_id, depth, lines, width, height)


PAD_EM = 0.4        # inner padding of a box, in ems of its text
LINE_SPACING = 1.15
GAP_EM = 0.45       # vertical gap between boxes, in ems
COLUMN_GAP_EM = 2.6  # horizontal gap between the columns of the left-to-right tree, in ems
INDENT_EM = 2.6     # indent per level of the outline


def layout(fig, df: pd.DataFrame, texts: dict[str, str], size, width_in: float, keep=()) -> Layout:
    """The organogram laid out in *width_in*: a left-to-right tree when each column can hold its
    names unbroken, else an outline (indented rows)."""
    return _columns(fig, df, texts, size, width_in, keep) or _outline(fig, df, texts, size, width_in, keep)


def _unbreakable_in(fig, text: str, size, keep) -> float:
    """The narrowest a box of *text* can be: its longest piece that may not be broken, padded."""
    pieces = style.wrap_text(fig, text, size.small_pt, 0.01, keep=keep)
    return max(style.text_width_in(p, size.small_pt, fig.dpi) for p in pieces) + 2 * size.small_pt * PAD_EM / 72


def _columns(fig, df, texts, size, width_in, keep) -> Layout | None:
    depths = _depths(df)
    columns = max(depths.values()) + 1
    gap = size.small_pt * COLUMN_GAP_EM / 72
    available = width_in - gap * (columns - 1)
    pad = 2 * size.small_pt * PAD_EM / 72
    natural = [max(style.text_width_in(texts[n], size.small_pt, fig.dpi) + pad for n in depths if depths[n] == d)
               for d in range(columns)]
    floor = [max(_unbreakable_in(fig, texts[n], size, keep) for n in depths if depths[n] == d) for d in range(columns)]
    if sum(floor) > available:
        return None
    # the widest columns give way first (a common cap), none below what its names need unbroken
    low, high = 0.0, max(natural)
    for _ in range(40):
        cap = (low + high) / 2
        if sum(max(f, min(n, cap)) for n, f in zip(natural, floor)) > available:
            high = cap
        else:
            low = cap
    widths = [max(f, min(n, low)) for n, f in zip(natural, floor)]
    boxes = {n: _box(fig, n, depths[n], texts[n], size, widths[depths[n]], keep) for n in df["node_id"]}
    lefts = [sum(widths[:d]) + gap * d for d in range(columns)]
    for box in boxes.values():
        box.x = lefts[box.depth]
    _tidy(df, boxes, size.small_pt * GAP_EM / 72)
    result = Layout("columns", boxes)
    children = _children(df)
    for parent, kids in children.items():
        if not parent:
            continue
        p = boxes[parent]
        right = max(b.x + b.width for b in boxes.values() if b.depth == p.depth)  # stubs reach the column's edge
        ports = [p.centre_y + p.height * 0.5 * (i - (len(kids) - 1) / 2) / max(len(kids) - 1, 1)
                 for i in range(len(kids))]
        # where each edge turns: the farther its child from its port, the nearer the parent (no crossing,
        # and no two edges run together)
        distance = sorted(range(len(kids)), key=lambda i: -abs(boxes[kids[i]].centre_y - ports[i]))
        turn = {i: rank for rank, i in enumerate(distance)}
        for i, kid in enumerate(kids):
            c = boxes[kid]
            share = 0.5 if len(kids) == 1 else 0.25 + 0.5 * turn[i] / (len(kids) - 1)
            middle = right + (c.x - right) * share
            vertices = [(p.x + p.width, ports[i]), (right, ports[i]), (middle, ports[i]), (middle, c.centre_y),
                        (c.x, c.centre_y)]
            result.edges.append((kid, vertices, [MOVETO, LINETO, CURVE4, CURVE4, CURVE4]))
    return result


def _tidy(df: pd.DataFrame, boxes: dict[str, Box], gap: float) -> None:
    """Vertical places of a left-to-right tree: each subtree packed under the one before it as
    closely as their boxes allow, depth by depth; a parent centred on its first and last child."""
    children = _children(df)

    def place(node_id: str) -> tuple[dict[int, tuple[float, float]], list[str]]:
        box = boxes[node_id]
        contour: dict[int, tuple[float, float]] = {}
        members: list[str] = []
        for kid in children.get(node_id, []):
            kid_contour, kid_members = place(kid)
            shift = max([contour[d][1] + gap - top for d, (top, _) in kid_contour.items() if d in contour],
                        default=0.0)
            for member in kid_members:
                boxes[member].y += shift
            for d, (top, bottom) in kid_contour.items():
                top, bottom = top + shift, bottom + shift
                contour[d] = (min(contour[d][0], top), max(contour[d][1], bottom)) if d in contour else (top, bottom)
            members += kid_members
        kids = children.get(node_id, [])
        if kids:
            box.y = (boxes[kids[0]].centre_y + boxes[kids[-1]].centre_y) / 2 - box.height / 2
        else:
            box.y = 0.0
        if box.depth in contour:  # cannot happen in a tree (a node's depth is below its children's)
            raise ValueError(f"node {node_id!r}: depth clash")
        contour[box.depth] = (box.y, box.y + box.height)
        return contour, members + [node_id]

    (root,) = children[""]
    place(root)
    top = min(b.y for b in boxes.values())
    for box in boxes.values():
        box.y -= top


def _outline(fig, df, texts, size, width_in, keep) -> Layout:
    """Indented rows in reading order; each child hangs from its parent by a line of its own
    (the first child's line rightmost, so no line crosses another)."""
    depths = _depths(df)
    children = _children(df)
    indent = size.small_pt * INDENT_EM / 72
    gap = size.small_pt * GAP_EM / 72
    boxes: dict[str, Box] = {}
    order: list[str] = []

    def walk(node_id: str) -> None:
        order.append(node_id)
        for kid in children.get(node_id, []):
            walk(kid)

    walk(children[""][0])
    y = 0.0
    for node_id in order:
        depth = depths[node_id]
        box = _box(fig, node_id, depth, texts[node_id], size, width_in - depth * indent, keep)
        box.x, box.y = depth * indent, y
        boxes[node_id] = box
        y += box.height + gap
    result = Layout("outline", boxes)
    for parent, kids in children.items():
        if not parent:
            continue
        p = boxes[parent]
        spacing = min(indent * 0.8, p.width) / (len(kids) + 1)
        for i, kid in enumerate(kids):
            c = boxes[kid]
            x = p.x + spacing * (len(kids) - i)
            vertices = [(x, p.y + p.height), (x, c.centre_y), (c.x, c.centre_y)]
            result.edges.append((kid, vertices, [MOVETO, LINETO, LINETO]))
    return result


MOVETO, LINETO, CURVE4 = 1, 2, 4  # matplotlib.path.Path codes


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """The campaign's bodies as a tree (boxes coloured by kind); solid links are stated, dashed ones inferred."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch, PathPatch
    from matplotlib.path import Path

    preset = size if isinstance(size, style.SizePreset) else style.get_size(size)
    texts = box_texts(df, lang)
    legend_in = preset.small_pt * 3.2 / 72
    found: list[Layout] = []

    def content_height(fig) -> float:
        width = fig.get_size_inches()[0] - 2 * style.frame_margin_in(preset)
        found.append(layout(fig, df, texts, preset, width, keep=names(df)))
        return found[-1].height + legend_in

    fig, size, words = start_figure("governance", df, lang, preset, chrome=chrome, content_height_in=content_height)
    tree = found[-1]
    # the tree is drawn at its size in inches: an axes placed by hand exactly over it, no layout engine
    width_in, height_in = fig.get_size_inches()
    left, bottom, _, area = fig.get_layout_engine().get()["rect"]
    top = bottom + area
    fig.set_layout_engine(None)
    margin = style.frame_margin_in(preset)
    ax = fig.add_axes((margin / width_in, top - tree.height / height_in, tree.width / width_in,
                       tree.height / height_in))
    ax.set_xlim(0, tree.width)
    ax.set_ylim(tree.height, 0)
    ax.axis("off")
    basis = dict(zip(df["node_id"], df["link_basis"]))
    kinds = dict(zip(df["node_id"], df["kind"]))
    for child, vertices, codes in tree.edges:
        ax.add_patch(PathPatch(Path(vertices, codes), fill=False, edgecolor=style.NEUTRAL_COLOUR,
                               linestyle="--" if basis[child] == "implied" else "-",
                               linewidth=size.line_width_pt * 0.7, capstyle="butt", zorder=1, clip_on=False))
    for box in tree.boxes.values():
        colour = KIND_COLOURS.get(kinds[box.node_id], style.NEUTRAL_COLOUR)
        patch = ax.add_patch(FancyBboxPatch((box.x, box.y), box.width, box.height,
                                            boxstyle=f"round,pad=0,rounding_size={size.small_pt * 0.25 / 72:.4f}",
                                            facecolor="white", edgecolor=colour, linewidth=size.line_width_pt * 0.9,
                                            zorder=2, clip_on=False))
        labels(ax.text(box.x + size.small_pt * PAD_EM / 72, box.centre_y, "\n".join(box.lines), ha="left",
                       va="center", fontsize=size.small_pt, color=style.TEXT_COLOUR, linespacing=LINE_SPACING,
                       zorder=3, clip_on=False), patch)
    handles = [Line2D([], [], color=style.NEUTRAL_COLOUR, label=words["stated"]),
               Line2D([], [], color=style.NEUTRAL_COLOUR, linestyle="--", label=words["implied"])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncols=legend_columns(fig, 2),
              borderaxespad=0.3, borderpad=0.2)
    return fig


SPEC = register(FigureSpec("governance", prepare, draw, text_values, text=TEXT, facts=lambda df: tuple(df["fact_id"])))
