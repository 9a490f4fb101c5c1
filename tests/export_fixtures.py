"""A small bilingual store for the export tests, built the way `parallax/stages.py` builds one:
documents upserted, processed by the real language pipeline, enriched with the fields later stages
add (entities, translations, near-duplicate clusters), then indexed by the real SQLite backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crawler.sources import SourceIdentity
from index.document import Document
from index.backends import open_backend
from index.store import Store
from nlp.analyses import Analyses
from nlp.pipeline import process

GAZETTEER = """\
[[entity]]
id = "sia"
type = "ORG"
en = "Semiconductor Industry Association"
zh = "美国半导体行业协会"
aliases = ["SIA"]

[[entity]]
id = "csia"
type = "ORG"
en = "China Semiconductor Industry Association"
zh = "中国半导体行业协会"
aliases = ["CSIA"]
"""


@dataclass(frozen=True)
class SourceRow(SourceIdentity):
    """A source as the export fixtures register it: only the fields that name it."""


SOURCES = [
    SourceRow("sia", "Semiconductor Industry Association", "Semiconductor Industry Association",
              "en", "association", "US"),
    SourceRow("csia", "中国半导体行业协会", "China Semiconductor Industry Association", "zh",
              "association", "CN"),
]

EN_TITLE = "SIA welcomes the joint working group on export controls"
EN_BODY = ("The Semiconductor Industry Association said the working group with CSIA will meet twice "
           "a year to discuss export controls and supply-chain security.\n\n"
           "Members asked for clear, predictable rules.")
ZH_TITLE = "中国半导体行业协会与美国半导体行业协会成立出口管制工作组"
ZH_BODY = ("中国半导体行业协会表示，工作组将讨论出口管制与供应链安全问题。\n\n"
           "双方同意每年举行两次会议，交流产业政策信息。")
ZH_TITLE_TR = "CSIA and SIA set up a working group on export controls"
ZH_BODY_TR = "The China Semiconductor Industry Association said the working group will discuss export controls."

DOCS = [
    Document(url="https://sia.example/news/working-group", source_id="sia", title=EN_TITLE,
             body=EN_BODY, published_at="2025-03-04T15:30:00+00:00", declared_lang="en",
             kind="association", country="US", author="Press office"),
    Document(url="https://csia.example/news/gongzuozu", source_id="csia", title=ZH_TITLE,
             body=ZH_BODY, published_at="2025-03-05T09:00:00+08:00", declared_lang="zh",
             kind="association", country="CN"),
    Document(url="https://csia.example/news/gongzuozu-copy", source_id="csia", title=ZH_TITLE,
             body=ZH_BODY + "\n\n（转载）", published_at="2025-03-06", declared_lang="zh",
             kind="association", country="CN"),
    Document(url="https://sia.example/news/tariffs", source_id="sia",
             title="=SUM(1,2) is not a formula here", body="Tariffs on memory chips.",
             published_at="2025-01-10T08:00:00Z", declared_lang="en", kind="association", country="US"),
]

ENRICH = {
    # doc index: fields the entity, translation and near-duplicate stages add
    0: {"entities": [
            {"start": 4, "end": 35, "label": "ORG", "text": "Semiconductor Industry Association",
             "canonical_id": "sia"},
            {"start": 70, "end": 74, "label": "ORG", "text": "CSIA", "canonical_id": "csia"},
            {"start": 80, "end": 84, "label": "ORG", "text": "SIA", "canonical_id": "sia"}]},
    1: {"entities": [
            {"start": 0, "end": 9, "label": "ORG", "text": "中国半导体行业协会", "canonical_id": "csia"},
            {"start": 10, "end": 19, "label": "ORG", "text": "美国半导体行业协会", "canonical_id": "sia"},
            {"start": 30, "end": 33, "label": "GPE", "text": "供应链", "canonical_id": None}],
        "title_tr": ZH_TITLE_TR, "body_tr": ZH_BODY_TR, "translation_model": "test-model",
        "cluster_id": "c-gongzuozu"},
    2: {"cluster_id": "c-gongzuozu"},
}


def build_store(settings) -> None:
    with Store.open(settings) as store:
        for source in SOURCES:
            store.upsert_source(source)
        for doc in DOCS:
            store.upsert_document(doc)
        process(store, settings)
        for index, fields in ENRICH.items():
            doc = store.get(DOCS[index].id)
            Analyses(store).save(doc.id, doc.content_hash, doc.analysis_version, **fields)
        open_backend(settings, store).sync(store)


def write_gazetteer(directory: Path) -> Path:
    path = directory / "entities.toml"
    path.write_text(GAZETTEER, encoding="utf-8")
    return path
