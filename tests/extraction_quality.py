"""Extraction quality on the project's own fixture pages, each field scored on its own:

- body: precision, recall and F1 of body tokens (lower-cased English words, single Chinese
  characters) against the text written into each page, per language and per set of pages;
- title: exact match with the headline written into the page;
- date: the publication instant in UTC to the minute where the page writes a time, else the
  calendar day in the site's time zone;
- author: exact match (as the page spells it); a byline found where the page has none counts
  against it too.

Each with the sources' selectors ("configured") and with automatic extraction alone. The pages
are the tests' fixture sites and the demo site, so the measure lives with the tests
(tests/test_extract_quality.py holds it to its bounds); `python benchmarks/extraction_quality.py`
prints it.
"""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from crawler.extract import ExtractionError, extract
from crawler.quality import micro_average, score
from crawler.sources import load_sources

ROOT = Path(__file__).resolve().parent.parent

# The clock the fixture pages were fetched at: dates after it are not publication dates.
FETCHED_AT = "2026-01-31T00:00:00+00:00"


class Page(NamedTuple):
    set: str
    path: Path
    source: object
    lang: str
    tz: ZoneInfo
    paragraphs: list
    title: str
    published: str | None  # ISO UTC instant, or a YYYY-MM-DD day in `day_tz`; None: not scored
    author: object  # a name, None (no byline on the page) or False (the set does not say)
    day_tz: ZoneInfo


def fixture_pages():
    """Every fixture page with what was written into it."""
    sources = {s.id: s for s in load_sources()}
    site = ROOT / "tests" / "sites" / "real_sources"
    for page in json.loads((site / "expected.json").read_text("utf-8"))["page"]:
        source = sources[page["source"]]
        yield Page("real_sources", site / page["path"], source, source.language, source.tz, page["paragraphs"],
                   page["title"], page.get("published"), False, ZoneInfo("UTC"))  # "the UTC date"
    site = ROOT / "tests" / "sites" / "crawl_cases"
    for path, page in json.loads((site / "expected.json").read_text("utf-8"))["page"].items():
        lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in page["title"]) else "en"
        # The crawl's dates come from feeds and sitemaps for some of these pages: not scored here.
        yield Page("crawl_cases", site / path, None, lang, ZoneInfo("UTC"), page["paragraphs"], page["title"],
                   None, False, ZoneInfo("UTC"))
    site = ROOT / "tests" / "sites" / "page_structures"
    for path, page in json.loads((site / "expected.json").read_text("utf-8"))["page"].items():
        yield Page("page_structures", site / path, None, page["lang"], ZoneInfo(page["tz"]), page["paragraphs"],
                   page["title"], page["published"], page["author"], ZoneInfo(page["tz"]))


def demo_pages():
    site = ROOT / "parallax" / "sample_site"
    sources = {s.id: s for s in load_sources(site / "sources.toml", base="http://127.0.0.1")}
    for page in tomllib.loads((site / "expected.toml").read_text("utf-8"))["page"]:
        yield site / page["path"], sources[page["source"]], page


def date_right(got: str | None, want: str | None, tz: ZoneInfo) -> bool:
    """To the minute in UTC when a time was written; the local calendar day when only a date was."""
    if want is None:
        return got is None
    if got is None:
        return False
    if "T" in want:
        return got[:16] == datetime.fromisoformat(want).astimezone(ZoneInfo("UTC")).isoformat()[:16]
    return datetime.fromisoformat(got).astimezone(tz).date().isoformat() == want


def _f1(s) -> float:
    return 2 * s.precision * s.recall / (s.precision + s.recall) if s.precision + s.recall else 0.0


def measure() -> dict:
    fetched_at = datetime.fromisoformat(FETCHED_AT)
    results = {}
    for mode in ("configured", "automatic"):
        pairs, per_group, fields, failures = [], {}, {}, []
        for page in fixture_pages():
            use = page.source if mode == "configured" else None
            try:
                found = extract(page.path.read_bytes(), "http://127.0.0.1/" + page.path.name,
                                tz=page.tz, selectors=use.selectors if use else None,
                                date_format=use.date_format if use else None, fetched_at=fetched_at)
                text, title, published, author = found.text, found.title, found.published_at, found.author
            except ExtractionError as exc:
                text, title, published, author = "", "", None, None
                failures.append(f"{page.path.name}: {exc}")
            pair = (text, "\n\n".join(page.paragraphs))
            pairs.append(pair)
            for group in (page.set, page.lang):
                per_group.setdefault(group, []).append(pair)
            for group in ("all", page.set, page.lang):
                tally = fields.setdefault(group, {"title": [0, 0], "date": [0, 0], "author": [0, 0]})
                tally["title"][0] += title == page.title
                tally["title"][1] += 1
                if page.published is not None:
                    tally["date"][0] += date_right(published, page.published, page.day_tz)
                    tally["date"][1] += 1
                if page.author is not False:
                    tally["author"][0] += author == page.author
                    tally["author"][1] += 1
        demo = {"pages": 0, "paragraph_count_equal": 0, "must_found": 0, "must": 0, "must_not_leaked": 0}
        for path, source, page in demo_pages():
            use = source if mode == "configured" else None
            found = extract(path.read_bytes(), "http://127.0.0.1/" + page["path"], tz=source.tz,
                            selectors=use.selectors if use else None, date_format=source.date_format,
                            fetched_at=fetched_at)
            demo["pages"] += 1
            demo["paragraph_count_equal"] += len(found.text.split("\n\n")) == page["paragraphs"]
            demo["must"] += len(page["body_must"])
            demo["must_found"] += sum(p in found.text for p in page["body_must"])
            demo["must_not_leaked"] += sum(p in found.text for p in page.get("body_must_not", []))
        body = {name: micro_average(p) for name, p in [("all", pairs), *per_group.items()]}
        results[mode] = {
            "all": body["all"].__dict__,
            "body": {name: {"precision": round(s.precision, 3), "recall": round(s.recall, 3), "f1": round(_f1(s), 3)}
                     for name, s in body.items()},
            "fields": {group: {field: f"{right}/{total}" for field, (right, total) in tally.items()}
                       for group, tally in fields.items()},
            "worst_page": min((score(a, b).__dict__ for a, b in pairs), key=lambda s: min(s["precision"], s["recall"])),
            "titles_exact": fields["all"]["title"][0].__str__() + "/" + fields["all"]["title"][1].__str__(),
            "failures": failures,
            "demo": demo,
        }
    return results

