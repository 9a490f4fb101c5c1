"""The crawler's extraction, run on pages saved to disk: how a researcher checks a new source's
selectors, or re-reads pages fetched by other tools, without crawling.

The bytes are read as saved (as served), so decoding follows the same order as in a crawl: the
forced encoding, a BOM, valid UTF-8, the page's own meta charset, then a GBK/Big5 guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

from crawler.extract import ExtractionError, extract
from parallax.errors import ConfigError


@dataclass(frozen=True)
class SavedPageResult:
    file: str
    url: str
    title: str | None
    published_at: str | None
    author: str | None
    lang: str | None
    text: str | None
    encoding: str | None = None
    error: str | None = None

    def to_json(self) -> dict:
        out = {"file": self.file, "url": self.url, "title": self.title, "published_at": self.published_at,
               "author": self.author, "lang": self.lang, "text": self.text}
        if self.error:
            out["error"] = self.error
        return out


def extract_saved(files: Iterable[str | Path], source=None, url: str | None = None,
                  encoding: str | None = None, max_bytes: int = 20_000_000) -> Iterator[SavedPageResult]:
    """One result per file, in order. A page without an article gives a result with `error` (the
    same reason the crawler would store), so one bad file does not stop a batch of hundreds."""
    from nlp.langid import detect

    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"encoding {encoding!r} is not one Python knows; try gb18030, big5 or utf-8") from None
    tz = source.tz if source else ZoneInfo("UTC")
    selectors = source.selectors if source else {}
    date_format = source.date_format if source else None
    forced = encoding or (source.encoding if source else None)
    for file in files:
        path = Path(file)
        page_url = url or path.resolve().as_uri()
        try:
            body = path.read_bytes()
        except OSError as exc:
            yield SavedPageResult(str(file), page_url, None, None, None, None, None,
                                  error=f"cannot read {file}: {exc.strerror}")
            continue
        try:
            found = extract(body, page_url, tz=tz, encoding=forced, selectors=selectors,
                            date_format=date_format, max_bytes=max_bytes)
        except ExtractionError as exc:
            yield SavedPageResult(str(file), page_url, None, None, None, None, None, error=str(exc))
            continue
        lang = detect(found.title + "\n" + found.text[:1000]) or (source.language if source else None)
        yield SavedPageResult(str(file), page_url, found.title, found.published_at, found.author, lang,
                              found.text, encoding=found.encoding)
