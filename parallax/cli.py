"""The `parallax` command: thin commands over the library, errors turned into one line each."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
from pathlib import Path

import click

from parallax.cli_tables import crawl_table, missing_models, process_table
from parallax.errors import ParallaxError
from parallax.progress import Progress
from parallax.settings import load_settings


class Context:
    def __init__(self, config, data_dir, log_json, debug):
        overrides = {"data_dir": str(data_dir)} if data_dir else {}
        self.settings = load_settings(config, overrides=overrides)
        self.config_path = config
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
            if ctx.params.get("debug"):  # the group's own --debug option
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
    if not debug:
        # Its retry warnings carry a full traceback per attempt; the BackendUnavailable raised
        # after the retries says what happened in one line.
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)
    try:
        ctx.obj = Context(config, data_dir, log_json, debug)
    except ParallaxError as exc:
        if debug:
            raise
        click.secho(f"Error: {exc}", fg="red", err=True)
        ctx.exit(1)


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
        crawl_table(report.cycle.crawl)
        process_table(report.cycle.process)
        missing_models(obj.settings)
        click.echo(f"Indexed {report.cycle.index.get('indexed', 0)} documents; "
                   f"{report.documents} in the store at {obj.settings.store_path}")
        if no_ui:
            return
        _run_ui(obj.settings, obj.config_path)


@cli.command()
@click.option("--source", "sources", multiple=True, help="Only this source id (repeatable).")
@click.option("--recheck", type=click.FloatRange(min=0), metavar="DAYS",
              help="Also fetch again the stored articles published in the last DAYS days, to catch "
                   "edits and withdrawals (default: never).")
@click.pass_obj
def crawl(obj: Context, sources, recheck):
    """Fetch new articles from the configured sources into the store.

    Known articles are not fetched again; feeds, sitemaps and listings are asked with
    If-None-Match / If-Modified-Since. Prints per-source counts.
    """
    from parallax import stages

    crawl_table(stages.crawl(obj.settings, list(sources) or None, recheck_days=recheck))


@cli.command()
@click.option("--translate", "fill_translations", is_flag=True,
              help="Also translate documents left untranslated earlier (model missing or translation off).")
@click.option("--scope", type=click.Choice(["title", "lead", "full"]),
              help="How much of each document to translate (default: nlp.translate_scope); with "
                   "--translate, `full` also completes documents translated only in part.")
@click.pass_obj
def process(obj: Context, fill_translations, scope):
    """Run the language stages on every document that is behind: new, changed, or analysed by an
    older version of a stage."""
    from parallax import stages

    report = stages.process(obj.settings, obj.progress(), fill_translations=fill_translations, scope=scope)
    process_table(report)
    missing_models(obj.settings)


HIGHLIGHT_COLOUR = "#ffc857"


def ui_command(settings, config_path: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The `streamlit run` command line and environment that serve the research app.

    The app builds its own settings from PARALLAX_* (it runs in another process), so the data
    directory and config file chosen here are handed over that way; the project root goes first on
    PYTHONPATH so the app imports this same code.
    """
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PARALLAX_DATA_DIR": str(settings.data_dir),
           "PYTHONPATH": os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    if config_path:
        env["PARALLAX_CONFIG"] = str(Path(config_path).resolve())
    command = [sys.executable, "-m", "streamlit", "run", str(root / "ui" / "app.py"),
               "--server.address", settings.ui.host, "--server.port", str(settings.ui.port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--theme.primaryColor", "#1f5fa8",
               "--client.toolbarMode", "minimal",
               # Search hits are marked with the orange background: a marker tone, not the pale default.
               "--theme.orangeBackgroundColor", HIGHLIGHT_COLOUR]
    return command, env


class _Stop(Exception):
    """SIGTERM or SIGHUP arrived while the app was serving."""


def _run_ui(settings, config_path: str | None = None) -> None:
    """Serve the app until Streamlit exits or this command is told to stop.

    Streamlit runs in a process group of its own, so SIGTERM, SIGHUP or Ctrl-C here stops that
    whole group (Streamlit and anything it started) rather than leaving it serving as an orphan.
    """
    import signal

    command, env = ui_command(settings, config_path)
    click.echo(f"Parallax UI: http://{settings.ui.host}:{settings.ui.port}  (Ctrl-C to stop)")

    def stop(signum, frame):
        raise _Stop()

    child = subprocess.Popen(command, env=env, start_new_session=True)
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        child.wait()
    except (_Stop, KeyboardInterrupt):
        _stop_group(child)
        click.echo("Parallax UI stopped.")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_group(child: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to the child's process group; SIGKILL if it is still there after `grace` seconds."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@cli.command()
@click.pass_obj
@click.option("--port", type=click.IntRange(1, 65535),
              help="Port on the configured host; overrides [ui] port / $PARALLAX_UI_PORT.")
def ui(obj: Context, port):
    """Start the research app (Streamlit) on the configured host and port."""
    settings = obj.settings
    if port:
        settings = settings.replace(ui=dataclasses.replace(settings.ui, port=port))
    _run_ui(settings, obj.config_path)


from parallax.cli_alerts import alerts  # noqa: E402 - registered after the group exists
from parallax.cli_export import export  # noqa: E402
from parallax.cli_run import run  # noqa: E402

cli.add_command(alerts)
cli.add_command(run)
cli.add_command(export)


from parallax.cli_search import index as index_command, search as search_command  # noqa: E402

cli.add_command(index_command)
cli.add_command(search_command)

from parallax.cli_nlp import nlp_command  # noqa: E402

cli.add_command(nlp_command)

from parallax.cli_extract import extract_command  # noqa: E402
from parallax.cli_models import models_command  # noqa: E402

cli.add_command(models_command)

cli.add_command(extract_command)

from parallax.cli_sources import sources  # noqa: E402

cli.add_command(sources)


def main() -> None:
    cli(prog_name="parallax")


if __name__ == "__main__":
    main()
