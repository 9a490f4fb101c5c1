"""`parallax extract`: the crawler's extraction on saved pages, one JSON object per line."""

from __future__ import annotations

import json

import click


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--source", "source_id", help="Use this source's selectors, time zone, date format and encoding.")
@click.option("--url", help="The address the page was served from (default: the file's file:// URL).")
@click.option("--encoding", help="Decode with this charset instead of detecting it (e.g. gb18030, big5).")
@click.option("--tz", "tz_name", help="Read times written without a zone in this IANA time zone (e.g. Asia/Shanghai). "
              "Default: the source's; else that of a configured source whose site the page is from; "
              "else UTC+8 for a Chinese page; else UTC. The zone used is said on stderr.")
@click.pass_obj
def extract_command(obj, files, source_id, url, encoding, tz_name):
    """Extract title, date, author, language and text from saved pages (bytes as served).

    Prints one JSON object per file: file url title published_at author lang text (and error when
    the page has no article), and on stderr the time zone that times without one were read in.
    Exit code 1 if any file failed.
    """
    from crawler.saved_pages import extract_saved, parse_time_zone
    from parallax.stages import selected_sources

    tz = parse_time_zone(tz_name) if tz_name else None
    source = selected_sources(obj.settings, [source_id])[0] if source_id else None
    sources = selected_sources(obj.settings) if not (tz or source) else []
    failed, said = 0, set()
    for result in extract_saved(files, source=source, url=url, encoding=encoding, tz=tz, sources=sources,
                                max_bytes=obj.settings.crawl.max_page_bytes):
        failed += bool(result.error)
        if result.zone and result.zone.describe() not in said:
            said.add(result.zone.describe())
            click.echo(result.zone.describe(), err=True)
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    if failed:
        click.echo(f"{failed} of {len(files)} files had no extractable article", err=True)
        raise SystemExit(1)
