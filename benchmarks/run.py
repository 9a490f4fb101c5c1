"""`make bench` / `python -m benchmarks.run --size N`: every measurement, printed and written to JSON.

The corpus and the indexed stores of the search tiers are built once and cached under
`benchmarks/corpus/`; a second run reuses them. Sections: corpus, stages, pipeline, search (per
tier), alerts, export, crawl, then a summary against the project's targets. Nothing here asserts a
target; the summary says which are met.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import alerts as alerts_mod
from benchmarks import corpus as corpus_mod
from benchmarks import crawl as crawl_mod
from benchmarks import export as export_mod
from benchmarks import indexing, queries, search, stages, stores, vocabulary
from benchmarks.report import Run

TARGETS = {
    "segment_vs_jieba": ("segmentation vs rjieba direct (Chinese docs)", "<=", 1.1, "x"),
    "process_docs_per_s": ("processing without translation, all cores", ">=", 60, "docs/s"),
    "index_docs_per_s": ("indexing from the store (tantivy)", ">=", 10000, "docs/s"),
    "search_p95_100k_ms": ("search page p95 at 100k", "<=", 30, "ms"),
    "search_p50_1m_ms": ("search page p50 at 1M", "<=", 40, "ms"),
    "search_p95_1m_ms": ("search page p95 at 1M", "<=", 150, "ms"),
    "search_vs_raw": ("search page p95 vs raw tantivy, largest tier", "<=", 1.3, "x"),
    "alerts_seconds": ("alerts 1,000 x 10,000", "<=", 5, "s"),
    "export_docs_per_s": ("export JSONL", ">=", 20000, "docs/s"),
    "crawl_pages_per_s": ("crawl, politeness off", ">=", 50, "pages/s"),
}


# The whole language pipeline (entities included) runs at tens of documents per second on two
# cores: its throughput is measured on at most this many documents, whatever the size.
PIPELINE_DOCS = 10_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=10_000,
                   help="corpus size for the measured pipeline run and the largest search tier (1000..1000000)")
    p.add_argument("--seed", type=int, default=20251, help="corpus seed (changing it builds a new corpus)")
    p.add_argument("--vocab-dir", type=Path, default=None,
                   help="directory holding entities.toml and glossary.tsv (default: nlp/data)")
    p.add_argument("--tiers", default=None,
                   help="comma-separated search tiers (default: 10000,100000 plus --size when larger)")
    p.add_argument("--crawl-pages", type=int, default=None, help="pages of the crawl fixture site")
    p.add_argument("--skip", default="",
                   help="comma-separated sections to skip: stages,pipeline,search,alerts,indexing,export,crawl")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached tier stores")
    args = p.parse_args(argv)
    if not 1000 <= args.size <= 1_000_000:
        p.error(f"--size {args.size} is out of range; choose 1000..1000000 (e.g. make bench SIZE=100000)")
    return args


def tiers_for(size: int, spec: str | None) -> list[int]:
    if spec:
        return sorted({int(t) for t in spec.split(",") if t.strip()})
    if size < 10_000:
        return [size]
    return sorted({10_000, 100_000, size})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    run = Run(args.size)
    say = run.say
    vocab = vocabulary.load(args.vocab_dir)
    corpus = corpus_mod.Corpus(vocab, args.seed)
    tiers = tiers_for(args.size, args.tiers)
    env = run.env
    say(f"Parallax benchmarks: size {args.size:,}, tiers {', '.join(f'{t:,}' for t in tiers)}, "
        f"{env['usable_cores']} cores, load {env.get('load_average')}, Python {env['python']}, "
        f"SQLite {env['sqlite']}, tantivy {env.get('tantivy')}, "
        f"vocabulary {vocab.origin} ({len(vocab.names)} names, {len(vocab.terms)} terms)")
    with _timed(say, "corpus"):
        made = corpus.ensure(max([args.size, *tiers]),
                             progress=lambda i, n: say(f"  corpus: {i:,}/{n:,}") if i % 50_000 == 0 else None)
    stats = corpus.stats(args.size)
    run.record("corpus", {"cache": str(corpus.path.name), "generated_now": made, "stats": stats,
                          "parameters": corpus_mod.PARAMETERS, "vocabulary": vocab.origin},
               f"Corpus (first {args.size:,} documents; {made:,} generated now, the rest cached)",
               ["documents", "English share", "near-duplicates", "MB", "mean bytes", "mean paragraphs"],
               [[stats["documents"], stats["english_share"], stats["duplicate_share"], stats["bytes"] / 1e6,
                 stats["mean_bytes"], stats["mean_paragraphs"]]])
    from parallax.settings import load_settings

    figures: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory(prefix="parallax-bench-") as tmp:
        settings = load_settings(env={}, overrides={"data_dir": tmp})
        if "stages" not in skip:
            with _timed(say, "stages"):
                sample = corpus.sample(min(args.size, 2000))
                result = stages.measure(sample, settings)
            rows = [[r["stage"], r["documents"], r["docs_per_s"], r["mb_per_s"]] for r in result["rows"]]
            for name, opt in result["optional"].items():
                rows.append([name, opt.get("documents"), opt.get("docs_per_s"),
                             opt.get("mb_per_s") if opt["status"] == "measured" else opt["status"]])
            run.record("stages", result, f"Per-stage throughput ({len(sample):,} documents, one process)",
                       ["stage", "docs", "docs/s", "MB/s"], rows)
            w = result["what_if"]
            say(f"  segment / rjieba direct: {result['ratios']['segment_vs_jieba_chinese_docs']:.2f}x on "
                f"Chinese documents, {result['ratios']['segment_vs_jieba_all_docs']:.2f}x on all")
            say(f"  language id of {w['non_han_paragraphs']:,} non-Han paragraphs: langid.detect "
                f"{w['langid_detect_s']:.2f} s, lingua in a loop {w['lingua_loop_s']:.2f} s, lingua batch "
                f"{w['lingua_batch_s']:.2f} s, lingua low-accuracy {w['lingua_low_accuracy_loop_s']:.2f} s "
                f"(agrees on {100 * (w['low_accuracy_agreement'] or 0):.1f} %)")
            figures["segment_vs_jieba"] = result["ratios"]["segment_vs_jieba_chinese_docs"]

        pipeline_store = None
        if "pipeline" not in skip:
            with _timed(say, "pipeline"):
                result, pipeline_store = _pipeline(corpus, min(args.size, PIPELINE_DOCS), Path(tmp), settings)
            run.record("pipeline", result, f"Pipeline on a fresh store ({result['documents']:,} documents, one worker per core)",
                       ["step", "docs/s", "MB/s", "seconds"],
                       [["store (upsert_document)", result["ingest_docs_per_s"], None, result["ingest_seconds"]],
                        ["process (whole language pipeline, no translation)", result["process_docs_per_s"],
                         result["process_mb_per_s"], result["process_seconds"]],
                        ["  of which langid", None, None, result["process_stage_seconds"].get("langid")],
                        ["  of which segment", None, None, result["process_stage_seconds"].get("segment")],
                        ["index (TantivyBackend.sync, from the store)", result["index_docs_per_s"], None,
                         result["index_seconds"]],
                        ["rebuild (TantivyBackend.rebuild, new generation + swap)", result["rebuild_docs_per_s"],
                         None, result["rebuild_seconds"]],
                        ["raw tantivy, same documents prepared beforehand", result["raw_index_docs_per_s"], None,
                         result["raw_index_seconds"]]])
            say(f"  indexing {result['index_docs_per_s']:,.0f} docs/s, raw tantivy {result['raw_index_docs_per_s']:,.0f}"
                f" docs/s in the same run: {result['index_vs_raw']:.2f}x the time")
            say(f"  store file {result['store_bytes_per_doc']:,.0f} bytes/doc; search index "
                f"{result['index_bytes_per_doc'] or 0:,.0f} bytes/doc")
            figures["process_docs_per_s"] = result["process_docs_per_s"]
            figures["index_docs_per_s"] = result["index_docs_per_s"]

        mix = queries.query_mix(vocab)
        if "search" not in skip or "alerts" not in skip:
            tier_paths = {}
            tier_rows, tier_info = [], {}
            with _timed(say, "tier stores"):
                for n in tiers:
                    path, info = stores.tier_store(corpus, n, say, rebuild=args.rebuild)
                    tier_paths[n], tier_info[n] = path, info
                    tier_rows.append([n, "cached" if info["cached"] else "built now", info["index_docs_per_s"],
                                      info["analyse_docs_per_s"], info["file_bytes"] / n,
                                      (info["index_bytes"] or 0) / n])
            run.record("tiers", {"tiers": {str(k): v for k, v in tier_info.items()}},
                       "Indexed stores for the search tiers (analysis in one process per core)",
                       ["documents", "origin", "index docs/s", "analyse docs/s", "store bytes/doc",
                        "index bytes/doc"], tier_rows)
            if "search" not in skip:
                results, rows = {}, []
                for n in tiers:
                    with _timed(say, f"search {n:,}"), \
                            stores.Store(stores.settings_for(tier_paths[n]).store_path) as store:
                        r = search.measure(tier_paths[n], store, mix, repeats=3)
                    results[str(n)] = r
                    say(f"  {n:,} documents: p50 {r['ours']['p50_ms']:.1f} ms, p95 {r['ours']['p95_ms']:.1f} ms "
                        f"(raw tantivy p50 {r['raw_tantivy']['p50_ms']:.1f} ms, p95 {r['raw_tantivy']['p95_ms']:.1f} ms;"
                        f" ratio p95 {r['ratio_p95']:.2f}x; CPU per page {r['cpu_ms_per_page']['ours']:.1f} vs "
                        f"{r['cpu_ms_per_page']['raw']:.1f} ms, {r['ratio_cpu']:.2f}x; load {r['load_average'][0]:.1f})")
                    rows.append([n, r["ours"]["p50_ms"], r["ours"]["p95_ms"], r["ours"]["p99_ms"],
                                 r["ours_no_collapse"]["p95_ms"], r["raw_tantivy"]["p50_ms"],
                                 r["raw_tantivy"]["p95_ms"], r["ratio_p50"], r["ratio_p95"],
                                 f"{r['same_document_count']}/{r['queries']}", r["sampled_facets"]])
                run.record("search", {"queries": mix, "tiers": results},
                           "Search, 50-query mix, one full page: top 10 collapsed + both counts + every facet + "
                           "timeline (ms)",
                           ["documents", "p50", "p95", "p99", "p95 uncollapsed", "raw p50", "raw p95",
                            "p50 ratio", "p95 ratio", "same count", "sampled"], rows)
                largest = results[str(tiers[-1])]
                b = largest["breakdown_ms"]
                say(f"  where our path spends its time at {tiers[-1]:,} (one pass, ms): "
                    + ", ".join(f"{k} {v:.0f}" if isinstance(v, float) else f"{k} {v}" for k, v in b.items()))
                for s in largest["slowest"][:3]:
                    say(f"  slow: {s['query']!r}: {s['ours_max_ms']:.0f} ms (raw {s['raw_max_ms']:.0f} ms), "
                        f"{s['documents']:,} matches")
                if "100000" in results:
                    figures["search_p95_100k_ms"] = results["100000"]["ours"]["p95_ms"]
                if "1000000" in results:
                    figures["search_p50_1m_ms"] = results["1000000"]["ours"]["p50_ms"]
                    figures["search_p95_1m_ms"] = results["1000000"]["ours"]["p95_ms"]
                figures["search_vs_raw"] = largest["ratio_p95"]
            if "alerts" not in skip:
                # 10,000 new documents: the whole 10k tier by default; with --size 100000 or more,
                # the newest 10,000 of the 100k tier (matching cost grows with the index, see README).
                n = max([t for t in tiers if t <= min(args.size, 100_000)] or tiers[:1])
                saved = queries.saved_searches(vocab, 1000)
                new = min(10_000, n)
                with _timed(say, "alerts"), stores.Store(stores.settings_for(tier_paths[n]).store_path) as store:
                    r = alerts_mod.measure(tier_paths[n], store, saved, new)
                run.record("alerts", {**r, "sample_saved_searches": saved[:20]},
                           f"Alert matching: {len(saved):,} saved searches x {r['new_documents']:,} new documents "
                           f"(store of {r['store_documents']:,})",
                           ["seconds", "iter_ids s", "page of hits s", "alerts with hits", "matches",
                            "p50 ms", "p95 ms"],
                           [[r["seconds"], r["iter_ids_seconds"], r["search_page_seconds"], r["alerts_with_hits"],
                             r["matches"], r["per_alert"]["p50_ms"], r["per_alert"]["p95_ms"]]])
                figures["alerts_seconds"] = r["seconds"]

        export_result = None
        if "indexing" not in skip and ("search" not in skip or "alerts" not in skip):
            with _timed(say, "indexing"):
                r, export_result = indexing.measure(tier_paths[tiers[0]], Path(tmp))
            run.record("indexing", r, f"Indexing from the store ({r['documents']:,} analysed documents of the "
                       f"{tiers[0]:,} tier)", ["step", "docs/s", "seconds", "CPU ms/doc"],
                       [["sync into an empty index (parallax index)", r["sync_docs_per_s"], r["sync_seconds"],
                         r["sync_cpu_ms_per_doc"]],
                        ["rebuild (new generation + swap)", r["rebuild_docs_per_s"], r["rebuild_seconds"], None],
                        ["raw tantivy, same documents prepared beforehand", r["raw_docs_per_s"], r["raw_seconds"],
                         r["raw_cpu_ms_per_doc"]]])
            say(f"  ours {r['sync_vs_raw']:.2f}x the raw engine's time; CPU {r['sync_cpu_ms_per_doc']:.3f} vs "
                f"{r['raw_cpu_ms_per_doc']:.3f} ms per document ({r['sync_vs_raw_cpu']:.2f}x)")
            figures["index_docs_per_s"] = r["sync_docs_per_s"]
        if "export" not in skip and (pipeline_store is not None or export_result is not None):
            with _timed(say, "export"):
                r = export_result or export_mod.measure(pipeline_store, settings)
            base = r["baseline_store_to_json_dumps"]
            rows = [["store -> json.dumps (baseline)", base["documents"], base["docs_per_s"], None, None]]
            if r["status"] == "measured":
                dumps = r["json_dumps_same_rows"]
                rows.append(["json.dumps of export rows", dumps["documents"], dumps["docs_per_s"], None, None])
                for fmt, e in r["formats"].items():
                    if e["status"] == "measured":
                        rows.append([fmt, e["documents"], e["end_to_end_docs_per_s"],
                                     e["peak_python_memory_bytes"] / 1e6, e.get("ratio_vs_json_dumps")])
                    else:
                        rows.append([fmt, None, None, None, e["status"]])
                jsonl = r["formats"].get("jsonl", {})
                figures["export_docs_per_s"] = (jsonl["end_to_end_docs_per_s"]
                                                if jsonl.get("status") == "measured" else None)
            else:
                rows.append(["index.export", None, None, None, "not available"])
            run.record("export", r, "Export", ["format", "docs", "docs/s", "peak MB", "vs json.dumps"], rows)
        if pipeline_store is not None:
            pipeline_store.close()

    if "crawl" not in skip:
        pages = args.crawl_pages or max(100, min(2000, args.size // 10))
        with _timed(say, "crawl"):
            r = crawl_mod.measure(corpus.sample(pages))
        run.record("crawl", r, f"Crawl of a local fixture site ({pages:,} pages, politeness off)",
                   ["pages", "seconds", "pages/s", "stored ok"],
                   [[r["ten_pages"]["pages"], r["ten_pages"]["seconds"], r["ten_pages"]["pages_per_s"],
                     r["ten_pages"]["stored_ok"]],
                    [r["full"]["pages"], r["full"]["seconds"], r["full"]["pages_per_s"], r["full"]["stored_ok"]]])
        if r["steady_pages_per_s"]:
            say(f"  fixed cost {r['fixed_cost_seconds']:.1f} s; steady rate {r['steady_pages_per_s']:.0f} pages/s")
        figures["crawl_pages_per_s"] = r["full"]["pages_per_s"]

    rows, verdicts = [], {}
    for key, (label, op, target, unit) in TARGETS.items():
        value = figures.get(key)
        met = None if value is None else (value <= target if op == "<=" else value >= target)
        verdicts[key] = {"value": value, "target": f"{op} {target} {unit}", "met": met}
        rows.append([label, value, f"{op} {target} {unit}", "-" if met is None else ("yes" if met else "NO")])
    run.record("targets", {"targets": verdicts}, "Targets (reported, not asserted)",
               ["measure", "value", "target", "met"], rows)
    path = run.finish({"figures": figures})
    say(f"\nResults in {path.parent}/ ({time.perf_counter() - run.started:.0f} s in all)")
    return 0


def _pipeline(corpus, n: int, tmp: Path, settings):
    from index.tantivy import TantivyBackend
    from nlp import pipeline

    path = settings.store_path
    store = stores.open_store(path)
    docs = list(corpus.documents(n))
    nbytes = sum(d.nbytes for d in docs)
    stored, ingest_s = stores.ingest(store, docs)
    from nlp import langid, segment

    segment.tokenizer()  # start-up cost, not throughput
    langid.detect("warm up")
    started = time.perf_counter()
    report = pipeline.process(store, settings)
    process_s = time.perf_counter() - started
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backend = TantivyBackend(settings, store)
    started = time.perf_counter()
    counts = backend.sync()
    index_s = time.perf_counter() - started
    started = time.perf_counter()
    rebuilt = backend.rebuild()
    rebuild_s = time.perf_counter() - started
    raw_n, raw_s, _ = stores.raw_index_seconds(store, tmp / "raw-index")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    index_bytes = stores.index_size(settings.data_dir)
    result = {
        "documents": stored, "bytes": nbytes,
        "ingest_seconds": ingest_s, "ingest_docs_per_s": stored / ingest_s,
        "process_seconds": process_s, "process_docs_per_s": report.processed / process_s,
        "process_mb_per_s": nbytes / process_s / 1e6,
        "process_stage_seconds": report.seconds, "processed": report.processed,
        "index_seconds": index_s, "index_docs_per_s": counts["indexed"] / index_s, "indexed": counts["indexed"],
        "rebuild_seconds": rebuild_s, "rebuild_docs_per_s": rebuilt["indexed"] / rebuild_s,
        "raw_index_seconds": raw_s, "raw_index_docs_per_s": raw_n / raw_s,
        "index_vs_raw": index_s / raw_s,
        "store_bytes_per_doc": stores.store_size(path) / stored,
        "index_bytes_per_doc": index_bytes / stored if index_bytes else None,
    }
    return result, store


class _timed:
    def __init__(self, say, name: str):
        self.say, self.name = say, name

    def __enter__(self):
        self.started = time.perf_counter()
        self.say(f"[{self.name}] ...")
        return self

    def __exit__(self, *exc):
        self.say(f"[{self.name}] {time.perf_counter() - self.started:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
