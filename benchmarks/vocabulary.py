"""The names and terms the synthetic corpus is written with.

Real statements and news about export controls are dense with a small set of names (associations,
ministries, companies, officials, laws) and domain terms, in both languages. The generator draws them
from the project's own bilingual data — `nlp/data/entities.toml` (the gazetteer) and
`nlp/data/glossary.tsv` (the glossary) — so that entity tagging, glossary expansion and segmentation
meet the vocabulary they were built for. When those files are not present (an older checkout), a
small built-in vocabulary keeps the benchmarks runnable; which one was used is recorded in every
result file, because the two corpora are not comparable.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "nlp" / "data"


@dataclass(frozen=True)
class Name:
    id: str
    type: str  # ORG | PERSON | GPE | LOC | LAW
    en: str
    zh: str
    zh_aliases: tuple[str, ...]
    en_aliases: tuple[str, ...]


@dataclass(frozen=True)
class Term:
    en: str
    zh: str


@dataclass(frozen=True)
class Vocabulary:
    names: tuple[Name, ...]
    terms: tuple[Term, ...]
    origin: str  # "nlp/data" or "built-in"

    def of_type(self, kind: str) -> tuple[Name, ...]:
        return tuple(n for n in self.names if n.type == kind)

    @property
    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for n in self.names:
            h.update(repr(n).encode())
        for t in self.terms:
            h.update(repr(t).encode())
        return h.hexdigest()[:10]


def _has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _from_files(entities: Path, glossary: Path) -> Vocabulary:
    data = tomllib.loads(entities.read_text("utf-8"))
    names = []
    for e in data.get("entity", []):
        if not e.get("en") or not e.get("zh"):
            continue
        aliases = e.get("aliases", [])
        names.append(Name(
            id=e["id"], type=e.get("type", "ORG"), en=e["en"], zh=e["zh"],
            zh_aliases=tuple(a for a in aliases if _has_han(a)),
            en_aliases=tuple(a for a in aliases if not _has_han(a)),
        ))
    terms = []
    for line in glossary.read_text("utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].strip() and parts[1].strip() and not line.startswith("#"):
            terms.append(Term(parts[0].strip(), parts[1].strip()))
    return Vocabulary(tuple(names), tuple(terms), "nlp/data")


# Written for the benchmarks: a few of each kind, so an old checkout still yields a bilingual corpus.
_BUILTIN_NAMES = [
    ("sia", "ORG", "Semiconductor Industry Association", "美国半导体行业协会", ("美國半導體行業協會",), ("SIA",)),
    ("csia", "ORG", "China Semiconductor Industry Association", "中国半导体行业协会", ("中國半導體行業協會", "中半协"), ("CSIA",)),
    ("mofcom", "ORG", "Ministry of Commerce", "商务部", ("商務部",), ("MOFCOM",)),
    ("bis", "ORG", "Bureau of Industry and Security", "美国商务部工业与安全局", ("工业与安全局",), ("BIS",)),
    ("smic", "ORG", "Semiconductor Manufacturing International Corporation", "中芯国际", ("中芯國際",), ("SMIC",)),
    ("tsmc", "ORG", "Taiwan Semiconductor Manufacturing Company", "台积电", ("台積電",), ("TSMC",)),
    ("huawei", "ORG", "Huawei", "华为", ("華為",), ()),
    ("nvidia", "ORG", "Nvidia", "英伟达", ("輝達",), ()),
    ("asml", "ORG", "ASML", "阿斯麦", ("艾司摩爾",), ()),
    ("wto", "ORG", "World Trade Organization", "世界贸易组织", ("世界貿易組織", "世贸组织"), ("WTO",)),
    ("us", "GPE", "United States", "美国", ("美國",), ("U.S.", "US")),
    ("china", "GPE", "China", "中国", ("中國",), ("PRC",)),
    ("netherlands", "GPE", "Netherlands", "荷兰", ("荷蘭",), ()),
    ("japan", "GPE", "Japan", "日本", (), ()),
    ("beijing", "GPE", "Beijing", "北京", (), ()),
    ("washington", "GPE", "Washington", "华盛顿", ("華盛頓",), ()),
    ("ear", "LAW", "Export Administration Regulations", "出口管理条例", ("出口管理條例",), ("EAR",)),
    ("ecl", "LAW", "Export Control Law", "出口管制法", (), ()),
    ("chips_act", "LAW", "CHIPS and Science Act", "芯片与科学法案", ("晶片與科學法案",), ("CHIPS Act",)),
    ("p_wang", "PERSON", "Wang Wentao", "王文涛", ("王文濤",), ()),
    ("p_neuffer", "PERSON", "John Neuffer", "约翰·纽佛", (), ()),
    ("p_raimondo", "PERSON", "Gina Raimondo", "雷蒙多", (), ()),
]
_BUILTIN_TERMS = [
    ("export controls", "出口管制"), ("supply chain", "供应链"), ("supply-chain security", "供应链安全"),
    ("semiconductor", "半导体"), ("integrated circuit", "集成电路"), ("chip", "芯片"),
    ("entity list", "实体清单"), ("working group", "工作组"), ("tariff", "关税"),
    ("lithography", "光刻"), ("advanced computing", "先进计算"), ("rare earth", "稀土"),
    ("gallium", "镓"), ("germanium", "锗"), ("foundry", "晶圆代工"), ("licence", "许可证"),
    ("national security", "国家安全"), ("trade dispute", "贸易争端"), ("industrial policy", "产业政策"),
    ("artificial intelligence", "人工智能"), ("investment review", "投资审查"), ("sanctions", "制裁"),
]


def builtin() -> Vocabulary:
    names = tuple(Name(i, t, en, zh, zha, ena) for i, t, en, zh, zha, ena in _BUILTIN_NAMES)
    terms = tuple(Term(en, zh) for en, zh in _BUILTIN_TERMS)
    return Vocabulary(names, terms, "built-in")


def load(data_dir: Path | None = None) -> Vocabulary:
    """The project's gazetteer and glossary when present, else the built-in vocabulary."""
    data_dir = data_dir or DATA
    entities, glossary = data_dir / "entities.toml", data_dir / "glossary.tsv"
    if entities.is_file() and glossary.is_file():
        vocab = _from_files(entities, glossary)
        if vocab.names and vocab.terms:
            return vocab
    return builtin()
