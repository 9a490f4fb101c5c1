"""`python -m benchmarks.language`: segmentation and the whole language pipeline, measured.

- Segmentation: `nlp.segment.index_text` (normalisation, rjieba search mode) beside rjieba called directly (`cut_for_search` on the raw text, joined with spaces,
  the same dictionary) on the Chinese documents of the benchmark corpus and on the Simplified ones
  alone (ours normalises Traditional text first, which makes it cut more words), in `--rounds`
  rounds (the median round of each side), as MB per CPU-second and their ratio (wall-clock figures
  and the load average beside them).
- Processing: `nlp.pipeline.process` (language id, segmentation, entities, near-duplicates, saving;
  translation off) on a fresh store of the benchmark mix, in one process and with one worker per
  core, as documents per second (and per CPU-second, which other work on a shared machine disturbs
  less, and how much of it the worker processes did); then a second run, which must find nothing to
  do. `--store-dir /dev/shm` puts the stores in memory: on a machine whose disk other work keeps
  busy, the per-document commits of clustering and saving otherwise wait on it.
- Entities alone, per language and engine, as characters per second.

Results go to the terminal and `benchmarks/results/language.json`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import corpus as corpus_mod
from benchmarks import stores, vocabulary
from benchmarks.report import Run


def _fresh(text: str) -> str:
    """An equal, newly made string: one that has never been handed to the segmenter. rjieba reads
    a string as UTF-8, which Python encodes once and keeps in the string object, so a text cut
    a second time skips that step; texts read from the store are new objects every time."""
    return text[:1] + text[1:]


def _timed(texts: list[tuple[str, str]], nbytes: int, work) -> dict:
    """One pass of `work` over (title, body) pairs: wall seconds and this process's CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    for title, body in texts:
        work(title, body)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"documents": len(texts), "seconds": wall, "cpu_seconds": cpu, "mb_per_s": nbytes / wall / 1e6,
            "mb_per_cpu_s": nbytes / cpu / 1e6 if cpu else None}


def _paired(docs, sides: dict, rounds: int) -> dict:
    """Every side over all the documents once per round, the order of the sides turned each round;
    per side the median round and the median of its per-round ratios to rjieba (each round's
    passes run back to back, so a ratio compares passes that met the same machine). `sides` maps
    a name to (work, the (title, body) pairs it reads); each pass reads fresh copies of its texts
    (`_fresh`, made before the clock starts), as indexing reads new strings from the store.

    CPU time is the figure compared: on a shared machine the wall clock mostly measures the other
    work that holds the cores. Medians, not the best round: the best of many is the round that other
    work happened to disturb least, and that lands on one side or the other by chance. Whole passes,
    not a document of each side in turn: each side then runs with its own data in the caches, as
    it does when indexing; turned document by document, whichever side ran second paid for the
    other's cache misses, and the ratios said more about the order than about the code."""
    names = list(sides)
    nbytes = sum(d.nbytes for d in docs)
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            work, texts = sides[name]
            copies = [(_fresh(title), _fresh(body)) for title, body in texts]
            runs[name].append(_timed(copies, nbytes, work))
    base = runs["rjieba"]
    out = {"documents": len(docs), "bytes": nbytes, "rounds": rounds}
    for name, rs in runs.items():
        ratios = [a["cpu_seconds"] / b["cpu_seconds"] for a, b in zip(rs, base)]
        cpu_s = statistics.median(x["cpu_seconds"] for x in rs)
        wall_s = statistics.median(x["seconds"] for x in rs)
        out[name] = {"cpu_seconds": cpu_s, "seconds": wall_s, "mb_per_cpu_s": out["bytes"] / cpu_s / 1e6,
                     "mb_per_s": out["bytes"] / wall_s / 1e6, "ratio": statistics.median(ratios),
                     "ratio_quartiles": statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios,
                     "ratio_wall": statistics.median(a["seconds"] / b["seconds"] for a, b in zip(rs, base))}
    return out


def segmentation(docs, rounds: int = 21) -> dict:
    """Ours (`segment.index_text`) against rjieba called directly, both in search mode on the same
    raw text: rjieba's `cut_for_search` joined with spaces, with the same domain dictionary (the
    same segmenter object), which is everything it does. Ours also normalises first (Traditional
    to Simplified, full-width to half-width: nothing to do on Simplified text but one scan).

    On Traditional text the cut of the normalised text finds the dictionary's words, which the cut
    of the raw Traditional characters mostly does not, so search mode emits more sub-words (a fifth
    more on the benchmark mix's Traditional documents, while the HMM has fewer unknown runs to
    guess at): the Simplified documents compare like for like, all documents show what indexing
    costs. A third side, rjieba on text normalised beforehand (normalisation untimed), splits the
    all-documents gap into that different cut and our own overhead; it is a reference, not the raw
    figure."""
    from nlp import segment
    from nlp.normalize import normalize

    seg = segment.tokenizer()
    zh = [d for d in docs if d.lang == "zh"]
    segment.index_text(zh[0].body)  # tables and dictionary are start-up cost, not throughput
    cut_for_search = seg.cut_for_search
    raw = [(d.title, d.body) for d in zh]
    normalised = [(normalize(title), normalize(body)) for title, body in raw]

    def ours(title, body):
        segment.index_text(title)
        segment.index_text(body)

    def direct(title, body):
        " ".join(cut_for_search(title))
        " ".join(cut_for_search(body))

    load_before = os.getloadavg()
    result = _paired(zh, {"ours": (ours, raw), "rjieba": (direct, raw),
                          "rjieba_on_normalised": (direct, normalised)}, rounds)
    simplified = [d for d, texts, norm in zip(zh, raw, normalised) if texts == norm]
    simple_texts = [(d.title, d.body) for d in simplified]
    result["simplified"] = _paired(simplified, {"ours": (ours, simple_texts), "rjieba": (direct, simple_texts)}, rounds)
    result["ratio"] = result["ours"]["ratio"]
    result["load_average"] = [load_before[0], os.getloadavg()[0]]
    result["method"] = (f"{rounds} rounds, a whole pass of each side per round in turned order, each pass on "
                        "fresh copies of the texts; median round by CPU time and median per-round ratio; "
                        "raw side: rjieba cut_for_search on the raw text joined with spaces; ours normalises first")
    return result


def _segmentation_line(seg: dict) -> str:
    s, o, r, n = seg["simplified"], seg["ours"], seg["rjieba"], seg["rjieba_on_normalised"]
    return (f"segmentation on {seg['documents']:,} Chinese documents ({seg['bytes'] / 1e6:.1f} MB), "
            f"{seg['rounds']} rounds, median, per CPU-second: ours {o['mb_per_cpu_s']:.1f} MB/s, rjieba direct "
            f"{r['mb_per_cpu_s']:.1f} MB/s, ratio {o['ratio']:.2f}x (target <= 1.1x, >= 20 MB/s); on the "
            f"{s['documents']} Simplified documents ours {s['ours']['mb_per_cpu_s']:.1f} MB/s, rjieba "
            f"{s['rjieba']['mb_per_cpu_s']:.1f} MB/s, ratio {s['ours']['ratio']:.2f}x; all documents, rjieba on "
            f"text normalised beforehand {n['mb_per_cpu_s']:.1f} MB/s ({n['ratio']:.2f}x the raw cut: the extra "
            f"words of the Simplified forms), ours {o['ratio'] / n['ratio']:.2f}x that; wall clock "
            f"{o['mb_per_s']:.1f} vs {r['mb_per_s']:.1f} MB/s ({o['ratio_wall']:.2f}x); load average "
            f"{seg['load_average'][0]:.1f} at the start, {seg['load_average'][1]:.1f} at the end")


def processing(corpus, n: int, tmp: Path, settings, workers: int) -> dict:
    from nlp import pipeline

    path = tmp / f"process-{workers}.sqlite"
    store = stores.open_store(path)
    docs = list(corpus.documents(n))
    stores.ingest(store, docs)
    nlp_settings = dataclasses.replace(settings.nlp, translate=False, workers=workers)
    run_settings = settings.replace(nlp=nlp_settings)
    cpu_before, workers_before = _cpu_seconds(), _cpu_seconds(children_only=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    report = pipeline.process(store, run_settings)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    cpu_workers = _cpu_seconds(children_only=True) - workers_before
    started = time.perf_counter()
    again = pipeline.process(store, run_settings)
    rerun_s = time.perf_counter() - started
    store.close()
    return {"workers": workers, "documents": report.processed, "seconds": seconds,
            "docs_per_s": report.processed / seconds, "cpu_seconds": cpu,
            "docs_per_cpu_s": report.processed / cpu if cpu else None, "mb_per_s": sum(d.nbytes for d in docs) / seconds / 1e6,
            "cpu_seconds_in_workers": cpu_workers, "cores_busy": cpu / seconds, "store_dir": str(tmp.parent),
            "load_average": [load_before, os.getloadavg()[0]],
            "stage_seconds": report.seconds, "pipelines": report.pipelines,
            "rerun_processed": again.processed, "rerun_seconds": rerun_s}


def _cpu_seconds(children_only: bool = False) -> float:
    """CPU time of this process and of its finished children (the worker processes), or of the
    children alone: how the work was spread shows whether the workers carried it."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = children.ru_utime + children.ru_stime
    return spent if children_only else spent + own.ru_utime + own.ru_stime


def entity_engines(docs, settings) -> list[dict]:
    from nlp.entities import EntityTagger

    rows = []
    for lang, engine in (("en", "lac"), ("zh", "lac"), ("zh", "jieba_pos")):
        texts = [d.title + "\n\n" + d.body for d in docs if d.lang == lang][:300]
        tagger = EntityTagger(settings.nlp, zh_engine=engine)
        tagger.tag_many(texts[:2], lang)
        started = time.perf_counter()
        tagger.tag_many(texts, lang)
        seconds = time.perf_counter() - started
        rows.append({"language": lang, "engine": tagger.describe()[lang], "documents": len(texts),
                     "chars_per_s": sum(map(len, texts)) / seconds, "docs_per_s": len(texts) / seconds})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.language", description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=2000, help="documents of the benchmark mix to process")
    p.add_argument("--seed", type=int, default=20251)
    p.add_argument("--rounds", type=int, default=21, help="rounds of each segmentation side (the median is reported)")
    p.add_argument("--skip", default="", help="comma-separated: segment,process,entities")
    p.add_argument("--store-dir", default=None,
                   help="where the processing stores go (default: the system's temporary directory); "
                        "/dev/shm keeps a disk that other work keeps busy out of the figure")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    run = Run(args.size)
    corpus = corpus_mod.Corpus(vocabulary.load(None), args.seed)
    corpus.ensure(args.size)
    sample = corpus.sample(min(args.size, 2000))
    cores = run.env["usable_cores"]
    result: dict = {}
    from parallax.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="parallax-language-", dir=args.store_dir) as tmp:
        settings = load_settings(env={}, overrides={"data_dir": tmp})
        if "segment" not in skip:
            seg = segmentation(sample, args.rounds)
            result["segmentation"] = seg
            run.say(_segmentation_line(seg))
        if "process" not in skip:
            result["processing"] = []
            for workers in sorted({1, cores}):
                r = processing(corpus, args.size, Path(tmp), settings, workers)
                result["processing"].append(r)
                run.say(f"processing {r['documents']:,} documents, {workers} process(es): "
                        f"{r['docs_per_s']:.1f} docs/s ({r['seconds']:.1f} s, {r['docs_per_cpu_s']:.1f} docs per "
                        f"CPU-second, {r['cpu_seconds']:.1f} CPU-s of which {r['cpu_seconds_in_workers']:.1f} in "
                        f"worker processes, {r['cores_busy']:.2f} cores busy on average; load average "
                        f"{r['load_average'][0]:.1f} at the start; second run processed "
                        f"{r['rerun_processed']} in {r['rerun_seconds']:.1f} s)  stages "
                        + ", ".join(f"{k} {v:.1f} s" for k, v in r["stage_seconds"].items()))
        if "entities" not in skip:
            result["entities"] = entity_engines(sample, settings)
            for r in result["entities"]:
                run.say(f"entities {r['language']}: {r['engine']}: {r['chars_per_s'] / 1000:.1f}k chars/s, "
                        f"{r['docs_per_s']:.1f} docs/s")
    previous = run.results_dir / "language.json"
    if skip and previous.is_file():  # sections skipped now keep their last measured figures
        kept = json.loads(previous.read_text(encoding="utf-8"))
        result = {**{k: kept[k] for k in ("segmentation", "processing", "entities") if k in kept}, **result}
    run.record("language", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
