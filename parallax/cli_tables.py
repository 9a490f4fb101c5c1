"""How the CLI prints tables and row lists: one place, used by every command group.

Rich tables on a terminal; full rows when piped or run from cron; JSON and TSV for scripts.
"""

from __future__ import annotations

import json
import sys

import click


def table(title: str, columns: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Table(title=title)
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*[("" if v is None else str(v)) for v in row])
    # Piped or run from cron, rich would squash columns to 80 characters ("fa…"): print full rows.
    console = Console() if sys.stdout.isatty() else Console(width=10_000, soft_wrap=True)
    console.print(out)


def crawl_table(counts: dict[str, dict[str, int]]) -> None:
    keys = ["fetched", "new", "updated", "unchanged", "failed", "skipped_known", "not_modified",
            "withdrawn"]
    rows = [[source, *[c.get(k, 0) for k in keys]] for source, c in sorted(counts.items())]
    rows.append(["total", *[sum(c.get(k, 0) for c in counts.values()) for k in keys]])
    table("Crawl", ["source", *keys], rows)


def process_table(report) -> None:
    counts = getattr(report, "counts", {})
    rows = [[stage, counts.get(stage, ""), f"{seconds:.2f}s", report.pipelines.get(stage, "")]
            for stage, seconds in report.seconds.items()]
    table(f"Process: {report.processed} documents", ["stage", "documents", "time", "engine"], rows)
    if getattr(report, "translated", 0) or getattr(report, "untranslated", 0):
        click.echo(f"Translated {report.translated} documents ({report.sentences_translated} sentences, "
                   f"{report.sentences_from_cache} from the cache); {report.untranslated} left untranslated.")


def missing_models(settings) -> None:
    """One line per translation model that is missing, with the command that installs it."""
    from nlp.models import missing_lines

    if settings.nlp.translate:
        for line in missing_lines(settings):
            click.echo(line[0].upper() + line[1:] + ".")


def print_rows(fmt: str, columns: list[str], rows: list[list], notes: list[tuple]) -> None:
    """Rows as JSON (one array of objects, with the health message and last error) or TSV."""
    keys = [c.replace(" ", "_") for c in columns]
    if fmt == "json":
        items = [{**dict(zip(keys, row)), "health_message": message, "last_error": error}
                 for row, (message, error) in zip(rows, notes)]
        for item in items:
            item["collections"] = [c for c in item["collections"].split("|") if c]
        click.echo(json.dumps(items, ensure_ascii=False, indent=1))
        return
    click.echo("\t".join(keys))
    for row in rows:
        click.echo("\t".join("" if v is None else str(v).replace("\t", " ").replace("\n", " ") for v in row))
