"""Export of the figures: files, the plotted data as CSV, the manifest, and ``python -m analysis figures``.

The export replaces ``OUT`` as a set (issue 14): it checks ``--out`` first
(:func:`analysis.io.check_output_dir`: a file, a read-only or full disk, a folder inside
``data/`` are refused in one line, exit 2), validates the whole data package
(:func:`analysis.validation.validate_all`) and prepares every figure before anything is
written, then writes into a temporary sibling folder that starts as a copy of the current set
(so runs at other sizes or languages add up, and ``figures/README.md`` stays) and is swapped in
only when every file and the manifest are written (:func:`analysis.io.atomic_directory`). An
interrupt, a crash or bad data leaves the previous complete set.

File layout written by the export (``OUT`` defaults to ``figures/``)::

    OUT/manifest.json
    OUT/<id>/<id>.csv                    the plotted data
    OUT/<id>/<id>_<lang>_<size>.<ext>    e.g. figures/tornado/tornado_zh_slide.pdf
    OUT/<id>/<id>_<lang>_<size>_nochrome.<ext>
                                         drawn with --chrome none: no title, subtitle, source line
    OUT/<id>/<id>_caption_<lang>.txt     their text as a caption to paste (both languages)
"""
from __future__ import annotations

import json
import os
import re
from contextlib import closing
from pathlib import Path

from analysis import paths, style
from analysis.errors import ParameterError
from analysis.figures.common import (
    CHROMES, FIGURES, caption_text, check_chrome, check_figure_id, figure_source, figure_text, prepared,
)
from analysis.figures.render import iter_rendered, raise_if_stopped
from analysis.io import (  # frame_to_csv: the plotted frames' CSV text
    atomic_directory, check_output_dir, check_output_file, frame_to_csv, write_bytes, write_text,
)

KIND = "figures"  # the command writing the output folder, as its marker records it (analysis.io)
DEFAULT_JOBS = os.cpu_count() or 1  # render processes of the command line (output is the same for any count)


NOCHROME_SUFFIX = "_nochrome"


def figure_filename(figure_id: str, lang: str, size: str, fmt: str, chrome: str = "full") -> str:
    """``<id>/<id>_<lang>_<size>.<ext>`` relative to the output folder (``..._nochrome.<ext>`` without chrome)."""
    suffix = NOCHROME_SUFFIX if check_chrome(chrome) == "none" else ""
    return f"{figure_id}/{figure_id}_{lang}_{size}{suffix}.{fmt}"


def caption_filename(figure_id: str, lang: str) -> str:
    """``<id>/<id>_caption_<lang>.txt`` relative to the output folder: the caption of the figure without chrome."""
    return f"{figure_id}/{figure_id}_caption_{lang}.txt"


def data_filename(figure_id: str) -> str:
    """``<id>/<id>.csv`` relative to the output folder: the data the figure plots."""
    return f"{figure_id}/{figure_id}.csv"


def _split_list(values, check, name: str, choices) -> list[str]:
    items: list[str] = []
    for value in values or []:
        for item in str(value).split(","):
            item = item.strip()
            if item == "all":
                items.extend(choices)
            elif item:
                items.append(check(item))
    if not items:
        raise ParameterError(f"{name}: give at least one value, choose from {', '.join(choices)}")
    return list(dict.fromkeys(items))


def _qualified_name(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def manifest_entry(figure_id: str, out_dir: Path) -> dict:
    """The manifest record of one figure: words in both languages, facts, assumptions, function, files."""
    spec = FIGURES[figure_id]
    df = prepared(figure_id)
    entry = {"id": figure_id, "function": _qualified_name(spec.draw), "prepare": _qualified_name(spec.prepare),
             "facts": spec.fact_ids(df), "assumptions": spec.assumption_names(df), "data_csv": data_filename(figure_id)}
    for lang in style.LANGUAGES:
        text = figure_text(figure_id, df, lang)
        entry.update({f"title_{lang}": text["title"], f"subtitle_{lang}": text["subtitle"],
                      f"caption_{lang}": text["caption"], f"alt_{lang}": text["alt"],
                      f"source_{lang}": figure_source(figure_id, df, lang),
                      f"caption_text_{lang}": caption_text(figure_id, df, lang),
                      f"caption_file_{lang}": caption_filename(figure_id, lang)})
    folder = out_dir / figure_id
    names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    for key, suffix in (("files", ""), ("files_nochrome", NOCHROME_SUFFIX)):
        pattern = re.compile(rf"^{re.escape(figure_id)}_({'|'.join(style.LANGUAGES)})_"
                             rf"({'|'.join(map(re.escape, style.SIZES))}){suffix}\.({'|'.join(style.FORMATS)})$")
        entry[key] = [f"{figure_id}/{name}" for name in names if pattern.match(name)]
    return entry


def write_manifest(out_dir: Path) -> Path:
    """Write ``manifest.json`` for every registered figure (files as found in *out_dir*), atomically."""
    target = out_dir / paths.FIGURE_MANIFEST.name
    entries = [manifest_entry(figure_id, out_dir) for figure_id in FIGURES]
    manifest = {"figures": entries, "layout": "<id>/<id>_<lang>_<size>.<ext> (without chrome: "
                "<id>/<id>_<lang>_<size>_nochrome.<ext>); data: <id>/<id>.csv; caption: <id>/<id>_caption_<lang>.txt",
                "languages": list(style.LANGUAGES), "sizes": list(style.SIZES), "formats": list(style.FORMATS),
                "png_dpi": {name: preset.png_dpi for name, preset in style.SIZES.items()}}
    write_text(target, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return target


def check_export_arguments(ids=None, formats=None, sizes=None, langs=None, chrome="full") -> tuple[list, list, list, list]:
    """Validate every argument before anything is drawn; ParameterError (one line) on the first bad one."""
    check_chrome(chrome)
    ids = _split_list(ids or ["all"], check_figure_id, "--only", list(FIGURES))
    formats = _split_list(formats or ["all"], style.check_format, "--format", list(style.FORMATS))
    sizes = _split_list(sizes or [style.DEFAULT_SIZE], lambda s: style.get_size(s).name, "--size", list(style.SIZES))
    langs = _split_list(langs or [style.DEFAULT_LANG], style.check_lang, "--lang", list(style.LANGUAGES))
    return ids, formats, sizes, langs


def export_figures(ids=None, formats=None, sizes=None, langs=None, out_dir: Path | str | None = None,
                   jobs: int = 1, chrome: str = "full", *, option: str = "--out") -> list[Path]:
    """Write figures, their CSVs, caption texts and the manifest into *out_dir* (default ``figures/``)
    as one set; return the paths written (inside *out_dir*).

    In this order, nothing written before the last step: every argument is checked
    (ParameterError), the output folder is checked (:func:`analysis.io.check_output_dir`, errors
    name *option*), the whole data package is validated (DataValidationError) and every figure
    prepared; then the files are written into a temporary copy of the current set and swapped in
    when all are written (:func:`analysis.io.atomic_directory`). Figures are rendered in memory,
    in *jobs* processes when more than one, and written as they come. *chrome* "none" draws the
    figures without title, subtitle and source line, into files named ``..._nochrome.<ext>``; the
    caption files hold that text either way.
    """
    from analysis.validation import validate_all

    ids, formats, sizes, langs = check_export_arguments(ids, formats, sizes, langs, chrome)
    out = Path(out_dir) if out_dir is not None else paths.FIGURES_DIR
    check_output_dir(out, option, kind=KIND)
    validate_all()
    for figure_id in FIGURES:  # every figure: the manifest describes them all
        raise_if_stopped()  # between steps, a stop whose exception got lost (see raise_if_stopped)
        prepared(figure_id)
    names: list[str] = []

    def write(folder: Path, name: str, content: str | bytes) -> None:
        (write_text if isinstance(content, str) else write_bytes)(folder / name, content)
        names.append(name)

    work = [(figure_id, lang, size, tuple(formats), chrome) for figure_id in ids for lang in langs for size in sizes]
    with atomic_directory(out, option=option, copy_existing=True, kind=KIND) as folder:
        for figure_id in ids:
            df = prepared(figure_id)
            write(folder, data_filename(figure_id), frame_to_csv(df))
            for lang in style.LANGUAGES:
                write(folder, caption_filename(figure_id, lang), caption_text(figure_id, df, lang) + "\n")
        with closing(iter_rendered(work, jobs)) as rendered:
            for (figure_id, lang, size, _, _), files in rendered:
                for fmt, data in files.items():
                    write(folder, figure_filename(figure_id, lang, size, fmt, chrome), data)
        raise_if_stopped()
        write_manifest(folder)
        names.append(paths.FIGURE_MANIFEST.name)
        raise_if_stopped()  # the last moment to keep the old set
    return [out / name for name in names]


def configure_figures(parser) -> None:
    """Options of ``python -m analysis figures``."""
    parser.add_argument("--format", action="append", metavar="FMT",
                        help=f"file formats, comma-separated ({', '.join(style.FORMATS)} or all; default all)")
    parser.add_argument("--size", action="append", metavar="PRESET",
                        help=f"size presets ({', '.join(style.SIZES)} or all; default {style.DEFAULT_SIZE})")
    parser.add_argument("--lang", action="append", metavar="LANG",
                        help=f"languages ({', '.join(style.LANGUAGES)} or all; default {style.DEFAULT_LANG})")
    parser.add_argument("--only", nargs="+", metavar="ID", help="figure ids (default: every figure)")
    parser.add_argument("--chrome", default="full", metavar="|".join(CHROMES),
                        help="full (default): title, subtitle and source line in the figure; none: left out "
                             "(files <id>_<lang>_<size>_nochrome.<ext>), for a caption that carries them: "
                             "<id>/<id>_caption_<lang>.txt and the manifest hold its text")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default figures/), replaced as a whole set (files of earlier runs kept)")
    parser.add_argument("--contact-sheet", default=None, metavar="PATH.pdf",  # a string: Path drops a final /
                        help="instead of exporting files, write one PDF with every figure (of --only) at the "
                             "--size, --lang and --chrome given, one labelled page each, for review")
    parser.add_argument("-j", "--jobs", type=int, default=DEFAULT_JOBS,
                        help=f"processes to render with (default {DEFAULT_JOBS}, the CPU count)")


def run_figures(args) -> int:
    """Export the figures; print one line per figure written and the manifest path."""
    if args.jobs < 1:
        raise ParameterError(f"--jobs={args.jobs}: must be >= 1")
    ids, formats, sizes, langs = check_export_arguments(args.only, args.format, args.size, args.lang, args.chrome)
    if args.contact_sheet is not None:
        from analysis.figures.contact import write_contact_sheet

        check_output_file(args.contact_sheet, "--contact-sheet")
        if Path(args.contact_sheet).suffix.lower() != ".pdf":
            raise ParameterError(f"--contact-sheet {args.contact_sheet}: must be a .pdf file")
        from analysis.validation import validate_all

        validate_all()  # the whole data package, before anything is drawn
        target = write_contact_sheet(Path(args.contact_sheet), ids, sizes, langs, args.chrome, jobs=args.jobs)
        print(f"wrote {target}: {len(ids) * len(sizes) * len(langs)} pages ({len(ids)} figures × {len(langs)} "
              f"languages × {len(sizes)} sizes, chrome {args.chrome})")
        return 0
    written = export_figures(ids, formats, sizes, langs, args.out, jobs=args.jobs, chrome=args.chrome)
    print(f"wrote {len(written)} files ({len(ids)} figures × {len(langs)} languages × {len(sizes)} sizes × "
          f"{len(formats)} formats{'' if args.chrome == 'full' else ' without chrome'}, CSVs, captions and the "
          f"manifest) into {written[-1].parent}")
    return 0
