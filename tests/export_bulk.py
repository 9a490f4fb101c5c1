"""Many generated documents written straight into a store's tables (documents, analyses), then
indexed by the configured backend's `sync`, fast enough for memory tests of export; text written for the project, varied so
compression cannot hide buffering. Runnable as a script: `python tests/export_bulk.py DATA_DIR N` fills a store,
`python tests/export_bulk.py probe DATA_DIR FORMAT OUTPUT [QUERY]` measures one export."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from index.document import utc_now
from index.store import Store

EN_WORDS = ("export controls supply chain security semiconductor association working group members "
            "rules tariffs memory chips equipment licence review meeting statement industry policy").split()
ZH_WORDS = "出口管制 供应链 安全 半导体 行业协会 工作组 会员 规则 关税 存储芯片 设备 许可 审查 会议 声明 产业 政策".split()
ENTITIES = [
    {"start": 0, "end": 3, "label": "ORG", "text": "SIA", "canonical_id": "sia"},
    {"start": 4, "end": 8, "label": "ORG", "text": "CSIA", "canonical_id": "csia"},
]


def _rows(n: int, start: int, rng: random.Random, version: str):
    now = utc_now()
    docs, analyses = [], []
    for i in range(start, start + n):
        zh = i % 2 == 1
        words = ZH_WORDS if zh else EN_WORDS
        sep = "" if zh else " "
        title = sep.join(rng.choice(words) for _ in range(8)) + f" {i}"
        body = "\n\n".join(sep.join(rng.choice(words) for _ in range(40)) for _ in range(3))
        doc_id = f"{i:016x}"
        digest = f"{rng.getrandbits(128):032x}"
        published = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00+00:00"
        source = "csia" if zh else "sia"
        docs.append((doc_id, f"https://{source}.example/{i}", source, "association",
                     "CN" if zh else "US", "zh" if zh else "en", title, body, published, digest,
                     now, now, now, i + 1))
        analyses.append((doc_id, digest, version, "zh" if zh else "en",
                         json.dumps(ENTITIES[: 1 + i % 2]), f"c{i // 3}" if i % 5 == 0 else None,
                         "translated title" if zh else None, now))
    return docs, analyses


def fill(settings, n: int, batch: int = 20000, seed: int = 8) -> None:
    """Add `n` indexed documents to the store at `settings` (an empty query then finds all)."""
    rng = random.Random(seed)
    version = "langid=1;normalize=1;segment=1"
    with Store.open(settings) as store:
        conn = store.conn
        columns = "INSERT OR IGNORE INTO sources (id, name, name_en, language, kind, country, updated_at)"
        conn.execute(f"{columns} VALUES ('sia', 'Semiconductor Industry Association', "
                     "'Semiconductor Industry Association', 'en', 'association', 'US', ?)", (utc_now(),))
        conn.execute(f"{columns} VALUES ('csia', '中国半导体行业协会', "
                     "'China Semiconductor Industry Association', 'zh', 'association', 'CN', ?)", (utc_now(),))
        for start in range(0, n, batch):
            docs, analyses = _rows(min(batch, n - start), start, rng, version)
            with store.transaction():
                conn.executemany(
                    "INSERT INTO documents (id, url, source_id, kind, country, declared_lang, title, body, "
                    "published_at, content_hash, fetched_at, first_seen_at, updated_at, seq) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", docs)
                conn.executemany(
                    "INSERT INTO analyses (doc_id, content_hash, version, lang, entities, cluster_id, "
                    "title_tr, processed_at) VALUES (?,?,?,?,?,?,?,?)", analyses)
        from index.backends import open_backend

        open_backend(settings, store).sync()


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _rss_kib() -> int:
    return _status_kib("VmRSS")


def probe(data_dir: str, fmt: str, output: str, query: str = "") -> dict:
    """Export in this (fresh) process; report resident memory before and at its peak (Linux).

    The format's writer runs once on no rows and the query is parsed before the baseline (library
    start-up: Arrow's thread pools, openpyxl's templates, jieba's dictionary), so the growth is
    what the export itself holds: SQLite's page cache, the index pages it reads, the batch in
    flight, buffers.
    """
    import io
    import time

    from index.export import export_to_path
    from index.query import parse
    from index.export.writers import WRITERS
    from index.search import SearchRequest
    from index.backends import open_backend
    from parallax.settings import load_settings

    WRITERS[fmt](iter(()), io.BytesIO())
    # The segmenter's dictionary (jieba) and the bilingual lexicon of query expansion are the
    # search's fixed cost, whatever the export's size: loaded before the baseline.
    from index.expand import expand

    expand(parse(query))
    settings = load_settings(env={}, overrides={"data_dir": data_dir})
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        backend.searcher()  # opening the index (segment readers, maps) is a fixed cost too
        baseline = _rss_kib()
        # Reset the peak to now (Linux >= 4.0), so start-up's own peak is not counted as the export's.
        Path("/proc/self/clear_refs").write_text("5")
        started = time.perf_counter()
        manifest = export_to_path(store, backend, SearchRequest(query=query), fmt, output)
        seconds = time.perf_counter() - started
    # VmHWM, not getrusage's ru_maxrss: after fork + exec, ru_maxrss still carries the parent's
    # resident size at fork (pytest's, here), which would swamp the export's own peak.
    peak = _status_kib("VmHWM")
    return {"format": fmt, "documents": manifest.documents, "seconds": seconds,
            "baseline_kib": baseline, "peak_kib": peak, "growth_kib": peak - baseline,
            "bytes": manifest.bytes}


if __name__ == "__main__":
    from parallax.settings import load_settings

    if sys.argv[1] == "probe":
        print(json.dumps(probe(*sys.argv[2:6])))
    else:
        fill(load_settings(env={}, overrides={"data_dir": sys.argv[1]}), int(sys.argv[2]))
