"""Documents as files: HTML pages, PDFs (fpdf2), a whole sales force written in one call."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.documents import (
    MAX_STEM,
    DocumentError,
    Documents,
    document_for,
    font_dir,
    group_by,
    page_html,
    render_each,
    render_pdf,
    safe_names,
    system_cjk_font,
    write_documents,
    write_pdf,
)

PAGE = re.compile(rb"/Type /Page\b(?!s)")


def pdf_pages(data: bytes) -> int:
    """Pages in a PDF: its page objects (fpdf2 writes their dictionaries uncompressed)."""
    return len(PAGE.findall(data))


def fragment(name: str, paragraphs: int = 1) -> str:
    body = "".join(f"<p>Paragraph {i} for {name}: " + "words " * 60 + "</p>"
                   for i in range(paragraphs))
    return (f"<section><h1>Letter for {name}</h1><table><thead><tr><th>Month</th>"
            f"<th>Target</th></tr></thead><tbody><tr><td>January</td><td>$1,000.00</td></tr>"
            f"</tbody></table>{body}</section>")


def test_page_html_is_a_whole_escaped_page():
    page = page_html("Plan <2027> & co", "<section><p>body</p></section>",
                     subtitle="for <Zoë>")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert "<title>Plan &lt;2027&gt; &amp; co</title>" in page
    assert "for &lt;Zoë&gt;" in page
    assert "<section><p>body</p></section>" in page
    assert "size: A4" in page and "@media print" in page
    assert "subtitle" not in page_html("t", "<p>b</p>").split("<body>")[1]


def test_pdf_pages_follow_the_fragments():
    short, long = fragment("Ann"), fragment("Bob", paragraphs=40)
    rendered = render_pdf([("Ann", short), ("Bob", long), ("Cy", short)])
    assert rendered.data.startswith(b"%PDF")
    assert rendered.pages[0] == 1 and rendered.pages[2] == 1
    assert rendered.pages[1] >= 2  # a long letter flows onto more pages
    assert pdf_pages(rendered.data) == sum(rendered.pages)
    assert rendered.notes == ()


def test_same_input_same_bytes_and_a_change_shows():
    pages = [("Zoë", fragment("Zoë Ørsted")), ("Łukasz", fragment("Łukasz"))]
    first, again = render_pdf(pages).data, render_pdf(pages).data
    assert first == again
    assert render_pdf([pages[0], ("Łukasz", fragment("Lukasz"))]).data != first


def test_same_bytes_in_another_process():
    """The cut font is made afresh in each process: it must not change the PDF."""
    import hashlib
    import subprocess
    import sys

    code = ("import hashlib, sys; from helpers.documents import render_pdf; "
            "print(hashlib.sha256(render_pdf([('Zoë', sys.argv[1])]).data).hexdigest())")
    body = fragment("Zoë Ørsted")
    out = subprocess.run([sys.executable, "-c", code, body], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == hashlib.sha256(render_pdf([("Zoë", body)]).data).hexdigest()


def test_render_each_cuts_one_drawing_into_each_documents_own_pdf():
    """Drawn as one PDF and cut apart: each part has exactly its fragment's pages, with
    its own text and none of its neighbours', and says only what its own text lost."""
    from pypdf import PdfReader

    docs = [("Ann", fragment("Ann")), ("Bob", fragment("Bob", paragraphs=40)),
            ("张伟", fragment("张伟")), ("Cy", fragment("Cy"))]
    parts = render_each(docs, fallback_fonts=[])
    assert len(parts) == len(docs)
    whole = render_pdf(docs, fallback_fonts=[])
    assert tuple(p.pages[0] for p in parts) == whole.pages
    for (title, _), part in zip(docs, parts, strict=True):
        reader = PdfReader(io.BytesIO(part.data))
        assert len(reader.pages) == part.pages[0]
        text = " ".join(page.extract_text() for page in reader.pages)
        others = {t for t, _ in docs if t != title and t != "张伟"}
        if title != "张伟":
            assert f"Letter for {title}" in text
        assert not any(f"Letter for {o}" in text for o in others)
        assert f"{title if title != '张伟' else ''} · page 1".strip() in text
    assert [bool(p.notes) for p in parts] == [False, False, True, False]
    assert "张" in parts[2].notes[0]
    again = render_each(docs, fallback_fonts=[])
    assert [p.data for p in again] == [p.data for p in parts]


def test_cut_fonts_are_kept_between_runs_and_give_the_same_bytes(tmp_path):
    """The first process cuts the fonts into the cache, the next reads them: same PDF bytes
    as a process that cut its own; a cache that cannot be written is done without."""
    import os
    import subprocess
    import sys

    code = ("import hashlib, sys; from helpers.documents import render_pdf; "
            "print(hashlib.sha256(render_pdf([('Zoë', sys.argv[1])]).data).hexdigest())")
    body = fragment("Zoë Ørsted")

    def digest(cache: Path) -> str:
        return subprocess.run([sys.executable, "-c", code, body], capture_output=True,
                              text=True, check=True, cwd=Path(__file__).parent.parent,
                              env={**os.environ, "XDG_CACHE_HOME": str(cache)}).stdout.strip()

    first = digest(tmp_path / "cache")
    kept = sorted((tmp_path / "cache" / "sales-plan-workbook" / "fonts").iterdir())
    assert [p.name.startswith("cut-") and p.suffix == ".ttf" for p in kept] == [True, True]
    stamps = [p.stat().st_mtime_ns for p in kept]
    assert digest(tmp_path / "cache") == first  # read back, not cut again
    assert [p.stat().st_mtime_ns for p in kept] == stamps
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    assert digest(blocked) == first


def test_letters_beyond_latin_render_without_a_note():
    names = ["Zoë Ørsted", "Łukasz Wąsik", "Дмитрий Иванов", "Νίκος", "Ħarry Ŧest"]
    rendered = render_pdf([(n, fragment(n)) for n in names])
    assert rendered.notes == ()
    assert pdf_pages(rendered.data) == len(names)
    # beyond the cut font's letters, the whole DejaVu prints them (Georgian, Armenian)
    beyond = render_pdf([("გიორგი", fragment("გიორგი Արամ"))], fallback_fonts=[])
    assert beyond.notes == ()
    plain = render_pdf([("x", fragment("x"))], fallback_fonts=[])
    # one more font embedded: the fallback (regular and bold cut fonts are always there)
    assert beyond.data.count(b"/FontFile2") == plain.data.count(b"/FontFile2") + 1


def test_letters_no_font_has_are_left_out_with_a_note():
    rendered = render_pdf([("张伟", fragment("张伟 Zoë"))], fallback_fonts=[])
    assert rendered.data.startswith(b"%PDF")
    assert len(rendered.notes) == 1
    assert "张" in rendered.notes[0] and "伟" in rendered.notes[0]
    assert "2 letter(s)" in rendered.notes[0]


def test_a_fallback_font_prints_what_dejavu_lacks():
    fallback = font_dir() / "LastResortHE-Regular.ttf"  # has a glyph for every code point
    rendered = render_pdf([("张伟", fragment("张伟"))], fallback_fonts=[fallback])
    assert rendered.notes == ()
    # the system's own: a CJK font when one is installed, else a note (never a crash)
    own = render_pdf([("张伟", fragment("张伟"))])
    assert (own.notes == ()) == (system_cjk_font() is not None)


def test_write_pdf_writes_one_file_atomically(tmp_path):
    path = write_pdf([("a", fragment("a")), ("b", fragment("b"))], tmp_path / "x" / "all.pdf")
    assert path == tmp_path / "x" / "all.pdf"
    assert pdf_pages(path.read_bytes()) == 2
    assert [p.name for p in path.parent.iterdir()] == ["all.pdf"]  # no temporary left
    with pytest.raises(DocumentError, match="pages"):
        write_pdf([], tmp_path / "none.pdf")


def test_unsafe_keys_stay_in_the_folder(tmp_path):
    keys = ["../x", "a/b", "a_b", "..", "/etc/passwd", "C:\\evil", ".hidden", "con", "R1"]
    docs = {k: (f"Doc {k}", fragment(k)) for k in keys}
    folder = tmp_path / "out"
    table = write_documents(docs, folder, formats=("html",))
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == len(keys)
    assert all(p.resolve().is_relative_to(folder.resolve()) for p in written)
    assert all(not p.name.startswith(".") for p in written)
    assert sorted(table["key"]) == sorted(keys)
    assert table["file"].is_unique
    names = safe_names(keys)
    assert names["../x"] == "x" and names["a/b"] == "a_b" and names["a_b"] != "a_b"[:0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=120), max_size=30))
def test_safe_names_are_unique_plain_file_stems(keys):
    names = safe_names(keys)
    stems = [names[str(k)] for k in dict.fromkeys(keys)]
    assert len({s.lower() for s in stems}) == len(stems)  # unique, whatever the case rules
    for s in stems:
        assert s and len(s) <= MAX_STEM
        assert "/" not in s and "\\" not in s and "\x00" not in s
        assert not s.startswith(".") and s not in (".", "..")


def test_one_file_per_key_and_one_pdf_per_group(tmp_path):
    roster = pd.DataFrame({"rep_id": ["R3", "R1", "R2", "R4", "R5"],
                           "manager_id": ["M2", "M1", "M1", "M2", None]})
    docs = {r: (f"Letter {r}", fragment(r, paragraphs=1 + 30 * (r == "R2")))
            for r in roster["rep_id"]}
    groups = group_by(roster, "manager_id")
    assert groups == {"M1": ["R1", "R2"], "M2": ["R3", "R4"], "no manager_id": ["R5"]}
    table = write_documents(docs, tmp_path, groups=groups, progress=True)
    per_key = table[table["key"] != ""]
    assert (per_key["format"] == "pdf").sum() == len(docs)
    assert (per_key["format"] == "html").sum() == len(docs)
    assert len(list(tmp_path.glob("*.pdf"))) == len(docs)
    assert len(list(tmp_path.glob("*.html"))) == len(docs)
    pages = per_key[per_key["format"] == "pdf"].set_index("key")["pages"]
    assert pages["R2"] >= 2 and pages["R1"] == 1
    for g, keys in groups.items():
        data = (tmp_path / "by_manager" / f"{safe_names([g])[g]}.pdf").read_bytes()
        assert data.startswith(b"%PDF")
        assert pdf_pages(data) == sum(pages[k] for k in keys)
        row = table[(table["key"] == "") & (table["group"] == g)]
        assert row["pages"].item() == pdf_pages(data)
    for r in docs:
        assert pdf_pages((tmp_path / f"{r}.pdf").read_bytes()) == pages[r]
        html = (tmp_path / f"{r}.html").read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and docs[r][1] in html
    assert table.attrs["note"] == ""
    assert not [p for p in tmp_path.rglob(".*")]  # every file moved into place whole


def test_groups_follow_keys_not_rows():
    roster = pd.DataFrame({"rep_id": [f"R{i}" for i in range(12)],
                           "manager_id": [f"M{i % 3}" for i in range(12)]})
    shuffled = roster.sample(frac=1, random_state=3)
    assert group_by(shuffled, "manager_id") == group_by(roster, "manager_id")
    assert group_by(roster, "manager_id", keys=["R1", "R4"]) == {"M1": ["R1", "R4"]}
    with pytest.raises(DocumentError, match="team"):
        group_by(roster, "team")


def test_bad_requests_are_refused(tmp_path):
    docs = {"R1": ("t", fragment("R1"))}
    with pytest.raises(DocumentError, match="R9"):
        write_documents(docs, tmp_path, groups={"M1": ["R1", "R9"]})
    with pytest.raises(DocumentError, match="formats"):
        write_documents(docs, tmp_path, formats=("docx",))
    assert not list(Path(tmp_path).iterdir())


def test_the_note_of_a_missing_letter_reaches_the_table(tmp_path):
    docs = {"R1": ("张伟", fragment("张伟")), "R2": ("Ann", fragment("Ann"))}
    table = write_documents(docs, tmp_path, groups={"M1": ["R1", "R2"]}, formats=("pdf",),
                            fallback_fonts=[])
    notes = table.set_index(["key", "group"])["note"]
    assert "张" in notes[("R1", "M1")] and notes[("R2", "M1")] == ""
    assert "张" in notes[("", "M1")]
    assert "张" in table.attrs["note"]


def test_a_wide_table_keeps_each_amount_on_one_line_in_the_pdf():
    """Ten columns on A4 portrait: amounts are not split over two lines (a wide table is set
    smaller on the PDF page), read back from the PDF's own text."""
    import io

    from pypdf import PdfReader

    amounts = [f"${n:,}.17" for n in (482_491, 402_177, 100_600, 288_301)]  # split at 10 pt
    head = "".join(f"<th>Column {i}</th>" for i in range(10))
    rows = "".join("<tr>" + "".join(f"<td>{a}</td>" for _ in range(10)) + "</tr>"
                   for a in amounts)
    data = render_pdf([("Wide", f"<section><table><tr>{head}</tr>{rows}</table></section>")]).data
    lines = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).splitlines()
    for amount in amounts:
        assert sum(line.count(amount) for line in lines) == 10, amount


def test_document_for_gives_the_persons_own_page_or_says_why_not():
    docs = Documents({"R1": ("Ann", "<p>Ann</p>"), "R2": ("Bob", "<p>Bob</p>")})
    docs.attrs["skipped"] = {"R9": "left in March"}
    assert document_for(docs, " R2 ") == ("Bob", "<p>Bob</p>")
    with pytest.raises(DocumentError, match=r"no rep 'R9' has a document: left in March"):
        document_for(docs, "R9")
    with pytest.raises(DocumentError, match=r"no manager 'M1' has a document$"):
        document_for(docs, "M1", who="manager")
    with pytest.raises(DocumentError, match="none chosen"):
        document_for({"R1": ("Ann", "")}, "  ")


def test_queued_documents_are_written_by_kind_and_each_kind_once(tmp_path):
    """The run draws the kinds queued early beside the next notebook (`kinds=`, one worker)
    and the rest after: together they write what one call writes; a bad queue file is named."""
    from helpers.documents import queue_documents, queued, write_queued

    docs = {f"R{i}": (f"Rep {i}", fragment(f"Rep {i}")) for i in range(3)}
    queue_documents(docs, tmp_path, "letters", groups={"M1": ["R0", "R2"]})
    queue_documents({"M1": ("Team", fragment("Team"))}, tmp_path, "leaderboards")
    assert [p.stem for p in queued(tmp_path)] == ["leaderboards", "letters"]
    assert [p.stem for p in queued(tmp_path, ["letters", "nothing"])] == ["letters"]
    first = write_queued(tmp_path, kinds=["letters"], workers=1)
    assert set(first["kind"]) == {"letters"}
    assert not (tmp_path / "documents" / "leaderboards").exists()
    assert (first["format"] == "pdf").sum() == 4  # three reps and one manager
    rest = write_queued(tmp_path, kinds=["leaderboards"], formats=("html",))
    assert list(rest["file"]) == ["M1.html"]
    (tmp_path / "documents" / "broken.json").write_text("{}")
    with pytest.raises(DocumentError, match="broken.json: not a queued documents file"):
        write_queued(tmp_path, kinds=["broken"])


def test_pdf_headers_line_up_with_their_columns():
    """A header starts where its column's cells start (fpdf2 would centre it)."""
    from pypdf import PdfReader

    page = ('<section><table><thead><tr><th>Month</th><th>Target</th></tr></thead><tbody>'
            '<tr><td>January</td><td>$1,000.00</td></tr></tbody></table></section>')
    x = {}

    def seen(text, cm, tm, *_):
        if text.strip():
            x[text.strip()] = round(tm[4] * cm[0] + cm[4], 1)

    PdfReader(io.BytesIO(render_pdf([("t", page)]).data)).pages[0].extract_text(
        visitor_text=seen)
    assert x["Month"] == x["January"] and x["Target"] == x["$1,000.00"]
    assert x["Target"] > x["Month"] + 50
