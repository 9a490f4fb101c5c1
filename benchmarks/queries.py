"""The fixed 50-query mix for search latency, and the 1,000 saved searches for alert matching.

Queries are built from the same vocabulary as the corpus, by rank (the corpus draws names with a
Zipf-like skew, so rank 0 is frequent and rank 40 is rare), which keeps the mix meaningful for any
vocabulary and identical from run to run.
"""

from __future__ import annotations

import random

from benchmarks.vocabulary import Vocabulary

CATEGORIES = ("single word", "phrase", "boolean", "filter", "chinese", "cross-language")


def _quote(text: str) -> str:
    return f'"{text}"' if " " in text or "-" in text else text


def query_mix(vocab: Vocabulary) -> list[tuple[str, str]]:
    """Fifty (category, query) pairs: 12 single words, 8 phrases, 8 boolean, 8 filters,
    10 Chinese, 4 cross-language."""
    import opencc

    to_traditional = opencc.OpenCC("s2t").convert
    terms, orgs = vocab.terms, vocab.of_type("ORG")
    places = vocab.of_type("GPE") + vocab.of_type("LOC")
    laws = vocab.of_type("LAW") or orgs

    def t(rank: int):
        return terms[rank % len(terms)]

    def o(rank: int):
        return orgs[rank % len(orgs)]

    one_word_terms = [x.en for x in terms if " " not in x.en and "-" not in x.en]
    multi_word_terms = [x.en for x in terms if " " in x.en]
    abbreviations = [a for n in orgs for a in n.en_aliases if " " not in a and a.isupper()]
    singles = (one_word_terms[:6] + abbreviations[:4] + [places[0].en.split()[0], "semiconductor"])[:12]
    while len(singles) < 12:
        singles.append(one_word_terms[len(singles) % max(1, len(one_word_terms))])
    phrases = [_quote(x) for x in multi_word_terms[:5]] + [f'"{o(i).en}"' for i in range(3)]
    boolean = [
        f"{_quote(t(0).en)} OR {_quote(t(1).en)}",
        f"{_quote(t(2).en)} {_quote(t(3).en)}",
        f"{_quote(t(0).en)} NOT {_quote(t(4).en)}",
        f"({_quote(t(5).en)} OR {_quote(t(6).en)}) {_quote(o(0).en)}",
        f"{_quote(t(1).en)} -{_quote(t(2).en)}",
        f"{t(0).zh} OR {t(1).zh}",
        f"{o(1).zh} {t(3).zh}",
        f"({_quote(o(0).en)} OR {_quote(o(1).en)}) NOT {_quote(t(7).en)}",
    ]
    filters = [
        f"{_quote(t(0).en)} source:sia",
        f"{t(0).zh} lang:zh",
        f"{_quote(t(1).en)} after:2025-01-01",
        f"type:government {_quote(t(2).en)}",
        f"country:CN {t(3).zh}",
        "source:csia",
        f"lang:en before:2024-06-30 {_quote(t(4).en)}",
        f"entity:{o(0).id}",
    ]
    chinese = [
        t(0).zh, t(1).zh, t(2).zh, o(0).zh, o(1).zh, places[0].zh,
        f'"{t(3).zh}{t(4).zh}"',
        to_traditional(t(0).zh), to_traditional(o(1).zh),
        laws[0].zh,
    ]
    cross = [
        f"{_quote(t(0).en)} OR {t(0).zh}",
        f"{_quote(t(1).en)} lang:zh",
        f"{o(0).zh} lang:en",
        f"{_quote(o(1).en)} {o(1).zh}",
    ]
    mix = ([("single word", q) for q in singles] + [("phrase", q) for q in phrases]
           + [("boolean", q) for q in boolean] + [("filter", q) for q in filters]
           + [("chinese", q) for q in chinese] + [("cross-language", q) for q in cross])
    assert len(mix) == 50, len(mix)
    return mix


def saved_searches(vocab: Vocabulary, n: int = 1000, seed: int = 7) -> list[str]:
    """n saved-search queries as researchers write them: a name or a term in either language, often
    narrowed by a filter, sometimes two alternatives or two required terms. Drawn over the whole
    vocabulary, so most alerts are about something rare and a few about something common."""
    rng = random.Random(seed)
    words = []
    for term in vocab.terms:
        words += [_quote(term.en), term.zh]
    for name in vocab.names:
        words += [_quote(name.en), name.zh] + [_quote(a) for a in name.en_aliases[:1]]
    filters = ["lang:zh", "lang:en", "source:sia", "source:csia", "source:mofcom", "country:CN",
               "country:US", "type:news", "type:government", "after:2025-06-01"]
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.2:
            query = f"{rng.choice(words)} OR {rng.choice(words)}"
        elif r < 0.3:
            query = f"{rng.choice(words)} {rng.choice(words)}"
        else:
            query = rng.choice(words)
        if rng.random() < 0.3:
            query += " " + rng.choice(filters)
        out.append(query)
    return out
