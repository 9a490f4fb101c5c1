"""Extraction quality on the project's own fixture pages: precision and recall of body tokens
against the text written into each page, with each source's selectors and with automatic
extraction only. Tokens: lower-cased English words and single Chinese characters.

    python benchmarks/extraction_quality.py
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extract import ExtractionError, extract  # noqa: E402
from crawler.quality import micro_average, score  # noqa: E402
from crawler.sources import load_sources  # noqa: E402


def fixture_pages():
    """(set, path, source or None, expected paragraphs, expected UTC date or None, title)."""
    sources = {s.id: s for s in load_sources()}
    site = ROOT / "tests" / "sites" / "real_sources"
    for page in json.loads((site / "expected.json").read_text("utf-8"))["page"]:
        yield "real_sources", site / page["path"], sources[page["source"]], page["paragraphs"], page["title"]
    site = ROOT / "tests" / "sites" / "crawl_cases"
    for path, page in json.loads((site / "expected.json").read_text("utf-8"))["page"].items():
        yield "crawl_cases", site / path, None, page["paragraphs"], page["title"]


def demo_pages():
    site = ROOT / "parallax" / "sample_site"
    sources = {s.id: s for s in load_sources(site / "sources.toml", base="http://127.0.0.1")}
    for page in tomllib.loads((site / "expected.toml").read_text("utf-8"))["page"]:
        yield site / page["path"], sources[page["source"]], page


def measure() -> dict:
    results = {}
    for mode in ("configured", "automatic"):
        pairs, per_set, titles = [], {}, [0, 0]
        for set_name, path, source, paragraphs, title in fixture_pages():
            use = source if mode == "configured" else None
            try:
                found = extract(path.read_bytes(), "http://127.0.0.1/" + path.name,
                                tz=use.tz if use else None, selectors=use.selectors if use else None,
                                date_format=use.date_format if use else None)
                text, got_title = found.text, found.title
            except ExtractionError:
                text, got_title = "", ""
            pairs.append((text, "\n\n".join(paragraphs)))
            per_set.setdefault(set_name, []).append((text, "\n\n".join(paragraphs)))
            titles[0] += got_title == title
            titles[1] += 1
        demo = {"pages": 0, "paragraph_count_equal": 0, "must_found": 0, "must": 0, "must_not_leaked": 0}
        for path, source, page in demo_pages():
            use = source if mode == "configured" else None
            found = extract(path.read_bytes(), "http://127.0.0.1/" + page["path"], tz=source.tz,
                            selectors=use.selectors if use else None, date_format=source.date_format)
            demo["pages"] += 1
            demo["paragraph_count_equal"] += len(found.text.split("\n\n")) == page["paragraphs"]
            demo["must"] += len(page["body_must"])
            demo["must_found"] += sum(p in found.text for p in page["body_must"])
            demo["must_not_leaked"] += sum(p in found.text for p in page.get("body_must_not", []))
        results[mode] = {
            "all": micro_average(pairs).__dict__,
            **{name: micro_average(p).__dict__ for name, p in per_set.items()},
            "worst_page": min((score(a, b).__dict__ for a, b in pairs), key=lambda s: min(s["precision"], s["recall"])),
            "titles_exact": f"{titles[0]}/{titles[1]}",
            "demo": demo,
        }
    return results


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
