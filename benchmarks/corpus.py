"""A deterministic, realistic bilingual corpus for the benchmarks, built once and cached.

Document `i` is generated from its own random stream (seeded with `seed:i`), so the corpus of any
size is a prefix of every larger one and the cache only ever grows: `make bench SIZE=100000` after
`SIZE=10000` generates the 90,000 missing documents and reuses the rest.

The shape follows what the project's sources publish (see `PARAMETERS`, written into every result
file):

* language mix: 55 % English, 45 % Chinese sources; of the Chinese, the Hong Kong and Taiwan
  outlets publish in Traditional characters;
* kinds: 40 % statements (associations, ministries, companies), 60 % news;
* length: statements 3-8 paragraphs, news 5-14, each 2-4 sentences (English sentences ~15-25
  words, Chinese ~25-40 characters), titles 5-12 words;
* entity density: every sentence template names one to three entities or terms (organisations,
  places, people, laws from `nlp/data/entities.toml`; terms from `nlp/data/glossary.tsv`), drawn with
  a Zipf-like skew so a few names (SIA, CSIA, the ministries) dominate, as they do in real coverage;
  English text names an organisation by its abbreviation 30 % of the time, and 4 % of English
  documents give a Chinese name in brackets; 6 % of Chinese documents quote an English paragraph;
* duplicates: 8 % of documents are republished near-copies of one of the previous 2,000 (another
  outlet, a changed title, a dropped paragraph, a credit line, one to three days later); 35 % of
  Chinese near-copies are converted to Traditional characters, as Hong Kong and Taiwan reposts are.

The cache is a SQLite file under `benchmarks/corpus/` (gitignored), named for the seed, the
generator's version and the vocabulary's fingerprint, so a change to any of them starts a new file.
"""

from __future__ import annotations

import datetime as dt
import bisect
import functools
import json
import multiprocessing
import os
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from benchmarks import templates as tpl
from benchmarks.vocabulary import Vocabulary
from crawler.sources import SourceIdentity

GENERATOR_VERSION = "1"
CACHE_DIR = Path(__file__).resolve().parent / "corpus"

PARAMETERS = {
    "english_share": 0.55,
    "statement_share": 0.40,
    "statement_paragraphs": [3, 8],
    "news_paragraphs": [5, 14],
    "sentences_per_paragraph": [2, 4],
    "duplicate_rate": 0.08,
    "duplicate_window": 2000,
    "traditional_share_of_chinese_duplicates": 0.35,
    "english_abbreviation_share": 0.30,
    "english_docs_with_chinese_names": 0.04,
    "chinese_docs_with_english_paragraph": 0.06,
    "name_skew_exponent": 0.8,
    "dates": ["2023-01-01", "2026-10-31"],
}


@dataclass(frozen=True)
class SyntheticSource(SourceIdentity):
    host: str
    traditional: bool = False


SOURCES = (
    SyntheticSource("sia", "Semiconductor Industry Association", "Semiconductor Industry Association",
                    "en", "association", "US", "sia.example"),
    SyntheticSource("commerce", "Bureau of Industry and Security", "Bureau of Industry and Security",
                    "en", "government", "US", "commerce.example"),
    SyntheticSource("chipco", "ChipCo Investor Relations", "ChipCo Investor Relations",
                    "en", "company", "US", "chipco.example"),
    SyntheticSource("wire", "Tech Wire", "Tech Wire", "en", "news", "US", "wire.example"),
    SyntheticSource("ledger", "The Trade Ledger", "The Trade Ledger", "en", "news", "GB", "ledger.example"),
    SyntheticSource("csia", "中国半导体行业协会", "China Semiconductor Industry Association",
                    "zh", "association", "CN", "csia.example"),
    SyntheticSource("mofcom", "商务部", "Ministry of Commerce", "zh", "government", "CN", "mofcom.example"),
    SyntheticSource("xinchip", "芯科投资者关系", "Xinchip Investor Relations", "zh", "company", "CN",
                    "xinchip.example"),
    SyntheticSource("chipnews", "芯闻网", "Chip News", "zh", "news", "CN", "chipnews.example"),
    SyntheticSource("hkpost", "香港財經報", "Hong Kong Financial Post", "zh", "news", "HK",
                    "hkpost.example", traditional=True),
    SyntheticSource("twtimes", "台灣科技時報", "Taiwan Tech Times", "zh", "news", "TW",
                    "twtimes.example", traditional=True),
)
_BY_ID = {s.id: s for s in SOURCES}


@dataclass(frozen=True)
class CorpusDocument:
    i: int
    source_id: str
    lang: str
    kind: str
    country: str
    url: str
    title: str
    body: str  # paragraphs separated by blank lines, as the store keeps them
    published_at: str
    duplicate_of: int | None

    @property
    def nbytes(self) -> int:
        return len(self.title.encode("utf-8")) + len(self.body.encode("utf-8"))


@functools.lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t").convert


@functools.lru_cache(maxsize=4096)
def _simplified_aliases(name) -> tuple[str, ...]:
    """A name's Chinese aliases already in Simplified form (Traditional comes from conversion)."""
    to_simplified = _t2s()
    return tuple(a for a in name.zh_aliases if to_simplified(a) == a)


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s").convert


def _skewed(items: tuple, exponent: float) -> tuple[tuple, list[float], float, int]:
    """(items, cumulative weights, their total, last index): what `random.choices(items,
    cum_weights=...)` reads, kept so that `_pick` makes the same draw without its overhead."""
    weights, total = [], 0.0
    for rank in range(len(items)):
        total += 1.0 / (rank + 1) ** exponent
        weights.append(total)
    return items, weights, weights[-1] + 0.0 if weights else 0.0, len(items) - 1


class Generator:
    """Document `i` of the corpus for a seed and a vocabulary; pure, so any `i` can be regenerated.

    Every draw from the document's random stream is part of the corpus (a changed draw changes
    every later word of the document), so speed-ups here must keep the draws as they are: `_pick`
    is `random.choices(items, cum_weights=...)[0]` written out (one `random()` and a bisection),
    and each name's spoken forms are looked up once per vocabulary instead of once per use."""

    def __init__(self, vocab: Vocabulary, seed: int = 20251):
        self.vocab, self.seed = vocab, seed
        k = PARAMETERS["name_skew_exponent"]
        places = vocab.of_type("GPE") + vocab.of_type("LOC")
        self.pools = {
            "org": _skewed(vocab.of_type("ORG"), k),
            "gpe": _skewed(places, k),
            "person": _skewed(vocab.of_type("PERSON") or vocab.of_type("ORG"), k),
            "law": _skewed(vocab.of_type("LAW") or vocab.of_type("ORG"), k),
            "term": _skewed(vocab.terms, k),
        }
        # Per pool and language: (cumulative weights, total, last index, [(name, aliases)]).
        self.spoken = {}
        for pool, (items, cum, total, hi) in self.pools.items():
            for lang in ("en", "zh"):
                if pool == "term":
                    forms = [((t.en if lang == "en" else t.zh), ()) for t in items]
                elif lang == "en":
                    forms = [(n.en, n.en_aliases) for n in items]
                else:
                    forms = [(n.zh, _simplified_aliases(n)) for n in items]
                self.spoken[pool, lang] = (cum, total, hi, forms)
        start, end = (dt.date.fromisoformat(d) for d in PARAMETERS["dates"])
        self.start, self.days = start, (end - start).days
        self.en_sources = [s for s in SOURCES if s.language == "en"]
        self.zh_sources = [s for s in SOURCES if s.language == "zh"]

    def _pick(self, rng: random.Random, pool: str):
        items, cum, total, hi = self.pools[pool]
        return items[bisect.bisect_right(cum, rng.random() * total, 0, hi)]

    def _name(self, rng: random.Random, pool: str, lang: str) -> str:
        cum, total, hi, forms = self.spoken[pool, lang]
        name, aliases = forms[bisect.bisect_right(cum, rng.random() * total, 0, hi)]
        if aliases and rng.random() < (PARAMETERS["english_abbreviation_share"] if lang == "en" else 0.15):
            return rng.choice(aliases)
        return name

    def _fill(self, rng: random.Random, template: str, lang: str) -> str:
        months = tpl.EN_MONTHS if lang == "en" else tpl.ZH_MONTHS
        slots = {
            "org": self._name(rng, "org", lang), "org2": self._name(rng, "org", lang),
            "gpe": self._name(rng, "gpe", lang), "gpe2": self._name(rng, "gpe", lang),
            "person": self._name(rng, "person", lang), "law": self._name(rng, "law", lang),
            "term": self._name(rng, "term", lang), "term2": self._name(rng, "term", lang),
            "n": str(rng.randint(2, 95)), "month": rng.choice(months), "year": str(rng.randint(2024, 2027)),
        } if "{" in template else {}
        return template.format(**slots)

    def _paragraph(self, rng: random.Random, lang: str) -> str:
        lo, hi = PARAMETERS["sentences_per_paragraph"]
        sentences = tpl.EN_SENTENCES if lang == "en" else tpl.ZH_SENTENCES
        joiner = " " if lang == "en" else ""
        return joiner.join(self._fill(rng, rng.choice(sentences), lang) for _ in range(rng.randint(lo, hi)))

    def document(self, i: int) -> CorpusDocument:
        rng = random.Random(f"{self.seed}:{i}")
        if i >= 20 and rng.random() < PARAMETERS["duplicate_rate"]:
            origin = rng.randrange(max(0, i - PARAMETERS["duplicate_window"]), i)
            return self._near_copy(rng, i, self.document(origin))
        lang = "en" if rng.random() < PARAMETERS["english_share"] else "zh"
        statement = rng.random() < PARAMETERS["statement_share"]
        pool = self.en_sources if lang == "en" else self.zh_sources
        candidates = [s for s in pool if (s.kind != "news") == statement]
        source = rng.choice(candidates)
        lo, hi = PARAMETERS["statement_paragraphs" if statement else "news_paragraphs"]
        paragraphs = [self._paragraph(rng, lang) for _ in range(rng.randint(lo, hi))]
        if lang == "en" and rng.random() < PARAMETERS["english_docs_with_chinese_names"]:
            org = self._pick(rng, "org")
            paragraphs[0] = f"{org.en} ({org.zh}) " + paragraphs[0]
        if lang == "zh" and rng.random() < PARAMETERS["chinese_docs_with_english_paragraph"]:
            paragraphs.insert(rng.randint(1, len(paragraphs)), self._paragraph(rng, "en"))
        titles = tpl.EN_TITLES if lang == "en" else tpl.ZH_TITLES
        title = self._fill(rng, rng.choice(titles), lang)
        if source.traditional:
            convert = _to_traditional()
            title, paragraphs = convert(title), [convert(p) for p in paragraphs]
        day = self.start + dt.timedelta(days=rng.randrange(self.days))
        published = f"{day.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+00:00"
        url = f"https://{source.host}/{'news' if not statement else 'press'}/{day.year}/{i:07d}.html"
        return CorpusDocument(i, source.id, lang, source.kind, source.country, url, title,
                              "\n\n".join(paragraphs), published, None)

    def _near_copy(self, rng: random.Random, i: int, origin: CorpusDocument) -> CorpusDocument:
        lang = origin.lang
        news = [s for s in (self.en_sources if lang == "en" else self.zh_sources)
                if s.kind == "news" and s.id != origin.source_id]
        traditional = lang == "zh" and rng.random() < PARAMETERS["traditional_share_of_chinese_duplicates"]
        if lang == "zh":
            news = [s for s in news if s.traditional == traditional] or news
        source = rng.choice(news)
        paragraphs = origin.body.split("\n\n")
        if len(paragraphs) > 3 and rng.random() < 0.3:
            del paragraphs[rng.randrange(1, len(paragraphs))]
        credit = rng.choice(tpl.EN_REPUBLISH if lang == "en" else tpl.ZH_REPUBLISH)
        paragraphs.append(credit.format(org=_BY_ID[origin.source_id].name))
        title = origin.title
        if rng.random() < 0.4:
            title = ("Repost: " if lang == "en" else "转载：") + title
        if traditional:
            convert = _to_traditional()
            title, paragraphs = convert(title), [convert(p) for p in paragraphs]
        day = dt.date.fromisoformat(origin.published_at[:10]) + dt.timedelta(days=rng.randint(1, 3))
        published = day.isoformat() + origin.published_at[10:]
        url = f"https://{source.host}/news/{day.year}/{i:07d}.html"
        return CorpusDocument(i, source.id, lang, source.kind, source.country, url, title,
                              "\n\n".join(paragraphs), published, origin.i)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    i INTEGER PRIMARY KEY, source_id TEXT NOT NULL, lang TEXT NOT NULL, kind TEXT NOT NULL,
    country TEXT NOT NULL, url TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
    published_at TEXT NOT NULL, duplicate_of INTEGER
);
"""


_CHUNK = 5000
_WORKER_GENERATOR: "Generator | None" = None


def usable_cores() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _rows(generator: Generator, start: int, end: int) -> list[tuple]:
    out = []
    for i in range(start, end):
        d = generator.document(i)
        out.append((d.i, d.source_id, d.lang, d.kind, d.country, d.url, d.title, d.body,
                    d.published_at, d.duplicate_of))
    return out


def _generate_rows(chunk: tuple[int, int]) -> list[tuple]:
    return _rows(_WORKER_GENERATOR, *chunk)


class Corpus:
    """The cached corpus: `ensure(n)` generates what is missing, `documents(n)` reads the first n."""

    def __init__(self, vocab: Vocabulary, seed: int = 20251, cache_dir: Path = CACHE_DIR):
        self.generator = Generator(vocab, seed)
        self.vocab, self.seed = vocab, seed
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / f"corpus-s{seed}-g{GENERATOR_VERSION}-{vocab.fingerprint}.sqlite"
        self.conn = sqlite3.connect(self.path)
        self.conn.executescript(_SCHEMA)
        parameters = json.dumps({**PARAMETERS, "seed": seed, "vocabulary": vocab.origin})
        # Written only when it changes: another run reading the cache meanwhile holds it locked.
        if self.conn.execute("SELECT value FROM meta WHERE key = 'parameters'").fetchone() != (parameters,):
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('parameters', ?)", (parameters,))
            self.conn.commit()

    def __len__(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0]

    def ensure(self, n: int, progress=None, workers: int | None = None, chunk: int = _CHUNK) -> int:
        """Generate documents up to `n`, in `workers` processes (default: one per usable core);
        returns how many were generated now. Documents are pure functions of their number, so
        the processes share nothing and the result does not depend on how many there were."""
        have = len(self)
        chunks = [(a, min(a + chunk, n)) for a in range(have, n, chunk)]
        workers = workers or usable_cores()
        if workers > 1 and len(chunks) > 1:
            global _WORKER_GENERATOR
            _WORKER_GENERATOR = self.generator  # inherited by the forked processes
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for (_, end), rows in zip(chunks, pool.imap(_generate_rows, chunks)):
                    self._made(rows, end, n, progress)
        else:
            for chunk in chunks:
                self._made(_rows(self.generator, *chunk), chunk[1], n, progress)
        return max(0, n - have)

    def _made(self, rows: list[tuple], end: int, n: int, progress) -> None:
        self._insert(rows)
        if progress:
            progress(end, n)

    def _insert(self, rows: list[tuple]) -> None:
        if rows:
            self.conn.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            self.conn.commit()

    def documents(self, n: int, start: int = 0) -> Iterator[CorpusDocument]:
        cursor = self.conn.execute("SELECT * FROM docs WHERE i >= ? AND i < ? ORDER BY i", (start, start + n))
        for row in cursor:
            yield CorpusDocument(*row)

    def lineage(self, n: int) -> Iterator[tuple[int, str, int | None]]:
        """(i, url, duplicate_of) of the first n documents, without their text."""
        return iter(self.conn.execute("SELECT i, url, duplicate_of FROM docs WHERE i < ? ORDER BY i", (n,)))

    def sample(self, n: int) -> list[CorpusDocument]:
        """The first n documents (the same mix as the whole; the corpus has no order by kind)."""
        return list(self.documents(n))

    def stats(self, n: int) -> dict:
        row = self.conn.execute(
            "SELECT COUNT(*), SUM(lang='en'), SUM(duplicate_of IS NOT NULL), "
            "SUM(length(CAST(title AS BLOB)) + length(CAST(body AS BLOB))), "
            "AVG(length(body) - length(replace(body, char(10)||char(10), '')))/2 + 1 "
            "FROM docs WHERE i < ?", (n,)).fetchone()
        count, en, dups, nbytes, paragraphs = row
        return {"documents": count, "english_share": round(en / count, 3) if count else 0,
                "duplicate_share": round(dups / count, 3) if count else 0,
                "bytes": nbytes, "mean_bytes": round(nbytes / count) if count else 0,
                "mean_paragraphs": round(paragraphs or 0, 1)}


def source_records():
    """The synthetic sources as the store wants them (objects with the Source attributes)."""
    return SOURCES
