"""The offline demo: the bundled sample site, served on 127.0.0.1, through the whole pipeline.

The site is served on a fixed port (8780 unless told otherwise) because document ids come from
URLs: the same port on every run means a second demo over the same data directory finds every
page already stored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from parallax import stages
from parallax.errors import ParallaxError
from parallax.sample_server import SiteServer, bundled_site

DEMO_PORT = 8780


@dataclass
class DemoReport:
    site_url: str
    cycle: stages.CycleReport
    documents: int


def demo_settings(settings):
    """The user's settings with the demo's sources and no politeness delay (the site is ours)."""
    crawl = dataclasses.replace(settings.crawl, download_delay=0.0, autothrottle=False,
                                concurrency_per_domain=8)
    return settings.replace(sources=str(bundled_site() / "sources.toml"), crawl=crawl)


def serve_site(port: int = DEMO_PORT) -> SiteServer:
    try:
        return SiteServer(bundled_site(), port=port)
    except OSError as exc:
        raise ParallaxError(f"cannot serve the sample site on 127.0.0.1:{port} ({exc.strerror}); "
                            "stop what uses that port or pass --site-port") from None


def run_demo(settings, server: SiteServer, progress=None) -> DemoReport:
    from index.store import Store

    settings = demo_settings(settings)
    report = stages.cycle(settings, progress=progress, base=server.url)
    with Store.open(settings) as store:
        count = store.count_documents()
    return DemoReport(site_url=server.url, cycle=report, documents=count)
