"""`parallax sources list|check|add|export|import`: each source's health, the sources file
checked, sites added by address and sources edited in bulk.

Thin commands over `crawler.health` (one `SourceHealth` per source), `crawler.discover` (finding a
site's feeds, sitemaps or listing) and `crawler.sources_file` (writing the user's sources file with
its comments kept, CSV in and out).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from parallax.cli_tables import missing_models, print_rows, table


@click.group()
def sources():
    """List, check, add (by address), export and import sources."""


@sources.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "tsv"]), default="table", show_default=True,
              help="A table (full rows when not on a terminal), JSON (one array) or tab-separated lines.")
@click.pass_obj
def sources_list(obj, fmt):
    """Each source's health: documents, the last run's counts, the last success and the last error."""
    from crawler.health import source_healths
    from index.store import Store
    from parallax.stages import selected_sources

    configured = selected_sources(obj.settings)
    with Store.open(obj.settings) as store:
        healths = source_healths(store, configured)
    rows = []
    for s, h in zip(configured, healths):
        c = h.counts
        rows.append([s.id, s.language, "|".join(s.collections), h.status, h.documents, h.failed_documents,
                     (h.last_run or "never")[:16], c.get("fetched", ""), c.get("new", ""),
                     c.get("updated", ""), c.get("unchanged", ""), c.get("failed", ""),
                     (h.last_success or "never")[:16]])
    columns = ["id", "lang", "collections", "health", "docs", "failed docs", "last run", "fetched", "new",
               "updated", "unchanged", "failed", "last success"]
    if fmt != "table":
        print_rows(fmt, columns, rows, [(h.message if h.status not in ("ok", "never") else None, h.last_error)
                                        for h in healths])
        return
    table("Sources", columns, rows)
    for h in healths:
        if h.status not in ("ok", "never"):
            click.echo(f"{h.source_id}: {h.status.upper()}: {h.message}")
    for h in healths:
        if h.last_error:
            click.echo(f"{h.source_id}: last error: {h.last_error}")
    missing_models(obj.settings)


@sources.command("check")
@click.pass_obj
def sources_check(obj):
    """Validate the sources file; a bad entry names the source and the key."""
    from crawler.sources import collections_of
    from parallax.stages import selected_sources

    found = selected_sources(obj.settings)
    kinds = sorted({e.type for s in found for e in s.entries})
    collections = collections_of(found)
    click.echo(f"OK: {len(found)} sources, {sum(len(s.entries) for s in found)} entry points "
               f"({', '.join(kinds)}), {len(collections)} collections"
               + (f" ({', '.join(collections)})." if collections else "."))


def _proposal_lines(proposal) -> list[str]:
    lines = [f"Site: {proposal.url}", f"  name {proposal.name!r} ({proposal.name_en}), kind {proposal.kind}"]
    lines += [f"  {hint}" for hint in proposal.hints]
    lines.append("Entry points:")
    for entry in proposal.entries:
        where = entry.get("url") or ", ".join(entry.get("urls", []))
        extra = "".join(f"  {k}={entry[k]}" for k in ("article_pattern", "next_pattern") if entry.get(k))
        lines.append(f"  {entry['type']}: {where}{extra}")
    lines.append("Sample articles, as a crawl would store them:")
    for sample in proposal.samples:
        if sample.error:
            lines.append(f"  ✗ {sample.url}: {sample.error}")
            continue
        lines.append(f"  • {sample.title}  [{sample.published_at or 'no date found'}]")
        lines.append(f"    {sample.url}")
        lines += [f"    {line}" for line in sample.lines]
    return lines


@sources.command("add")
@click.argument("url")
@click.option("--id", "source_id", help="The source's id (a lowercase slug); default: from the address.")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="The site's language; default: detected.")
@click.option("--kind", type=click.Choice(["association", "government", "company", "news"]),
              help="What the institution is; default: guessed from its name.")
@click.option("--country", help="ISO country code; default: from the page's language tag or domain.")
@click.option("--name-en", help="The English name (default: the site's name when it is in English).")
@click.option("--collection", "collections", multiple=True, help="Put the source in this collection (repeatable).")
@click.option("--file", "file_", type=click.Path(dir_okay=False),
              help="Sources file to write (default: the `sources` setting; created if missing).")
@click.option("--yes", is_flag=True, help="Write without asking (for scripts).")
@click.pass_obj
def sources_add(obj, url, source_id, lang, kind, country, name_en, collections, file_, yes):
    """Find how to watch the site at URL and add it to your sources file.

    Fetches the page politely (robots.txt obeyed), looks for feeds (<link rel=alternate>, common
    paths), sitemaps (robots.txt, /sitemap.xml, news sitemaps) and, failing both, a listing page
    with an inferred article-link pattern; shows three sample articles as extraction sees them,
    then writes the [[source]] block after you confirm.
    """
    from crawler.discover import Wishes, discover
    from crawler.sources import load_sources
    from crawler.sources_file import add_source, block_text, user_sources_path
    from parallax.errors import ConfigError

    path = user_sources_path(obj.settings, file_)
    taken = {s.id for s in load_sources(path)} if path.exists() else set()
    if source_id and source_id in taken:
        raise ConfigError(f"source {source_id!r} is already in {path}; choose another --id")
    click.echo(f"Looking at {url} …", err=True)
    proposal = discover(obj.settings, url, Wishes(id=source_id, language=lang, kind=kind, country=country,
                                                  name_en=name_en, collections=tuple(collections)))
    if proposal.id in taken:
        raise ConfigError(f"the suggested id {proposal.id!r} is already in {path}; pass --id")
    for line in _proposal_lines(proposal):
        click.echo(line)
    comment = f"Added by `parallax sources add` on {date.today().isoformat()} from {url}"
    click.echo(f"\nThe block for {path}:\n")
    click.echo(block_text(proposal.source_table(), comment))
    if not yes and not click.confirm(f"Add source {proposal.id!r} to {path}?", default=True):
        click.echo("Nothing written.")
        return
    add_source(path, proposal.source_table(), comment)
    click.echo(f"Added {proposal.id!r} to {path}. Fetch it with: parallax crawl --source {proposal.id}")


@sources.command("export")
@click.argument("output", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.pass_obj
def sources_export(obj, output, force):
    """Write the configured sources as CSV (one a row; `-` for standard output)."""
    from crawler.sources_file import export_csv
    from parallax.errors import ExportError
    from parallax.stages import selected_sources

    configured = selected_sources(obj.settings)
    text = export_csv(configured)
    if output == "-":
        sys.stdout.write(text)
        return
    path = Path(output)
    if path.exists() and not force:
        raise ExportError(f"{path} exists; pass --force to replace it")
    path.write_bytes(text.encode("utf-8-sig"))  # the byte-order mark makes Excel read UTF-8
    click.echo(f"Wrote {len(configured)} sources to {path}", err=True)


@sources.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False))
@click.option("--file", "file_", type=click.Path(dir_okay=False),
              help="Sources file to write (default: the `sources` setting; created if missing).")
@click.pass_obj
def sources_import(obj, csv_file, file_):
    """Add or update sources from a CSV (the columns `sources export` writes).

    Every row is checked first; one bad row (its number is in the error) means nothing is written.
    Sources already in the file keep their selectors, date format and comments; sources not in
    the CSV are left alone.
    """
    from crawler.sources_file import import_csv, user_sources_path

    path = user_sources_path(obj.settings, file_)
    report = import_csv(Path(csv_file), path)
    click.echo(f"{path}: {len(report.added)} added, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged"
               + (f" (added: {', '.join(report.added)})" if report.added else ""))
