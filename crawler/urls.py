"""Canonical URLs: one article, one URL, whatever link led to it.

Tracking parameters and fragments are dropped and the query is put in a stable order, so the same
page reached from a newsletter link and from the listing gets the same document id.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_")
TRACKING_NAMES = {"fbclid", "gclid", "dclid", "msclkid", "yclid", "spm", "from", "isappinstalled",
                  "share_token", "ref", "ref_src", "igshid", "_hsenc", "_hsmi", "mkt_tok"}


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(TRACKING_PREFIXES) and k.lower() not in TRACKING_NAMES]
    netloc = parts.netloc.lower()
    if parts.scheme == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    if parts.scheme == "https" and netloc.endswith(":443"):
        netloc = netloc[:-4]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(sorted(query)), ""))


def resolve_canonical(page_url: str, declared: str | None) -> str:
    """The page's rel=canonical if it is a usable http(s) URL on the same site, else the page URL."""
    if declared:
        target = urljoin(page_url, declared.strip())
        if urlsplit(target).scheme in ("http", "https") and \
                urlsplit(target).hostname == urlsplit(page_url).hostname:
            return canonical_url(target)
    return canonical_url(page_url)
