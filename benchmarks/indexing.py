"""Indexing and export measured on a copy of a cached tier (its documents already analysed).

The pipeline section measures indexing after the whole language pipeline has run on a fresh
store, which on a busy two-core machine takes longer than the rest of the run; this section takes
the analysed store of a tier instead: a copy with an empty index is indexed by
`TantivyBackend.sync` (what `parallax index` runs), then rebuilt (`--rebuild`: a new generation
and the swap), beside raw tantivy indexing the same documents prepared beforehand. The export of
the copy (every document, every format) follows, with its peak Python memory.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from benchmarks import export as export_mod
from benchmarks import stores


def measure(tier_dir: Path, tmp: Path) -> tuple[dict, dict]:
    from index.tantivy import TantivyBackend

    copy = tmp / "indexing"
    shutil.copytree(tier_dir, copy, ignore=shutil.ignore_patterns("index"))
    settings = stores.settings_for(copy)
    with stores.Store(settings.store_path) as store:
        with store.transaction():
            store.conn.execute("DELETE FROM tantivy_docs")
            store.conn.execute("UPDATE tantivy_meta SET value = 0")
        backend = TantivyBackend(settings, store)
        started, cpu = time.perf_counter(), time.process_time()
        counts = backend.sync()
        sync_s, sync_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        rebuilt = backend.rebuild()
        rebuild_s = time.perf_counter() - started
        with store.transaction():  # raw tantivy reads the same rows as an index that holds nothing
            store.conn.execute("DELETE FROM tantivy_docs")
        raw_n, raw_s, raw_cpu = stores.raw_index_seconds(store, tmp / "raw-index")
        indexing = {
            "documents": counts["indexed"], "sync_seconds": sync_s, "sync_docs_per_s": counts["indexed"] / sync_s,
            "rebuild_seconds": rebuild_s, "rebuild_docs_per_s": rebuilt["indexed"] / rebuild_s,
            "raw_seconds": raw_s, "raw_docs_per_s": raw_n / raw_s, "sync_vs_raw": sync_s / raw_s,
            # CPU seconds (every thread of the process) per 1,000 documents: what a busy machine
            # does not distort; on two idle cores the wall rate is at best 2,000 / this.
            "sync_cpu_ms_per_doc": 1000 * sync_cpu / counts["indexed"], "raw_cpu_ms_per_doc": 1000 * raw_cpu / raw_n,
            "sync_vs_raw_cpu": (sync_cpu / counts["indexed"]) / (raw_cpu / raw_n),
        }
        backend.rebuild()  # the holdings again, for the export's searches
        exported = export_mod.measure(store, settings)
    return indexing, exported
