"""Near-duplicates: republished copies of one statement grouped into one cluster.

A statement is often republished by other sites, sometimes in Traditional characters, sometimes with
an editor's line added at the top. Each document gets a MinHash signature over character shingles of
its normalised text (Simplified, half-width, lower case, punctuation and spaces removed), which works
the same for English and Chinese. Locality-sensitive hashing (bands of the signature) finds
candidates among the documents already seen, so a new document is compared only with its likely
copies: the clustering is incremental. A document joins the cluster of the most similar earlier
document above the threshold; otherwise it starts its own cluster (its id is the cluster id).
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from nlp.normalize import normalize

VERSION = "1"
SHINGLE = 5
PERMUTATIONS = 128
BANDS = 32  # 4 rows a band: pairs above ~0.5 similarity nearly always share a band
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20240607)
_A = _rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)  # odd: low bits stay mixed
_B = _rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64)
_DROP = re.compile(r"[\W_]+", re.UNICODE)


def matching_text(text: str) -> str:
    return _DROP.sub("", normalize(text).lower())


def shingles(text: str) -> set[int]:
    s = matching_text(text)
    if len(s) <= SHINGLE:
        return {zlib.crc32(s.encode("utf-8"))} if s else set()
    return {zlib.crc32(s[i:i + SHINGLE].encode("utf-8")) for i in range(len(s) - SHINGLE + 1)}


def signature(text: str) -> np.ndarray:
    """MinHash signature (PERMUTATIONS uint32 values) of the text's shingles."""
    hashed = np.fromiter(shingles(text), dtype=np.uint64)
    if hashed.size == 0:
        return np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint32)
    # (a*x + b) mod 2^32 per permutation; uint64 arithmetic wraps, the low 32 bits are kept.
    values = (hashed[None, :] * _A[:, None] + _B[:, None]) & np.uint64(0xFFFFFFFF)
    return values.min(axis=1).astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.mean(a == b))


def bands(sig: np.ndarray) -> list[tuple[int, str]]:
    rows = PERMUTATIONS // BANDS
    return [(i, sig[i * rows:(i + 1) * rows].tobytes().hex()) for i in range(BANDS)]


class Clusterer:
    """Assigns cluster ids against the signatures kept in the store (see nlp.analyses)."""

    def __init__(self, store, threshold: float):
        from nlp.analyses import Analyses

        self.analyses = Analyses(store)
        self.threshold = threshold

    def assign(self, doc_id: str, text: str) -> tuple[str, float]:
        """Store the document's signature and return (cluster_id, similarity to the match or 0)."""
        sig = signature(text)
        my_bands = bands(sig)
        best, best_sim = None, 0.0
        for other in sorted(self.analyses.band_neighbours(doc_id, my_bands)):
            stored = self.analyses.signature(other)
            if stored is None:
                continue
            sim = similarity(sig, np.frombuffer(stored[0], dtype=np.uint32))
            if sim > best_sim:
                best, best_sim = stored[1], sim
        cluster = best if best is not None and best_sim >= self.threshold else doc_id
        self.analyses.save_signature(doc_id, my_bands, sig.tobytes(), cluster)
        return cluster, (best_sim if cluster != doc_id else 0.0)
