"""Statements published only as PDF: text with page breaks kept, or a flag when there is none.

Ministries and associations often post the signed statement as a PDF. pypdf reads the text layer;
a scanned PDF has none, and is stored and flagged (status `no_text`) rather than dropped, so a
researcher still sees that the statement exists.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from crawler.dates import parse_date
from crawler.extract import ExtractionError

PAGE_BREAK = "\f"  # stored as its own paragraph between pages; readers skip it, the body keeps it
_SENTENCE_END = re.compile(r"[。！？!?.:：;；]$")


def is_pdf(body: bytes, content_type: str | None = None) -> bool:
    return body[:1024].lstrip().startswith(b"%PDF") or "application/pdf" in (content_type or "").lower()


@dataclass
class PdfText:
    title: str
    text: str  # paragraphs separated by blank lines; pages separated by a PAGE_BREAK paragraph
    published_at: str | None
    pages: int
    has_text: bool


def _paragraphs(page_text: str) -> list[str]:
    """Re-join the lines of a page into paragraphs: a line that does not end a sentence continues."""
    paragraphs, current = [], ""
    for line in (l.strip() for l in page_text.splitlines()):
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        joiner = "" if (current and re.match(r"[\u3400-\u9fff]", current[-1])) else " "
        current = f"{current}{joiner}{line}" if current else line
        if _SENTENCE_END.search(line) and len(current) > 60:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _junk_title(title: str) -> bool:
    """PDF metadata titles are often the producing file's name or a word processor's default."""
    lowered = title.lower()
    return (not title or lowered.startswith(("untitled", "microsoft word", "document"))
            or bool(re.search(r"\.(html?|docx?|pdf|odt|rtf|txt)$", lowered)))


def _heading(page_text: str, tz) -> str:
    """The heading at the top of a page: its first lines, up to a date line, a sentence or a body line.

    A large heading often wraps onto two or three lines of the text layer."""
    lines: list[str] = []
    for line in (l.strip() for l in page_text.splitlines()):
        if not line:
            if lines:
                break
            continue
        if lines and (parse_date(line, tz) or len(line) > 80 or len(" ".join(lines)) > 150):
            break
        lines.append(line)
        if _SENTENCE_END.search(line) or len(lines) == 3:
            break
    joiner = "" if lines and re.search(r"[\u3400-\u9fff]$", lines[0]) else " "
    return joiner.join(lines)[:200]


def extract_pdf(body: bytes, tz, max_bytes: int = 20_000_000) -> PdfText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if len(body) > max_bytes:
        raise ExtractionError(f"PDF is {len(body):,} bytes, over the limit of {max_bytes:,}")
    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ExtractionError(f"PDF is not readable: {exc}") from None
    per_page = [_paragraphs(t) for t in pages]
    blocks: list[str] = []
    for i, paragraphs in enumerate(per_page):
        if i and blocks:
            blocks.append(PAGE_BREAK)
        blocks.extend(paragraphs)
    while blocks and blocks[-1] == PAGE_BREAK:
        blocks.pop()
    has_text = any(per_page)
    title = str(meta.get("/Title") or "").strip()
    if has_text and _junk_title(title):
        title = _heading(next(t for t in pages if t.strip()), tz)
    text = "\n\n".join(blocks)
    published = parse_date(text[:600], tz) if has_text else None
    if published is None and meta.get("/CreationDate"):
        raw = str(meta["/CreationDate"])  # D:20250719143000+08'00'
        m = re.match(r"D:(\d{4})(\d{2})(\d{2})", raw)
        if m:
            published = parse_date(f"{m.group(1)}-{m.group(2)}-{m.group(3)}", tz)
    return PdfText(title=title, text=text, published_at=published, pages=len(pages), has_text=has_text)
