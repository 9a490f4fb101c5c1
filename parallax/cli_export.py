"""`parallax export`: search results to a file (or standard output) for offline review."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from parallax.errors import ExportError

FORMAT_CHOICES = ("jsonl", "csv", "parquet", "xlsx")  # index.export.FORMATS, without importing it here


def _format_for(fmt: str | None, output: str) -> str:
    if fmt:
        return fmt
    if output == "-":
        raise ExportError("--output - needs --format jsonl or --format csv (nothing to guess it from)")
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix in FORMAT_CHOICES:
        return suffix
    raise ExportError(
        f"cannot tell the format of {output!r} from its extension; pass --format "
        f"{'|'.join(FORMAT_CHOICES)} or name the file .jsonl, .csv, .parquet or .xlsx"
    )


@click.command()
@click.argument("query", nargs=-1)
@click.option("--format", "-f", "fmt", type=click.Choice(FORMAT_CHOICES),
              help="File format; default: from the output file's extension.")
@click.option("--output", "-o", required=True,
              help="File to write (its manifest goes to FILE.manifest.json), or - for standard output "
                   "(jsonl/csv only; the manifest then goes to standard error as one JSON line).")
@click.option("--force", is_flag=True, help="Replace an existing output file and its manifest.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="Row order; an empty query is always newest first.")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Only documents in this language.")
@click.option("--no-expand", is_flag=True, help="Match only the words as typed, not their translations.")
@click.pass_obj
def export(obj, query, fmt, output, force, sort, lang, no_expand):
    """Export every document matching QUERY (all documents when empty) with every field.

    Uses the same query language and code as `parallax search`; near-duplicates are all included.
    """
    from index.export import export_to_path, export_to_stream, load_entity_names
    from index.search import SearchRequest
    from index.backends import open_backend
    from index.store import Store

    from index.query import restrict

    text = restrict(" ".join(query), "lang", lang)
    fmt = _format_for(fmt, output)
    request = SearchRequest(query=text, sort=sort, expand=not no_expand, collapse=False)
    names = load_entity_names(obj.settings.nlp.entities_file)  # the user's names too, as tagging uses them
    with Store.open(obj.settings) as store:
        backend = open_backend(obj.settings, store)
        if output == "-":
            stdout = click.get_binary_stream("stdout")
            try:
                manifest = export_to_stream(store, backend, request, fmt, stdout, entity_names=names)
                stdout.flush()
            except BrokenPipeError:
                # The reader (e.g. `head`) stopped early; keep Python from complaining again at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise ExportError("standard output was closed before the export finished; "
                                  "the output is incomplete") from None
            except OSError as exc:
                # A full disk or device (`> /dev/full`): one line, and no second complaint at exit
                # when Python flushes what is left in the buffer.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise ExportError(f"cannot write to standard output: {exc.strerror or exc}; "
                                  "the output is incomplete") from None
            click.echo(json.dumps(manifest.to_dict(), ensure_ascii=False), err=True)
            return
        manifest = export_to_path(store, backend, request, fmt, output, force=force, entity_names=names)
    click.echo(f"Exported {manifest.documents} documents to {output} ({fmt}, {manifest.bytes:,} bytes, "
               f"sha256 {manifest.sha256[:12]}…); manifest: {output}.manifest.json")
    for note in manifest.notes:
        click.echo(f"Note: {note}", err=True)
