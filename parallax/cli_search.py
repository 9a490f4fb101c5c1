"""`parallax index` and `parallax search`: thin commands over `index.search`."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--rebuild", is_flag=True,
              help="Rebuild the index from the store (Elasticsearch: into a new index, then swap the alias).")
@click.option("--check", is_flag=True,
              help="Elasticsearch: show the server version, template, alias, mappings and a test round trip.")
@click.pass_obj
def index(obj, rebuild, check):
    """Bring the search index up to date with the store."""
    from index.backends import open_backend
    from index.store import Store

    progress = obj.progress()
    with Store.open(obj.settings) as store:
        backend = open_backend(obj.settings, store)
        if check:
            _check(backend)
            return
        counts = backend.rebuild(store, progress) if rebuild else backend.sync(store, progress)
        errors = list(getattr(backend, "errors", []))
    click.echo(f"Indexed {counts.get('indexed', 0)} documents, removed {counts.get('removed', 0)}"
               + (f", failed {counts['failed']}" if counts.get("failed") else "") + ".")
    for error in errors[:20]:
        click.echo(f"  failed {error['id']}: {error['status']} {error['error']}", err=True)
    if len(errors) > 20:
        click.echo(f"  … and {len(errors) - 20} more", err=True)


def _check(backend) -> None:
    """Print the backend's smoke check, one line per item; exit 1 if any item failed."""
    if not hasattr(backend, "check"):
        click.echo(f"The {backend.name} index lives in the data directory and needs no check; "
                   "--check is for PARALLAX_INDEX_BACKEND=elasticsearch.")
        return
    lines = backend.check()
    for what, passed, detail in lines:
        click.echo(f"{'ok  ' if passed else 'FAIL'} {what:<10} {detail}")
    if not all(passed for _, passed, _ in lines):
        raise click.exceptions.Exit(1)


def _print_table(result) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    console.print(result.counts_line())
    for note in result.expansions:
        console.print(Text(f"also matched: {note}", style="dim"))
    for hit in result.hits:
        console.print(Text(hit.title, style="bold"), Text(f"  [{hit.lang}] {hit.source_name} "
                                                          f"{(hit.published_at or '')[:10]}", style="dim"))
        if hit.status == "withdrawn":
            console.print(Text(f"WITHDRAWN (missing since {(hit.withdrawn_at or '')[:10]})", style="bold red"))
        for snip in (hit.snippet, hit.snippet_tr):
            if snip is None:
                continue
            line = Text()
            pos = 0
            for start, end in snip.highlights:
                line.append(snip.text[pos:start])
                line.append(snip.text[start:end], style="bold yellow")
                pos = end
            line.append(snip.text[pos:])
            console.print(line)
        if hit.cluster_size > 1:
            console.print(Text(f"also published by: {', '.join(hit.also_published_by)}", style="dim"))
        console.print(Text(hit.url, style="blue"))
        console.print()


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000), help="Hits per page.")
@click.option("--offset", default=0, type=click.IntRange(0), help="Hits to skip (for the next page).")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="Best match first, or newest first.")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Only documents in this language.")
@click.option("--no-expand", is_flag=True,
              help="Match only the words as typed: no glossary or entity counterparts, no translations.")
@click.option("--facets", is_flag=True, help="Also count hits per source, language, type, country, entity, month.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Readable table, or one JSON object: total_stories, total_documents, expansions "
                   "(as the table prints them) and hits, each with the expansions it matched.")
@click.pass_obj
def search(obj, query, limit, offset, sort, lang, no_expand, facets, fmt):
    """Search the index with the query language (see the README).

    A query may start with a minus (`parallax search -chips tariffs`); `--` before the query
    also works (`parallax search -- -chips`).
    """
    from index.backends import open_backend
    from index.search import SearchRequest
    from index.store import Store

    # Unknown options are let through so that `-chips` is a query; a mistyped long option is not.
    typo = next((word for word in query if word.startswith("--") and len(word) > 2), None)
    if typo:
        raise click.UsageError(f"no such option: {typo.split('=', 1)[0]} (see --help); to search "
                               f"for it, quote it inside the query: '\"{typo}\"'")
    from index.query import restrict

    text = restrict(" ".join(query), "lang", lang)
    request = SearchRequest(query=text, limit=limit, offset=offset, sort=sort, expand=not no_expand,
                            facets=facets)
    with Store.open(obj.settings) as store:
        result = open_backend(obj.settings, store).search(request)
        if fmt == "json":
            click.echo(json.dumps(search_json(result, store), ensure_ascii=False, indent=1))
        else:
            _print_table(result)


def search_json(result, store) -> dict:
    """The whole answer as one JSON object: both counts, the expansions the table prints (in the
    same words), and the hits; each hit lists the expansions whose names occur in its text."""
    docs = store.get_many([hit.id for hit in result.hits])
    hits = []
    for hit in result.hits:
        item = hit.to_json()
        doc = docs.get(hit.id)
        text = " ".join(filter(None, (hit.title, hit.title_tr, doc and doc.body, doc and doc.body_tr)))
        item["expansions"] = [str(e) for e in result.expansions if _occurs(e.names, text)]
        hits.append(item)
    return {"total_stories": result.total_stories, "total_documents": result.total_documents,
            "counts_exact": result.exact, "expansions": list(result.expansions), "hits": hits}


def _occurs(names: list[str], text: str) -> bool:
    from index.highlight import find_spans

    return any(find_spans(text, [name]) for name in names)
