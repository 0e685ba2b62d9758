"""The report's typefaces for the site and its PDFs, fetched from a package registry.

Noto Sans SC, Regular and Bold (Simplified Chinese, with Latin), and Noto Sans, Regular, Bold,
Italic and Bold Italic (Latin), all under the SIL Open Font License 1.1. PyPI has no wheel with
a bold Noto Sans SC (the figures' Regular comes from ``pylopdf-fonts-zh-cn``, see
:mod:`analysis.style`), so these come from the npm registry: ``npm pack`` of a pinned version,
checked against the registry's SHA-512 integrity, unpacked into ``.cache/fonts/report/`` once.

- The PDFs (Typst) use the files as they are: :func:`typst_font_dir`.
- The web pages use WOFF2 subsets of every one of them holding exactly the characters the pages
  show (:func:`web_fonts`), so no page depends on the reader's system fonts. Latin text is set in
  Noto Sans first: Noto Sans SC draws punctuation such as ’ and “ full-width, as Chinese wants it.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.errors import AnalysisError
from analysis.io import write_bytes


@dataclass(frozen=True)
class Package:
    """A pinned npm package holding font files: name, version and the registry's integrity string."""

    name: str
    version: str
    integrity: str  # "sha512-<base64>", as `npm view NAME@VERSION dist.integrity` prints it

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class FontFile:
    """One font file of the report: the package and member it comes from, its file name here."""

    package: Package
    member: str
    name: str
    family: str
    weight: int
    italic: bool = False


NOTO_SANS_SC = Package("@expo-google-fonts/noto-sans-sc", "0.4.3",
                       "sha512-9rAwdFTFHbO/u6Cs0gj2jZbW74TGIiaFNQnXYH2s5wA1bzVkwbaviL4t8YUV642eGYjg86eH6DkAEQmfNHDncQ==")
NOTO_SANS = Package("@embedpdf/fonts-latin", "1.0.0",
                    "sha512-LLYysdr8O6sRNzhmW3PbF3AeA8xnqvOi4XLFfIfNlW5uEZ+qsJdcfd78Q78sFJMhlaOAYFMziMMsnOzmx463rA==")
CJK_FAMILY = "Noto Sans SC"
LATIN_FAMILY = "Noto Sans"
FONT_FILES = (
    FontFile(NOTO_SANS_SC, "package/400Regular/NotoSansSC_400Regular.ttf", "NotoSansSC-Regular.ttf", CJK_FAMILY, 400),
    FontFile(NOTO_SANS_SC, "package/700Bold/NotoSansSC_700Bold.ttf", "NotoSansSC-Bold.ttf", CJK_FAMILY, 700),
    FontFile(NOTO_SANS, "package/fonts/NotoSans-Regular.ttf", "NotoSans-Regular.ttf", LATIN_FAMILY, 400),
    FontFile(NOTO_SANS, "package/fonts/NotoSans-Bold.ttf", "NotoSans-Bold.ttf", LATIN_FAMILY, 700),
    FontFile(NOTO_SANS, "package/fonts/NotoSans-Italic.ttf", "NotoSans-Italic.ttf", LATIN_FAMILY, 400, True),
    FontFile(NOTO_SANS, "package/fonts/NotoSans-BoldItalic.ttf", "NotoSans-BoldItalic.ttf", LATIN_FAMILY, 700, True),
)
LICENCE_MEMBERS = {NOTO_SANS_SC: "package/LICENSE_FONT", NOTO_SANS: "package/LICENSE"}
LICENCE_NAME = "OFL.txt"
WEB_FAMILY_PREFIX = "Dasuhe "  # the web subsets' families: "Dasuhe Noto Sans", "Dasuhe Noto Sans SC"


def web_font_name(file: FontFile) -> str:
    """The file name of a font's web subset: ``NotoSansSC-Bold-subset.woff2``."""
    return f"{Path(file.name).stem}-subset.woff2"


def _npm_pack(package: Package, folder: Path) -> Path:
    """``npm pack`` *package* into *folder* (once), checked against its integrity; the tarball's path."""
    folder.mkdir(parents=True, exist_ok=True)
    algorithm, expected = package.integrity.split("-", 1)
    for existing in folder.glob("*.tgz"):
        if base64.b64encode(hashlib.new(algorithm, existing.read_bytes()).digest()).decode() == expected:
            return existing
    npm = shutil.which("npm")
    if npm is None:
        raise AnalysisError(f"npm not found: it fetches the report's fonts ({package.spec}); "
                            "install Node.js and npm (Debian: apt-get install npm)")
    try:
        result = subprocess.run([npm, "pack", package.spec, "--json", "--pack-destination", str(folder)],
                                capture_output=True, text=True, timeout=600, cwd=folder,
                                env={**os.environ, "npm_config_cache": str(folder / ".npm-cache"),
                                     "npm_config_update_notifier": "false", "npm_config_fund": "false"})
    except subprocess.TimeoutExpired:
        raise AnalysisError(f"npm pack {package.spec}: no answer from the registry within 600 s") from None
    shutil.rmtree(folder / ".npm-cache", ignore_errors=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise AnalysisError(f"npm pack {package.spec} failed: {lines[-1] if lines else 'no message'}")
    name = json.loads(result.stdout)[0]["filename"].replace("@", "").replace("/", "-")
    tarball = folder / name
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        tarball.unlink()
        raise AnalysisError(f"npm pack {package.spec}: integrity {algorithm}-{digest[:16]}... "
                            f"does not match the pinned {package.integrity[:24]}...")
    return tarball


def font_dir() -> Path:
    """``.cache/fonts/report/``: every file of FONT_FILES and the licence, fetched and unpacked once."""
    target = paths.FONTS_CACHE_DIR / "report"
    missing = [f for f in FONT_FILES if not (target / f.name).is_file()]
    if missing or not (target / LICENCE_NAME).is_file():
        for package in sorted({f.package for f in FONT_FILES}, key=lambda p: p.name):
            tarball = _npm_pack(package, paths.FONTS_CACHE_DIR / "npm" / package.name.replace("/", "+"))
            with tarfile.open(tarball) as archive:
                for f in FONT_FILES:
                    if f.package == package:
                        write_bytes(target / f.name, archive.extractfile(f.member).read())
                if package == NOTO_SANS_SC:
                    write_bytes(target / LICENCE_NAME, archive.extractfile(LICENCE_MEMBERS[package]).read())
    return target


def typst_font_dir(into: Path) -> Path:
    """A folder *into* holding the report's font files (hard links where possible) and nothing else:
    what Typst gets as its font path (it searches a font path recursively)."""
    source = font_dir()
    into.mkdir(parents=True, exist_ok=True)
    for f in FONT_FILES:
        target = into / f.name
        if not target.exists():
            try:
                target.hardlink_to(source / f.name)
            except OSError:
                shutil.copy2(source / f.name, target)
    return into


def web_fonts(text: str) -> dict[str, bytes]:
    """``{file name: bytes}``: a WOFF2 subset of each of FONT_FILES holding the characters of *text*
    it has (plus printable ASCII), and the OFL licence text. Deterministic; cached in
    ``.cache/fonts/web/``."""
    from fontTools import subset

    codepoints = sorted({ord(ch) for ch in text if ord(ch) >= 0x20} | set(range(0x20, 0x7F)))
    source = font_dir()
    out = {LICENCE_NAME: (source / LICENCE_NAME).read_bytes()}
    for file in FONT_FILES:
        name = web_font_name(file)
        key = hashlib.sha256((file.name + ":" + ",".join(map(str, codepoints))).encode()).hexdigest()[:20]
        cached = paths.FONTS_CACHE_DIR / "web" / f"{Path(name).stem}-{key}.woff2"
        if not cached.is_file():
            options = subset.Options()
            options.flavor = "woff2"
            options.layout_features = ["kern", "liga", "locl"]
            options.name_IDs = ["*"]
            options.notdef_outline = True
            with subset.load_font(str(source / file.name), options, lazy=True) as font:
                subsetter = subset.Subsetter(options)
                subsetter.populate(unicodes=codepoints)
                subsetter.subset(font)
                buffer = io.BytesIO()
                subset.save_font(font, buffer, options)
            write_bytes(cached, buffer.getvalue())
        out[name] = cached.read_bytes()
    return out


def web_font_css() -> str:
    """The ``@font-face`` rules of the web subsets, for ``fonts/fonts.css`` (the fonts beside it)."""
    rules = []
    for file in FONT_FILES:
        rules.append(
            "@font-face {\n"
            f'  font-family: "{WEB_FAMILY_PREFIX}{file.family}";\n'
            f'  src: url("{web_font_name(file)}") format("woff2");\n'
            f"  font-weight: {file.weight};\n"
            f"  font-style: {'italic' if file.italic else 'normal'};\n"
            "  font-display: swap;\n"
            "}\n")
    return "".join(rules)
