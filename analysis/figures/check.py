"""Layout checks of a drawn figure: collisions between its laid-out artists, type sizes.

:func:`collisions` lays a figure out as the export does and compares the boxes of what will be
drawn (``get_window_extent`` with the figure's renderer):

- no two texts overlap (a legend counts as one box, its own texts inside it);
- no text overlaps a legend or a data mark (bar, patch, marker, line, mesh) unless it labels
  that mark (:func:`labels`: e.g. a box's name inside the box);
- no legend overlaps a data mark;
- nothing falls outside the canvas.

:func:`small_text` lists the texts set smaller than a minimum size.

Each finding is one line of text naming both artists, so a failing test says what collided.
"""
from __future__ import annotations

from dataclasses import dataclass

TOLERANCE_PT = 0.25  # boxes may touch or overlap by this much (rounding of the measured extents)
_LABELLED = "_dasuhe_labels"  # attribute of a Text: the marks it labels (see labels())


def labels(text, *marks):
    """Declare that *text* labels *marks* (it may sit on them); returns *text*."""
    setattr(text, _LABELLED, tuple(getattr(text, _LABELLED, ())) + marks)
    return text


@dataclass(frozen=True)
class Box:
    """A laid-out artist: what it is (for messages), its display box, and the path of a line."""

    name: str
    artist: object
    bbox: object                      # matplotlib.transforms.Bbox in display pixels
    path: object = None               # a line's path in display pixels (its box alone is too coarse)
    filled: bool = True

    def overlaps(self, other: "Box", tolerance: float) -> bool:
        """True if the two boxes overlap by more than *tolerance* pixels (a line: if it crosses the other box)."""
        a, b = self.bbox, other.bbox
        if min(a.x1, b.x1) - max(a.x0, b.x0) <= tolerance or min(a.y1, b.y1) - max(a.y0, b.y0) <= tolerance:
            return False
        for line, box in ((self, other), (other, self)):
            if line.path is not None:
                return line.path.intersects_bbox(_shrunk(box.bbox, tolerance), filled=line.filled)
        return True


def _shrunk(bbox, by: float):
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(bbox.x0 + by, bbox.y0 + by, bbox.x1 - by, bbox.y1 - by)


def _short(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def laid_out(fig, size):
    """Lay *fig* out as the export does (once, at the PNG resolution); return its renderer."""
    from analysis import style

    import matplotlib

    with style.figure_style(size):
        style.render_formats(fig, [])  # lays out and fixes the layout, renders nothing
        fig.dpi = matplotlib.rcParams["savefig.dpi"]  # measure at the resolution the layout was made at
        fig.draw_without_rendering()  # places what is positioned at draw time (text boxes)
    return fig.canvas.get_renderer()


def _drawn_ticks(axis):
    # the ticks the axis will draw (inside the view limits): matplotlib's own selection
    return axis._update_ticks()  # noqa: SLF001  (no public equivalent)


def _all_axes(fig) -> list:
    """The axes of *fig* and their child axes (a secondary axis, an inset), in drawing order."""
    found = []
    for ax in fig.axes:
        found.append(ax)
        found.extend(child for child in getattr(ax, "child_axes", []) if child not in found)
    return found


def drawn_texts(fig) -> list:
    """Every visible, non-empty Text the figure draws, legends' texts excluded (tick labels: those of
    the ticks each axis, secondary axes included, will draw)."""
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    found = []
    legends = [artist for artist in fig.findobj(Legend)]
    in_legends = {id(t) for legend in legends for t in legend.findobj(Text)}
    tick_labels = set()
    for ax in _all_axes(fig):
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                tick_labels.update((id(tick.label1), id(tick.label2)))
            if not (ax.axison and axis.get_visible()):
                tick_labels.update((id(axis.label), id(axis.offsetText)))
                continue
            for tick in _drawn_ticks(axis):
                for label in (tick.label1, tick.label2):
                    if label.get_visible() and label.get_text().strip():
                        found.append(label)
    for text in fig.findobj(Text):
        if id(text) in in_legends or id(text) in tick_labels:
            continue
        if text.get_visible() and text.get_text().strip() and text.get_figure(root=True) is fig:
            found.append(text)
    unique = {id(t): t for t in found}
    return list(unique.values())


def _text_box(text, renderer) -> Box:
    patch = text.get_bbox_patch()
    bbox = patch.get_window_extent(renderer) if patch is not None else text.get_window_extent(renderer)
    if patch is not None:  # the patch is drawn around the text: the box is the union
        from matplotlib.transforms import Bbox

        bbox = Bbox.union([bbox, text.get_window_extent(renderer)])
    return Box(f"text {_short(text.get_text())!r}", text, bbox)


def _mark_boxes(ax, renderer) -> list[Box]:
    """Boxes of the data marks of *ax*: patches, collections (per element where it matters), lines, images."""
    from matplotlib.collections import PathCollection, PatchCollection, PolyCollection, QuadMesh
    from matplotlib.transforms import Bbox

    boxes: list[Box] = []
    for patch in ax.patches:
        if not patch.get_visible():
            continue
        path = patch.get_transform().transform_path(patch.get_path())
        filled = patch.get_fill()
        boxes.append(Box(f"patch {type(patch).__name__}", patch, path.get_extents(), path if not filled else None,
                         filled))
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        if isinstance(collection, PathCollection) and len(collection.get_offsets()):
            # markers: each at its offset, sized in points
            offsets = collection.get_offset_transform().transform(collection.get_offsets())
            sizes = collection.get_sizes()
            for i, (x, y) in enumerate(offsets):
                radius = (sizes[i % len(sizes)] ** 0.5) / 2 * renderer.points_to_pixels(1.0)
                boxes.append(Box("marker", collection, Bbox.from_extents(x - radius, y - radius, x + radius,
                                                                          y + radius)))
        elif isinstance(collection, (PatchCollection, PolyCollection)) and not isinstance(collection, QuadMesh):
            transform = collection.get_transform()
            for path in collection.get_paths():
                shape = transform.transform_path(path)
                boxes.append(Box(f"shape of {type(collection).__name__}", collection, shape.get_extents(),
                                 shape if len(path.vertices) > 5 else None))
        else:
            boxes.append(Box(type(collection).__name__, collection, collection.get_window_extent(renderer)))
    for line in ax.lines:
        if not line.get_visible() or line.get_linestyle() in ("None", "none", " ", ""):
            if line.get_visible() and line.get_marker() not in (None, "None", "none", ""):
                boxes.append(Box("line marker", line, line.get_window_extent(renderer)))
            continue
        path = line.get_transform().transform_path(line.get_path())
        boxes.append(Box(f"line {line.get_label()!r}" if not line.get_label().startswith("_") else "line", line,
                         path.get_extents(), path, filled=False))
    for image in ax.images:
        boxes.append(Box("image", image, image.get_window_extent(renderer)))
    return boxes


def collisions(fig, size) -> list[str]:
    """What collides in *fig* drawn at *size* (a size preset or its name), as lines of text; [] when nothing does."""
    from matplotlib.legend import Legend

    renderer = laid_out(fig, size)
    canvas = fig.bbox
    tolerance = renderer.points_to_pixels(TOLERANCE_PT)
    texts = [_text_box(text, renderer) for text in drawn_texts(fig)]
    legends = [Box(f"legend ({', '.join(_short(t.get_text(), 24) for t in legend.get_texts())})", legend,
                   legend.get_window_extent(renderer)) for legend in fig.findobj(Legend) if legend.get_visible()]
    marks = [box for ax in fig.axes for box in _mark_boxes(ax, renderer)]
    found = []
    for box in texts + legends:
        b = box.bbox
        if (b.x0 < canvas.x0 - tolerance or b.y0 < canvas.y0 - tolerance or b.x1 > canvas.x1 + tolerance
                or b.y1 > canvas.y1 + tolerance):
            by = max(canvas.x0 - b.x0, canvas.y0 - b.y0, b.x1 - canvas.x1, b.y1 - canvas.y1)
            found.append(f"{box.name} falls outside the canvas (by {by:.1f} px at {fig.dpi:g} dpi)")
    boxes = texts + legends
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a.overlaps(b, tolerance):
                found.append(f"{a.name} overlaps {b.name}")
    for box in boxes:
        labelled = {id(mark) for mark in getattr(box.artist, _LABELLED, ())}
        for mark in marks:
            if id(mark.artist) not in labelled and box.overlaps(mark, tolerance):
                found.append(f"{box.name} overlaps {mark.name}")
    return list(dict.fromkeys(found))


def small_text(fig, minimum_pt: float, source_pt: float | None = None) -> list[str]:
    """Texts of *fig* set smaller than *minimum_pt* (legend texts included); the source line of the
    frame (``fig.frame_texts["source"]``) may be as small as *source_pt*."""
    from matplotlib.text import Text

    source = getattr(fig, "frame_texts", {}).get("source")
    found = []
    texts = drawn_texts(fig) + [t for legend in fig.legends + [ax.get_legend() for ax in fig.axes]
                                if legend is not None for t in legend.get_texts()]
    for text in texts:
        if not isinstance(text, Text):
            continue
        least = source_pt if text is source and source_pt is not None else minimum_pt
        if text.get_fontsize() < least - 1e-9:
            found.append(f"text {_short(text.get_text())!r} is {text.get_fontsize():.2f} pt, below {least:g} pt")
    return found


_LINESTYLES = {"-": "solid", "solid": "solid", "--": "dashed", "dashed": "dashed", ":": "dotted",
               "dotted": "dotted", "-.": "dashdot", "dashdot": "dashdot"}


def _linestyle(artist) -> str:
    style = artist.get_linestyle()
    return _LINESTYLES.get(style, str(style)) if isinstance(style, str) else "solid"


def unexplained_styles(fig) -> list[str]:
    """Hatches and line styles (other than solid) that the data marks of *fig* use but no legend
    shows, as lines of text; [] when the legends explain every one."""
    from matplotlib.legend import Legend

    shown = set()
    for legend in fig.findobj(Legend):
        for handle in legend.legend_handles:
            if handle is None:
                continue
            hatch = handle.get_hatch() if hasattr(handle, "get_hatch") else None
            if hatch:
                shown.add(("hatch", str(hatch)))
            if hasattr(handle, "get_linestyle") and (not hasattr(handle, "get_marker") or
                                                     handle.get_linestyle() not in ("None", "none", "")):
                shown.add(("line", _linestyle(handle)))
    used = set()
    for ax in fig.axes:
        for artist in list(ax.patches) + list(ax.collections) + list(ax.lines):
            if not artist.get_visible():
                continue
            hatch = artist.get_hatch() if hasattr(artist, "get_hatch") else None
            if hatch:
                used.add(("hatch", str(hatch)))
            if artist in ax.lines and artist.get_linestyle() in ("None", "none", ""):
                continue
            style = _linestyle(artist)
            if style != "solid" and (artist in ax.lines or getattr(artist, "get_fill", lambda: True)() is False
                                     or artist.get_linewidth()):
                used.add(("line", style))
    return [f"{kind} {value!r} has no legend entry" for kind, value in sorted(used - shown)]
