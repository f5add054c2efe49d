"""Documents for people (plan letters, statements, development pages) as files.

Each document is a (title, fragment) pair: a fragment is simple HTML (a `<section>` with
h1-h3, p, table, ul, b, i, br, hr), so one text gives both a standalone HTML page
(`page_html`) and a PDF page (`write_pdf`). PDFs are drawn by fpdf2 (pure Python, so
`make run` works on a fresh machine with Python alone: WeasyPrint needs Pango's system
libraries, Chromium an apt package) in DejaVu Sans from matplotlib's own fonts, so names
such as "Zoë Ørsted" or "Łukasz" print; letters DejaVu lacks (Chinese, Japanese, Korean)
come from a system font when one is found, else they are left out and a note says which.

Speed: DejaVu is cut once (about 2 s a style, then kept in `font_cache()`) to the Latin,
Greek and Cyrillic letters and common signs: a short page took 0.23 s with the whole fonts,
0.07 s with the cut ones (fpdf2 reads the fonts of every document afresh); a document with a
letter outside that cut reads the whole font as a fallback. A letter's PDF is then mostly
fpdf2's layout.

`write_documents` writes a whole sales force in one call: one file per person and one
combined PDF per group (per manager), each atomically (`helpers.data.write_atomic`).
"""

from __future__ import annotations

import atexit
import html
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pandas as pd

from .data import write_atomic
from .errors import WorkbookError

FAMILY = "dejavu"
"""The PDF font family (DejaVu Sans, from matplotlib's fonts)."""

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
"""The creation date written into every PDF: the same documents give the same bytes."""

STYLES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
          "BI": "DejaVuSans-BoldOblique.ttf"}

COVERED = (*range(0x20, 0x250), *range(0x370, 0x530), *range(0x1E00, 0x1F00),
           *range(0x2000, 0x2070), *range(0x20A0, 0x20C1), 0x2116, 0x2122, 0x2212,
           0x2713, 0x2610, 0x2192, 0xFFFD)
"""The code points the cut DejaVu keeps: Latin (with extended and additional letters),
Greek, Cyrillic, punctuation, currency signs and a few symbols."""

CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
)
"""Where a font with Chinese, Japanese and Korean letters usually is (tried in order, then
`fc-list :lang=zh`)."""

MAX_STEM = 80


class DocumentError(WorkbookError, ValueError):
    """Documents that cannot be written as asked: no documents, a group naming a key that
    is not a document, an unknown format; the message names which.
    """


@dataclass(frozen=True)
class Rendered:
    """A PDF made from (title, fragment) pairs.

    Parameters
    ----------
    data : bytes
        The PDF file's bytes.
    pages : tuple of int
        Pages each fragment took, in order.
    notes : tuple of str, default ()
        What could not be rendered, in plain words (letters no font on this machine has).
    """

    data: bytes
    pages: tuple[int, ...]
    notes: tuple[str, ...] = ()


class Documents(dict):
    """Documents by key (key -> (title, fragment)) with `attrs`: `attrs["note"]` says in
    plain words what was left out and why, `attrs["skipped"]` maps each key left out to why.

    Parameters
    ----------
    *args
        As for `dict`.
    **kwargs
        As for `dict`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attrs: dict = {"note": "", "skipped": {}}


# --------------------------------------------------------------------------- HTML

CSS = """
@page { size: A4; margin: 18mm 16mm; }
html { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 11pt;
       line-height: 1.45; color: #1a1a1a; }
body { max-width: 180mm; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.25em; margin: 1.4em 0 .4em; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.05em; margin: 1.1em 0 .3em; }
.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .5em 0 1em; width: 100%; }
th, td { border: 1px solid #bbb; padding: .25em .5em; text-align: left;
         vertical-align: top; }
th { background: #f0f0f0; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
section { page-break-after: always; break-after: page; }
section:last-of-type { page-break-after: auto; break-after: auto; }
@media print {
  body { max-width: none; margin: 0; padding: 0; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"""


def page_html(title: str, body: str, *, subtitle: str = "") -> str:
    """A complete HTML page around a fragment: UTF-8, readable on screen, A4 when printed.

    Parameters
    ----------
    title : str
        The page's title (the browser tab; escaped here).
    body : str
        The HTML fragment (a `<section>`), inserted as it is.
    subtitle : str, default ""
        A line under the title at the top of the page (escaped here); none when empty.

    Returns
    -------
    str
        The page, starting with `<!DOCTYPE html>`.
    """
    top = (f'<p class="subtitle">{html.escape(subtitle)}</p>\n' if subtitle else "")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"{top}{body}\n</body>\n</html>\n")


# ---------------------------------------------------------------------------- fonts


def font_dir() -> Path:
    """The folder of matplotlib's TrueType fonts (DejaVu Sans and its styles).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font_cache() -> Path:
    """Where cut fonts are kept between runs: `$XDG_CACHE_HOME` (else `~/.cache`)
    `/sales-plan-workbook/fonts`.

    Returns
    -------
    pathlib.Path
        The folder (it may not exist yet).
    """
    home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(home) / "sales-plan-workbook" / "fonts"


@cache
def _cut_fonts() -> Path:
    """A temporary folder (removed at exit): where cut fonts go when the cache cannot be
    written (a read-only home).
    """
    folder = Path(tempfile.mkdtemp(prefix="helpers-fonts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def _cut_font(style: str) -> Path:
    """DejaVu Sans of `style` cut to `COVERED`: cut once (about 2 s a style) and kept in
    `font_cache()` under a name that changes with the font, fontTools and `COVERED`, so
    later runs and other processes read it; written atomically (two processes may cut at
    once and write the same bytes).
    """
    import hashlib

    import fontTools
    from fontTools import subset, ttLib

    source = font_dir() / STYLES[style]
    key = hashlib.sha256(source.read_bytes() + repr((fontTools.version, COVERED)).encode())
    name = f"cut-{key.hexdigest()[:16]}-{STYLES[style]}"
    for folder in (font_cache(), _cut_fonts()):
        if (folder / name).is_file():
            return folder / name
    font = ttLib.TTFont(source, recalcTimestamp=False)
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.drop_tables = [*options.drop_tables, "FFTM"]
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=COVERED)
    cutter.subset(font)
    try:
        font_cache().mkdir(parents=True, exist_ok=True)
        return write_atomic(font_cache() / name, lambda tmp: font.save(str(tmp)))
    except OSError:  # no cache to write: this process's own folder
        return write_atomic(_cut_fonts() / name, lambda tmp: font.save(str(tmp)))


@cache
def _cmap(path: str, number: int = 0) -> frozenset[int]:
    """The code points a font file has glyphs for."""
    from fontTools import ttLib

    font = ttLib.TTFont(path, lazy=True, fontNumber=number)
    try:
        return frozenset(font.getBestCmap() or ())
    finally:
        font.close()


@cache
def system_cjk_font() -> Path | None:
    """A font on this machine with Chinese, Japanese and Korean letters, or None.

    Returns
    -------
    pathlib.Path or None
        The first of `CJK_FONTS` that exists, else the first `fc-list :lang=zh` names;
        None when there is none (the PDF then leaves those letters out and says so).
    """
    for candidate in CJK_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    if shutil.which("fc-list"):
        try:
            found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True,
                                   text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for line in sorted(found.splitlines()):
            path = Path(line.split(":")[0].strip())
            if path.suffix.lower() in (".ttf", ".otf", ".ttc") and path.is_file():
                return path
    return None


def _text_of(fragment: str) -> str:
    """The characters a fragment shows (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<[^>]*>", " ", fragment))


def _missing_note(missing: set[str]) -> str:
    shown = "".join(sorted(missing))[:20]
    return (f"the PDF leaves out {len(missing)} letter(s) no font on this machine has "
            f"({shown}); the HTML page shows them. Install a font with them (for Chinese, "
            "Japanese or Korean names, e.g. Noto Sans CJK) to print them")


# ------------------------------------------------------------------------------ PDF


def _tag_styles():
    from fpdf.fonts import TextStyle

    return {"h1": TextStyle(font_style="B", font_size_pt=17, color="#1a1a1a", t_margin=2,
                            b_margin=2),
            "h2": TextStyle(font_style="B", font_size_pt=13, color="#1a1a1a", t_margin=5,
                            b_margin=1.5),
            "h3": TextStyle(font_style="B", font_size_pt=11, color="#333333", t_margin=4,
                            b_margin=1)}


WIDE_TABLE = 8
"""Columns from which a table is set in `WIDE_FONT_PT` on a PDF page: at 10 pt, ten
columns on A4 portrait split an amount like $1,482,491 over two lines."""
WIDE_FONT_PT = 7


def _for_pdf(body: str) -> str:
    """The fragment as fpdf2 should draw it: header cells aligned left like the cells under
    them (fpdf2 centres a `<th>` without `align`), wide tables in a smaller font.
    """
    body = re.sub(r"<th(?=[\s>])(?![^>]*\balign=)", '<th align="left"', body)
    return _narrow_wide_tables(body)


def _narrow_wide_tables(body: str) -> str:
    """Wrap each table of `WIDE_TABLE` or more header cells in a smaller font (fpdf2 reads
    `<font size>` as points; the HTML page keeps its own CSS, so this is for the PDF only).
    """
    def smaller(match: re.Match) -> str:
        table = match.group(0)
        head = table[:table.find("</tr>")]
        if head.count("<th") < WIDE_TABLE:
            return table
        return f'<font size="{WIDE_FONT_PT}">{table}</font>'

    return re.sub(r"<table\b.*?</table>", smaller, body, flags=re.S)


def render_pdf(pages: Sequence[tuple[str, str]], *,
               fallback_fonts: Sequence[str | Path] | None = None) -> Rendered:
    """One PDF of (title, fragment) pairs, each fragment starting on a new page, with its
    title and page number in the footer; the same pairs always give the same bytes.

    Parameters
    ----------
    pages : Sequence of (str, str)
        (title, HTML fragment) pairs, in order.
    fallback_fonts : Sequence of str or pathlib.Path, optional
        TrueType fonts for letters DejaVu Sans lacks, tried in order; None looks for a
        Chinese/Japanese/Korean font on this machine (`system_cjk_font`).

    Returns
    -------
    Rendered
        The bytes, the pages each fragment took and what could not be rendered.

    Raises
    ------
    DocumentError
        When `pages` is empty or a fragment cannot be laid out (the message names its title).
    """
    return _render(pages, fallback_fonts)[0]


def render_each(pages: Sequence[tuple[str, str]], *,
                fallback_fonts: Sequence[str | Path] | None = None) -> list[Rendered]:
    """A PDF per (title, fragment) pair, drawn together as one PDF and cut apart at each
    fragment's pages: fpdf2 reads and subsets the fonts once per PDF (about 0.3 s, more
    than a one-page letter's layout), so a batch pays it once. Each part keeps its own
    footer numbering and says only what its own fragment left out; the same pairs always
    give the same parts.

    Parameters
    ----------
    pages : Sequence of (str, str)
        (title, HTML fragment) pairs, in order.
    fallback_fonts : Sequence of str or pathlib.Path, optional
        As for `render_pdf`.

    Returns
    -------
    list of Rendered
        One per pair, in order.

    Raises
    ------
    DocumentError
        As `render_pdf`.
    """
    import io

    from pypdf import PdfReader, PdfWriter

    pages = list(pages)
    whole, outside = _render(pages, fallback_fonts)
    reader, start, parts = PdfReader(io.BytesIO(whole.data)), 0, []
    for (title, body), count in zip(pages, whole.pages, strict=True):
        writer = PdfWriter()
        for i in range(start, start + count):
            writer.add_page(reader.pages[i])
        start += count
        writer.add_metadata({"/Producer": "sales plan workbook"})
        buffer = io.BytesIO()
        writer.write(buffer)
        own = outside & set(_text_of(body) + title)
        parts.append(Rendered(buffer.getvalue(), (count,),
                              (_missing_note(own),) if own else ()))
    return parts


def _render(pages: Sequence[tuple[str, str]],
            fallback_fonts: Sequence[str | Path] | None) -> tuple[Rendered, set[str]]:
    """`render_pdf`, and the letters it left out."""
    pages = list(pages)
    if not pages:
        raise DocumentError("pages: no documents to put in the PDF")
    text = "".join(_text_of(body) + title for title, body in pages)
    chars = {ch for ch in set(text) if unicodedata.category(ch)[0] not in "CZ"}
    styles = {"", "B"} | ({"I", "BI"} if re.search(r"<(i|em)\b", "".join(
        b for _, b in pages), re.IGNORECASE) else set())
    outside = {ch for ch in chars if ord(ch) not in COVERED}
    fallbacks: list[tuple[str, Path]] = []
    if outside:
        full = font_dir() / STYLES[""]
        candidates = [full] + ([Path(p) for p in fallback_fonts] if fallback_fonts is not None
                               else [p for p in (system_cjk_font(),) if p is not None])
        for i, path in enumerate(candidates):
            has = {ch for ch in outside if ord(ch) in _cmap(str(path))}
            if has:
                fallbacks.append((f"fallback{i}", path))
                outside -= has
    notes = (_missing_note(outside),) if outside else ()

    pdf = _pdf_class()(format="A4", unit="mm")
    pdf.set_creation_date(CREATED)
    pdf.set_creator("helpers (sales plan workbook)")
    pdf.set_producer("fpdf2")
    pdf.set_margins(16, 15, 16)
    pdf.set_auto_page_break(True, margin=16)
    for style in sorted(styles):
        pdf.add_font(FAMILY, style, _cut_font(style))
    for name, path in fallbacks:
        pdf.add_font(name, "", path)
    if fallbacks:
        pdf.set_fallback_fonts([name for name, _ in fallbacks], exact_match=False)
    if outside:  # letters no font has are left out rather than drawn as boxes
        drop = str.maketrans(dict.fromkeys(map(ord, outside)))
        pages = [(title.translate(drop), body.translate(drop)) for title, body in pages]
    counts = []
    styles_html = _tag_styles()
    for title, body in pages:
        pdf.add_page()  # draws the footer of the page before: its own title and number
        pdf.running, pdf.first = title, pdf.page_no()
        pdf.set_font(FAMILY, size=10)
        try:
            pdf.write_html(_for_pdf(body), font_family=FAMILY,
                           tag_styles=styles_html,
                           table_line_separators=True, warn_on_tags_not_matching=False)
        except Exception as exc:  # fpdf2 raises plain errors on layouts it cannot draw
            raise DocumentError(f"{title}: cannot be laid out as a PDF page "
                                f"({type(exc).__name__}: {exc})") from None
        counts.append(pdf.page_no() - pdf.first + 1)
    return Rendered(bytes(pdf.output()), tuple(counts), notes), outside


@cache
def _pdf_class():
    """FPDF with a footer: the document's title and its own page number."""
    from fpdf import FPDF

    class Pdf(FPDF):
        running = ""
        first = 1

        def footer(self):
            self.set_y(-11)
            self.set_font(FAMILY, size=8)
            self.set_text_color(110)
            self.cell(0, 6, f"{self.running} · page {self.page_no() - self.first + 1}",
                      align="C")
            self.set_text_color(0)

    return Pdf


def write_pdf(pages: Sequence[tuple[str, str]], path: str | Path, *,
              fallback_fonts: Sequence[str | Path] | None = None) -> Path:
    """Write (title, fragment) pairs as ONE PDF, each fragment from a new page, atomically.

    Parameters
    ----------
    pages : Sequence of (str, str)
        (title, HTML fragment) pairs, in order.
    path : str or pathlib.Path
        The PDF file (its folder is created).
    fallback_fonts : Sequence of str or pathlib.Path, optional
        Fonts for letters DejaVu Sans lacks (see `render_pdf`).

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    DocumentError
        When `pages` is empty or a fragment cannot be laid out.
    """
    rendered = render_pdf(pages, fallback_fonts=fallback_fonts)
    return write_atomic(path, lambda tmp: tmp.write_bytes(rendered.data))


def document_for(docs: Mapping[str, tuple[str, str]], key: str, *,
                 who: str = "rep") -> tuple[str, str]:
    """One person's document, as the run writes it: what a viewer shows when a key is picked
    or typed, so a letter can be read before hundreds go out.

    Parameters
    ----------
    docs : Mapping of str to (str, str)
        Key -> (title, HTML fragment), e.g. `plan_letters(...)`; its `attrs["skipped"]`
        (a `Documents`) says why a key has none.
    key : str
        The key typed or picked (spaces around it ignored).
    who : str, default "rep"
        What a key is, for the message.

    Returns
    -------
    (str, str)
        The title and the HTML fragment.

    Raises
    ------
    DocumentError
        When no key is given, or `docs` has none for it (with why, when it says).
    """
    key = str(key).strip()
    if not key:
        raise DocumentError(f"{who}: none chosen; type or pick one")
    if key not in docs:
        why = getattr(docs, "attrs", {}).get("skipped", {}).get(key)
        raise DocumentError(f"no {who} {key!r} has a document" + (f": {why}" if why else ""))
    return docs[key]


# ------------------------------------------------------------------------- in bulk


def safe_names(keys: Sequence[str]) -> dict[str, str]:
    """A safe, unique file stem for each key: letters (any script), digits, `-`, `_` and
    `.` inside; never a path (`../x` -> `x`, `a/b` -> `a_b`), never hidden, never a Windows
    device name; keys that would share a stem (or differ only in case) get `_2`, `_3`...
    in the order given.

    Parameters
    ----------
    keys : Sequence of str
        The documents' keys (e.g. rep_ids).

    Returns
    -------
    dict of str to str
        Key -> stem (at most `MAX_STEM` characters).
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for key in keys:
        text = unicodedata.normalize("NFKC", str(key))
        stem = re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE)
        stem = re.sub(r"_{2,}", "_", stem).strip("._- ")[:MAX_STEM].strip("._- ") or "document"
        if stem.split(".")[0].lower() in _DEVICES:
            stem = "_" + stem
        base, n = stem, 1
        while stem.lower() in used:
            n += 1
            stem = f"{base[:MAX_STEM - len(str(n)) - 1]}_{n}"
        used.add(stem.lower())
        out[str(key)] = stem
    return out


_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
            *(f"lpt{i}" for i in range(1, 10))}


def group_by(table: pd.DataFrame, by: str, *, key: str = "rep_id",
             keys: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Keys by group, for `write_documents(groups=...)`: e.g. rep_ids by manager_id.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with `key` and `by` (e.g. the roster).
    by : str
        The column to group on; rows with no value are grouped as "no <by>".
    key : str, default "rep_id"
        The column holding the documents' keys.
    keys : Sequence of str, optional
        Keep only these keys (e.g. the reps that got a letter).

    Returns
    -------
    dict of str to list of str
        Group -> its keys, groups and keys sorted as text (so row order never matters).

    Raises
    ------
    DocumentError
        When `table` lacks `key` or `by`.
    """
    missing = [c for c in (key, by) if c not in table.columns]
    if missing:
        raise DocumentError(f"table: no column {', '.join(missing)} to group documents by "
                            f"(found {', '.join(map(str, table.columns))})")
    frame = pd.DataFrame({"key": table[key].astype("string"),
                          "group": table[by].astype("string").fillna(f"no {by}")})
    if keys is not None:
        frame = frame[frame["key"].isin(pd.Index(pd.array(list(keys), dtype="string")))]
    return {str(g): sorted(map(str, part["key"]))
            for g, part in sorted(frame.groupby("group", sort=False), key=lambda x: str(x[0]))}


FORMATS = ("html", "pdf")


def write_documents(docs: Mapping[str, tuple[str, str]], folder: str | Path, *,
                    groups: Mapping[str, Sequence[str]] | None = None,
                    formats: Sequence[str] = FORMATS, progress: bool = False,
                    group_folder: str = "by_manager",
                    fallback_fonts: Sequence[str | Path] | None = None,
                    workers: int | None = None) -> pd.DataFrame:
    """Write every document as files: `<key>.html` and `<key>.pdf` per key (keys made safe
    file names by `safe_names`) and one combined PDF per group, `<group_folder>/<group>.pdf`,
    each written atomically.

    Parameters
    ----------
    docs : Mapping of str to (str, str)
        Key -> (title, HTML fragment), e.g. `plan_letters(...)`.
    folder : str or pathlib.Path
        Where to write (created if missing); nothing is written outside it.
    groups : Mapping of str to Sequence of str, optional
        Group -> its keys in the order they are combined (e.g. `group_by(roster,
        "manager_id", keys=docs)`); a group with no documents gets no file.
    formats : Sequence of str, default ("html", "pdf")
        Which files per key: "html", "pdf" or both (group files are PDFs when "pdf" is in).
    progress : bool, default False
        Show a progress bar (tqdm) over the files.
    group_folder : str, default "by_manager"
        The subfolder of the combined PDFs (made safe like a key).
    fallback_fonts : Sequence of str or pathlib.Path, optional
        Fonts for letters DejaVu Sans lacks (see `render_pdf`).
    workers : int, optional
        Processes drawing PDFs (default `WORKERS`; 1 draws them in this process).

    Returns
    -------
    pandas.DataFrame
        One row per file written: `key` (empty for a group file), `group` (the key's
        groups joined by ", ", or the group of a group file), `format`, `file` (relative
        to `folder`), `pages` (PDF pages; 1 for an HTML page) and `note` (what the PDF
        left out, else ""); `attrs["note"]` joins the notes.

    Raises
    ------
    DocumentError
        When a format is unknown, or a group names a key that is not a document.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise DocumentError(f"formats: {unknown or 'none'} (use {', '.join(FORMATS)})")
    folder = Path(folder)
    groups = dict(groups or {})
    stray = {g: [k for k in keys if k not in docs] for g, keys in groups.items()}
    stray = {g: ks for g, ks in stray.items() if ks}
    if stray:
        g, ks = next(iter(stray.items()))
        raise DocumentError(f"groups[{g!r}]: {len(ks)} key(s) that are not documents "
                            f"({', '.join(map(str, ks[:5]))})")
    names = safe_names(list(docs))
    group_names = safe_names(list(groups))
    sub = safe_names([group_folder])[group_folder]
    member = {}
    for g, keys in groups.items():
        for k in keys:
            member.setdefault(k, []).append(str(g))
    total = len(docs) * len(formats) + (len(groups) if "pdf" in formats else 0)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="documents", unit="file")
    rows = []
    pages_of: dict[str, int] = {}
    pdfs: dict[str, Rendered] = {}
    pool = _pool(len(docs), WORKERS if workers is None else workers) if "pdf" in formats else None
    batches = [list(docs.values())[i:i + BATCH] for i in range(0, len(docs), BATCH)]
    drawn = (pool.map(_render_batch, batches, itertools.repeat(fallback_fonts))
             if pool is not None else map(_render_batch, batches,
                                          itertools.repeat(fallback_fonts)))
    renders = itertools.chain.from_iterable(drawn) if "pdf" in formats else None
    try:
        for key, (title, body) in docs.items():
            stem = names[str(key)]
            if "html" in formats:
                page = page_html(title, body)
                write_atomic(folder / f"{stem}.html",
                             lambda tmp, page=page: tmp.write_text(page, encoding="utf-8"))
                rows.append((key, ", ".join(member.get(key, [])), "html", f"{stem}.html", 1,
                             ""))
                if bar is not None:
                    bar.update()
            if "pdf" in formats:
                rendered = next(renders)
                write_atomic(folder / f"{stem}.pdf",
                             lambda tmp, data=rendered.data: tmp.write_bytes(data))
                pages_of[key] = rendered.pages[0]
                pdfs[key] = rendered
                rows.append((key, ", ".join(member.get(key, [])), "pdf", f"{stem}.pdf",
                             rendered.pages[0], "; ".join(rendered.notes)))
                if bar is not None:
                    bar.update()
        if "pdf" in formats:
            for g, keys in groups.items():
                if keys:  # the members' own PDFs joined: each page is drawn once
                    data = _joined([pdfs[k].data for k in keys])
                    name = f"{sub}/{group_names[str(g)]}.pdf"
                    write_atomic(folder / name, lambda tmp, data=data: tmp.write_bytes(data))
                    notes = sorted({n for k in keys for n in pdfs[k].notes})
                    rows.append(("", str(g), "pdf", name, sum(pages_of[k] for k in keys),
                                 "; ".join(notes)))
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    table = pd.DataFrame(rows, columns=["key", "group", "format", "file", "pages", "note"])
    table = table.astype({"key": "string", "group": "string", "format": "string",
                          "file": "string", "pages": "int64", "note": "string"})
    notes = sorted({n for n in table["note"] if n})
    table.attrs["note"] = "; ".join(notes)
    return table


WORKERS = min(2, os.cpu_count() or 1)
"""Processes that draw PDFs side by side (fpdf2 is pure Python: one core a process)."""
POOL_FROM = 32
"""Fewer documents than this are drawn in this process (starting workers costs more)."""
BATCH = 16
"""Documents drawn as one PDF and cut apart (`render_each`); a fixed size, so the parts'
bytes do not depend on the machine's cores."""


def _render_batch(docs: list[tuple[str, str]], fallback_fonts=None) -> list[Rendered]:
    return render_each(docs, fallback_fonts=fallback_fonts)


def _pool(n: int, workers: int = WORKERS):
    """`workers` processes for `n` PDFs (None for few documents or one worker), forked from
    a fork server that has imported this module: safe in a process running other threads
    (the run writes its reports meanwhile), and quick to start, the fonts being cut once
    here into `font_cache` first. Without a fork server (not Linux): the platform's default.
    """
    from concurrent.futures import ProcessPoolExecutor

    if n < POOL_FROM or workers < 2:
        return None
    return ProcessPoolExecutor(workers, mp_context=worker_context())


def worker_context():
    """The multiprocessing context of processes that draw documents: a fork server that has
    imported this module (Linux), else the platform's default; the fonts are cut first,
    once, into `font_cache`, so no worker cuts them again.

    Returns
    -------
    multiprocessing.context.BaseContext
        The context.
    """
    import multiprocessing

    render_pdf([("", "<p>.</p>")])
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _joined(parts: Sequence[bytes]) -> bytes:
    """PDFs one after another in one file (pypdf), with no date: same parts, same bytes."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    writer.add_metadata({"/Producer": "sales plan workbook"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


__all__ = ["CJK_FONTS", "COVERED", "CREATED", "FAMILY", "FORMATS", "MAX_STEM", "DocumentError",
           "Documents", "Rendered", "document_for", "font_cache", "font_dir", "group_by",
           "page_html", "render_each", "render_pdf", "safe_names", "system_cjk_font",
           "write_documents", "write_pdf"]


# ------------------------------------------------------------------ the run's documents
QUEUE = "documents"
"""The run folder's subfolder: `<kind>.json` queued by the notebooks, `<kind>/` written."""


def queue_documents(docs: Mapping[str, tuple[str, str]], out: str | Path, kind: str, *,
                    groups: Mapping[str, Sequence[str]] | None = None,
                    roster: pd.DataFrame | None = None, note: str | None = None) -> Path:
    """Keep a notebook's documents for the run's documents stage: the notebook decides what
    each says (the same objects it shows), `write_queued` renders them -- the slow part,
    hundreds of PDFs -- once, with a progress bar (`python -m helpers run` or `documents`).

    Parameters
    ----------
    docs : Mapping of str to (str, str)
        Key -> (title, HTML fragment).
    out : str or pathlib.Path
        The run's output folder.
    kind : str
        What they are, e.g. "letters" (the JSON file's and the folder's name).
    groups : Mapping of str to Sequence of str, optional
        Group -> keys, for one combined PDF per group (`group_by`).
    roster : pandas.DataFrame, optional
        Instead of `groups`: the roster, for one PDF per manager (`manager_id`) when it
        names managers.
    note : str, optional
        What the documents left out, said again when they are written (default: the
        documents' `attrs["note"]`, as `plan_letters` gives it).

    Returns
    -------
    pathlib.Path
        `<out>/documents/<kind>.json`.
    """
    import json

    if note is None:
        note = getattr(docs, "attrs", {}).get("note", "")
    if groups is None and roster is not None and "manager_id" in roster:
        groups = group_by(roster, "manager_id", keys=list(docs))
    record = {"kind": kind, "note": note,
              "docs": {str(k): [str(t), str(f)] for k, (t, f) in docs.items()},
              "groups": {str(g): [str(k) for k in keys] for g, keys in (groups or {}).items()}}
    path = Path(out) / QUEUE / f"{safe_names([kind])[kind]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, lambda tmp: tmp.write_text(json.dumps(record, ensure_ascii=False),
                                                         encoding="utf-8"))


def write_queued(out: str | Path, *, formats: Sequence[str] = FORMATS,
                 progress: bool = False, kinds: Sequence[str] | None = None,
                 workers: int | None = None) -> pd.DataFrame:
    """Write every queued kind's documents into `<out>/documents/<kind>/` (`write_documents`:
    a page and a PDF per key, a combined PDF per group).

    Parameters
    ----------
    out : str or pathlib.Path
        The run's output folder.
    formats : Sequence of str, default ("html", "pdf")
        Which files per key.
    progress : bool, default False
        One progress bar per kind.
    kinds : Sequence of str, optional
        Only these kinds (default: every kind queued).
    workers : int, optional
        Processes drawing PDFs (see `write_documents`).

    Returns
    -------
    pandas.DataFrame
        The files written (`write_documents`'s table with a `kind` column); `attrs["note"]`
        joins the kinds' notes.

    Raises
    ------
    DocumentError
        When a queued file is not one `queue_documents` wrote.
    """
    import json

    folder, tables, notes = Path(out) / QUEUE, [], []
    for path in queued(out, kinds):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            docs = {k: (t, f) for k, (t, f) in record["docs"].items()}
            groups, kind = record["groups"], record["kind"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DocumentError(f"{path.name}: not a queued documents file ({exc})") from None
        if progress:
            print(f"{kind}: {len(docs):,} documents", flush=True)
        table = write_documents(docs, folder / path.stem, groups=groups or None,
                                formats=formats, progress=progress, workers=workers)
        tables.append(table.assign(kind=kind))
        notes += [n for n in (record.get("note", ""), table.attrs.get("note", "")) if n]
    out_table = (pd.concat(tables, ignore_index=True) if tables
                 else pd.DataFrame(columns=["key", "group", "format", "file", "pages", "note",
                                            "kind"]))
    out_table.attrs["note"] = "; ".join(notes)
    return out_table


def queued(out: str | Path, kinds: Sequence[str] | None = None) -> list[Path]:
    """The queue files in `<out>/documents/` (of `kinds` only, when given), by name.

    Parameters
    ----------
    out : str or pathlib.Path
        The run's output folder.
    kinds : Sequence of str, optional
        The kinds wanted (default: all).

    Returns
    -------
    list of pathlib.Path
        `<kind>.json` files, sorted.
    """
    files = sorted((Path(out) / QUEUE).glob("*.json"))
    return files if kinds is None else [f for f in files if f.stem in set(kinds)]
