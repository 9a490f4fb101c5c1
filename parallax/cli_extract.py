"""`parallax extract`: the crawler's extraction on saved pages, one JSON object per line."""

from __future__ import annotations

import json

import click


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--source", "source_id", help="Use this source's selectors, time zone, date format and encoding.")
@click.option("--url", help="The address the page was served from (default: the file's file:// URL).")
@click.option("--encoding", help="Decode with this charset instead of detecting it (e.g. gb18030, big5).")
@click.pass_obj
def extract_command(obj, files, source_id, url, encoding):
    """Extract title, date, author, language and text from saved pages (bytes as served).

    Prints one JSON object per file: file url title published_at author lang text (and error when
    the page has no article). Exit code 1 if any file failed.
    """
    from crawler.saved_pages import extract_saved
    from parallax.stages import selected_sources

    source = selected_sources(obj.settings, [source_id])[0] if source_id else None
    failed = 0
    for result in extract_saved(files, source=source, url=url, encoding=encoding,
                                max_bytes=obj.settings.crawl.max_page_bytes):
        failed += bool(result.error)
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    if failed:
        click.echo(f"{failed} of {len(files)} files had no extractable article", err=True)
        raise SystemExit(1)
