"""Per-stage processing throughput, each stage beside its baseline on the same documents.

Every stage is timed over the same in-memory sample, calling the project's functions exactly as
`nlp.pipeline.analyse` does. Segmentation is also timed as rjieba called directly (the same
`rjieba.Jieba` with the same dictionary, `cut_for_search` on the raw text, joined), so the overhead
of our layer (normalisation, the domain words' Latin parts, joining) is a ratio. Stages that live on
other branches (entities, near-duplicates, translation) are measured when importable and recorded
as "not available" otherwise.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Callable

from benchmarks.corpus import CorpusDocument
from benchmarks.vocabulary import ROOT


def _throughput(name: str, docs: list[CorpusDocument], work: Callable[[CorpusDocument], object],
                repeat: int = 1) -> dict:
    nbytes = sum(d.nbytes for d in docs) * repeat
    started = time.perf_counter()
    for _ in range(repeat):
        for d in docs:
            work(d)
    seconds = time.perf_counter() - started
    return {"stage": name, "documents": len(docs) * repeat, "seconds": seconds,
            "docs_per_s": len(docs) * repeat / seconds, "mb_per_s": nbytes / seconds / 1e6}


def _pair(name_a: str, name_b: str, docs, a, b, rounds: int = 3) -> list[dict]:
    """Time two things on the same documents in alternating rounds and keep each one's best round,
    so that load from other processes on a shared machine does not land on one side only."""
    best_a = best_b = None
    for _ in range(rounds):
        ra, rb = _throughput(name_a, docs, a), _throughput(name_b, docs, b)
        best_a = ra if best_a is None or ra["seconds"] < best_a["seconds"] else best_a
        best_b = rb if best_b is None or rb["seconds"] < best_b["seconds"] else best_b
    return [best_a, best_b]


def _paragraphs(d: CorpusDocument) -> list[str]:
    return [p for p in d.body.split("\n\n") if p.strip()]


def measure(docs: list[CorpusDocument], settings) -> dict:
    from nlp import langid, normalize, segment

    segment.tokenizer()  # dictionary loading is start-up cost, not throughput
    langid.detect("warm up the language models once")
    tok = segment.tokenizer()
    zh = [d for d in docs if d.lang == "zh"]

    def run_langid(d):
        paras = _paragraphs(d)
        lang = langid.detect(d.title + "\n" + "\n".join(paras[:3])) or d.lang
        langid.paragraph_languages(paras)
        if lang == "zh":
            langid.script(d.title + d.body)

    def run_normalize(d):
        normalize.normalize(d.title)
        normalize.normalize(d.body)

    def run_segment(d):
        segment.index_text(d.title)
        segment.index_text(d.body)

    def run_rjieba(d):
        " ".join(tok.cut_for_search(d.title))
        " ".join(tok.cut_for_search(d.body))

    def run_langid_document(d):
        langid.detect(d.title + "\n" + "\n".join(_paragraphs(d)[:3]))

    def run_langid_paragraphs(d):
        langid.paragraph_languages(_paragraphs(d))

    def run_script(d):
        langid.script(d.title + d.body)

    rows = [
        _throughput("langid", docs, run_langid),
        _throughput("  langid: document", docs, run_langid_document),
        _throughput("  langid: each paragraph", docs, run_langid_paragraphs),
        _throughput("  langid: script, Chinese docs", zh, run_script),
        _throughput("normalise", docs, run_normalize),
        *_pair("segment", "rjieba direct (baseline)", docs, run_segment, run_rjieba),
        *_pair("segment, Chinese docs", "rjieba direct, Chinese docs (baseline)", zh, run_segment, run_rjieba),
    ]
    by = {r["stage"]: r for r in rows}
    ratios = {
        "segment_vs_jieba_all_docs": by["segment"]["seconds"] / by["rjieba direct (baseline)"]["seconds"],
        "segment_vs_jieba_chinese_docs": (by["segment, Chinese docs"]["seconds"]
                                          / by["rjieba direct, Chinese docs (baseline)"]["seconds"]),
    }
    whatif = _lingua_batch_whatif(docs[:300])
    optional = {name: _optional_stage(name, docs, settings) for name in ("entities", "dedup", "translate")}
    return {"rows": rows, "ratios": ratios, "what_if": whatif, "optional": optional}


def _lingua_batch_whatif(docs: list[CorpusDocument]) -> dict:
    """Language id of the non-Han paragraphs four ways, each after a warm-up pass (lingua loads its
    models lazily): `langid.detect` (what the stage calls), lingua's own call in a loop, lingua's
    batch call (Rust threads), and lingua's low-accuracy mode, which its authors recommend for texts
    longer than a sentence — paragraphs are."""
    from lingua import LanguageDetectorBuilder

    from nlp import langid

    paragraphs = [p for d in docs for p in _paragraphs(d)]
    latin = [p[:langid._SAMPLE] for p in paragraphs if not langid._HAN.search(p)]
    high = langid._detector()
    low = LanguageDetectorBuilder.from_languages(*detector_languages()).with_low_accuracy_mode().build()
    runs = {
        "langid_detect_s": lambda: [langid.detect(p) for p in latin],
        "lingua_loop_s": lambda: [high.detect_language_of(p) for p in latin],
        "lingua_batch_s": lambda: high.detect_languages_in_parallel_of(latin),
        "lingua_low_accuracy_loop_s": lambda: [low.detect_language_of(p) for p in latin],
    }
    out = {"non_han_paragraphs": len(latin), "paragraphs": len(paragraphs)}
    answers = {}
    for name, fn in runs.items():
        fn()  # warm-up
        started = time.perf_counter()
        answers[name] = fn()
        out[name] = time.perf_counter() - started
    hi = [x for x in answers["lingua_loop_s"]]
    lo = answers["lingua_low_accuracy_loop_s"]
    out["low_accuracy_agreement"] = sum(a == b for a, b in zip(hi, lo)) / len(hi) if hi else None
    return out


def detector_languages():
    """The candidate languages of `nlp.langid`'s detector, read back from it (not repeated here)."""
    from nlp import langid

    values = langid._detector().compute_language_confidence_values("language")
    return sorted((v.language for v in values), key=lambda lang: lang.name)


def _optional_stage(name: str, docs: list[CorpusDocument], settings) -> dict:
    try:
        module = importlib.import_module(f"nlp.{name}")
    except ImportError as exc:
        return {"status": "not available", "reason": f"nlp.{name} is not importable ({exc})"}
    if not Path(module.__file__).resolve().is_relative_to(ROOT):
        return {"status": "not available",
                "reason": f"nlp.{name} is not in this checkout (only found at {module.__file__})"}
    if name == "entities" and hasattr(module, "EntityTagger"):
        try:
            tagger = module.EntityTagger(settings.nlp)
            sample = docs[: min(len(docs), 500)]
            for lang in ("en", "zh"):
                tagger.tag_many([d.title for d in sample if d.lang == lang][:2], lang)
            started = time.perf_counter()
            for lang in ("en", "zh"):
                tagger.tag_many([d.title + "\n\n" + d.body for d in sample if d.lang == lang], lang)
            seconds = time.perf_counter() - started
            nbytes = sum(d.nbytes for d in sample)
            return {"status": "measured", "documents": len(sample), "seconds": seconds,
                    "docs_per_s": len(sample) / seconds, "mb_per_s": nbytes / seconds / 1e6,
                    "pipelines": tagger.describe()}
        except Exception as exc:  # a stage still being built: record why, keep the run going
            return {"status": "not available", "reason": f"nlp.entities failed: {type(exc).__name__}: {exc}"}
    public = sorted(n for n in dir(module) if not n.startswith("_"))[:20]
    return {"status": "not measured", "reason": f"nlp.{name} is importable but this benchmark has no "
            f"adapter for its interface yet (public names: {', '.join(public)})"}
