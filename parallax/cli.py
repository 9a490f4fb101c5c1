"""The `parallax` command: thin commands over the library, errors turned into one line each."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import click

from parallax.errors import ParallaxError
from parallax.progress import Progress
from parallax.settings import load_settings


class Context:
    def __init__(self, config, data_dir, log_json, debug):
        overrides = {"data_dir": str(data_dir)} if data_dir else {}
        self.settings = load_settings(config, overrides=overrides)
        self.log_json = log_json
        self.debug = debug

    def progress(self) -> Progress:
        return Progress(json_logs=self.log_json)


class ParallaxGroup(click.Group):
    """Turns every `ParallaxError` into one line on stderr and exit code 1 (tracebacks with --debug)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ParallaxError as exc:
            if "--debug" in sys.argv:
                raise
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(1)


@click.group(cls=ParallaxGroup)
@click.option("--config", type=click.Path(dir_okay=False), envvar="PARALLAX_CONFIG",
              help="Settings file (TOML); default: none, or $PARALLAX_CONFIG.")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Data directory for the store and caches; overrides $PARALLAX_DATA_DIR.")
@click.option("--log-json", is_flag=True, help="Log JSON lines on stderr instead of plain text.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="parallax")
@click.pass_context
def cli(ctx, config, data_dir, log_json, debug):
    """Parallax: watch what English- and Chinese-language institutions say about the same issues."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("scrapy", "jieba", "urllib3", "elastic_transport", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        ctx.obj = Context(config, data_dir, log_json, debug)
    except ParallaxError as exc:
        if debug:
            raise
        click.secho(f"Error: {exc}", fg="red", err=True)
        ctx.exit(1)


def _table(title: str, columns: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[("" if v is None else str(v)) for v in row])
    Console().print(table)


def _crawl_table(counts: dict[str, dict[str, int]]) -> None:
    keys = ["fetched", "new", "updated", "unchanged", "failed", "skipped_known"]
    rows = [[source, *[c.get(k, 0) for k in keys]] for source, c in sorted(counts.items())]
    rows.append(["total", *[sum(c.get(k, 0) for c in counts.values()) for k in keys]])
    _table("Crawl", ["source", *keys], rows)


def _process_table(report) -> None:
    rows = [[stage, f"{seconds:.2f}s", report.pipelines.get(stage, "")]
            for stage, seconds in report.seconds.items()]
    _table(f"Process: {report.processed} documents", ["stage", "time", "engine"], rows)


@cli.command()
@click.option("--no-ui", is_flag=True, help="Stop after indexing and print a summary.")
@click.option("--site-port", default=8780, show_default=True, help="Port for the sample site on 127.0.0.1.")
@click.pass_obj
def demo(obj: Context, no_ui, site_port):
    """Crawl the bundled sample site, process and index it, then open the UI."""
    from parallax.demo import run_demo, serve_site

    with serve_site(site_port) as server:
        click.echo(f"Sample site: {server.url}/")
        report = run_demo(obj.settings, server, obj.progress())
        _crawl_table(report.cycle.crawl)
        _process_table(report.cycle.process)
        click.echo(f"Indexed {report.cycle.index.get('indexed', 0)} documents; "
                   f"{report.documents} in the store at {obj.settings.store_path}")
        if no_ui:
            return
        _run_ui(obj.settings)


@cli.command()
@click.option("--source", "sources", multiple=True, help="Only this source id (repeatable).")
@click.pass_obj
def crawl(obj: Context, sources):
    """Fetch new articles from the configured sources into the store."""
    from parallax import stages

    _crawl_table(stages.crawl(obj.settings, list(sources) or None))


@cli.command()
@click.pass_obj
def process(obj: Context):
    """Run language identification, normalisation and segmentation on what is behind."""
    from parallax import stages

    _process_table(stages.process(obj.settings, obj.progress()))


@cli.group()
def sources():
    """List sources with their health, or check the sources file."""


@sources.command("list")
@click.pass_obj
def sources_list(obj: Context):
    """Each source with its last crawl's counts."""
    from index.store import Store
    from parallax.stages import selected_sources

    configured = selected_sources(obj.settings)
    with Store.open(obj.settings) as store:
        runs = {r["source_id"]: r for r in store.latest_crawl_runs()}
        counts = dict(store.conn.execute("SELECT source_id, COUNT(*) FROM documents GROUP BY 1").fetchall())
    rows = []
    for s in configured:
        run = runs.get(s.id, {})
        rows.append([s.id, s.name_en, s.language, s.kind, s.country, counts.get(s.id, 0),
                     run.get("finished_at", "never"), run.get("new", ""), run.get("failed", "")])
    _table("Sources", ["id", "name", "lang", "kind", "country", "documents", "last run", "new", "failed"], rows)


@sources.command("check")
@click.pass_obj
def sources_check(obj: Context):
    """Validate the sources file; a bad entry names the source and the key."""
    from parallax.stages import selected_sources

    found = selected_sources(obj.settings)
    click.echo(f"OK: {len(found)} sources, {sum(len(s.entries) for s in found)} entry points.")


def _run_ui(settings) -> None:
    ui_app = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    env = {**os.environ, "PARALLAX_DATA_DIR": str(settings.data_dir)}
    url = f"http://{settings.ui.host}:{settings.ui.port}"
    click.echo(f"Parallax UI: {url}  (Ctrl-C to stop)")
    subprocess.run(
        [sys.executable, "-m", "streamlit", "run", str(ui_app), "--server.address", settings.ui.host,
         "--server.port", str(settings.ui.port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        env=env, check=False,
    )


@cli.command()
@click.pass_obj
def ui(obj: Context):
    """Start the research app (Streamlit) on the configured host and port."""
    _run_ui(obj.settings)


def _later(name: str, issue: str):
    @cli.command(name=name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def command():
        raise ParallaxError(f"'parallax {name}' arrives with the {issue} work; it is not built yet")

    command.__doc__ = f"({issue}: not built yet)"
    return command


run = _later("run", "alerts")
alerts = _later("alerts", "alerts")
export = _later("export", "export")


from parallax.cli_search import index as index_command, search as search_command  # noqa: E402

cli.add_command(index_command)
cli.add_command(search_command)


def main() -> None:
    cli(prog_name="parallax")


if __name__ == "__main__":
    main()
