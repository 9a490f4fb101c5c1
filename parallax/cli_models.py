"""`parallax models install|list`: get the translation models onto this machine and see what is there."""

from __future__ import annotations

import click

from parallax.cli_tables import table
from parallax.errors import ModelError

TARGETS = ("translation", "entities", "all")


def hub_location() -> tuple[str, str]:
    """The hub endpoint and cache directory huggingface_hub uses (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE)."""
    from huggingface_hub import constants

    return constants.ENDPOINT, constants.HF_HUB_CACHE


def install_translation(settings, progress, timeout: float) -> list:
    """Install both directions' models; the hub is asked first, so an unreachable one fails fast."""
    from huggingface_hub import constants

    from nlp import models

    specs = [s for s in models.translation_specs(settings.nlp) if s.name]
    if not specs:
        raise ModelError("no translation model is set (nlp.translate_zh_en, nlp.translate_en_zh are empty)")
    endpoint, cache_dir = hub_location()
    if any(not models.is_local_dir(s.name) for s in specs):
        if constants.HF_HUB_OFFLINE:
            raise ModelError("HF_HUB_OFFLINE is set, so the model hub is not asked; unset it and run "
                             f"`{models.INSTALL_COMMAND}` again")
        reason = models.probe_hub(endpoint, timeout)
        if reason:
            raise ModelError(f"the model hub at {endpoint} did not answer within {timeout:g} s ({reason}); "
                             "connect this machine (or set HTTPS_PROXY, or HF_ENDPOINT to a mirror) and run "
                             f"`{models.INSTALL_COMMAND}` again")
    root = models.models_root(settings)
    return [models.install(spec, root, endpoint, cache_dir, progress, settings.nlp.translate_threads)
            for spec in specs]


@click.group("models")
def models_command():
    """Install the translation models (from the Hugging Face Hub) and list what is installed."""


@models_command.command("install")
@click.argument("what", type=click.Choice(TARGETS), default="all")
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(0.1, 120),
              help="Seconds to wait for the hub's first answer before giving up.")
@click.option("--if-reachable", is_flag=True,
              help="When the hub does not answer, say so in one line and exit 0 (the demo uses this).")
@click.pass_obj
def install_command(obj, what, timeout, if_reachable):
    """Download the models named in the settings, convert them to CTranslate2 int8, check each on
    one sentence, then mark it installed. Honours HF_ENDPOINT, HF_HOME and proxy variables; a
    connection cut mid-file resumes, and files already fetched are not fetched again."""
    from nlp import entities_models, models

    progress = obj.progress()
    progress.interactive = False  # one line per step; huggingface_hub draws the byte bars
    if if_reachable:
        endpoint, _ = hub_location()
        reason = models.probe_hub(endpoint, timeout)
        if reason:
            missing = models.missing_lines(obj.settings)
            click.echo(f"Model hub {endpoint} did not answer within {timeout:g} s: " +
                       ("translations need `parallax models install translation` on a connected machine; "
                        "going on without them." if missing else "using the models already installed."))
            return
        click.echo(f"Model hub {endpoint} answered: installing the translation models (once; "
                   "later runs find them installed).")
    if what in ("translation", "all"):
        for model in install_translation(obj.settings, progress, timeout):
            click.echo(f"Installed {model.name} (commit {model.commit[:12]}, {model.size_bytes / 1e6:.1f} MB, "
                       f"CTranslate2 {model.quantization}) at {model.path}")
        click.echo("Translate the stored documents with: parallax process --translate")
    if what in ("entities", "all"):
        if any(where is None for _, where in entities_models.status(obj.settings)):
            endpoint, cache_dir = hub_location()
            reason = models.probe_hub(endpoint, timeout)
            if reason:
                raise ModelError(f"the model hub at {endpoint} did not answer within {timeout:g} s ({reason}); "
                                 "connect this machine and run `parallax models install entities` again")
        for line in entities_models.install(obj.settings):
            click.echo(line)


@models_command.command("list")
@click.pass_obj
def list_command(obj):
    """What is installed, where, its size and revision."""
    from nlp import entities_models, models

    rows = []
    for state in models.status(obj.settings):
        spec, found = state.spec, state.installed
        if found:
            rows.append([spec.direction, spec.name, "installed", f"{found.revision} ({found.commit[:12]})",
                         f"{found.size_bytes / 1e6:.1f} MB", found.path, found.installed_at])
        elif state.local_dir:
            rows.append([spec.direction, spec.name, "local directory (transformers)", "", "", spec.name, ""])
        else:
            rows.append([spec.direction, spec.name or "(none set)", "not installed", spec.revision, "", "", ""])
    for name, where in entities_models.status(obj.settings):
        rows.append(["entities", name, "installed" if where else "not installed", "", "", where or "", ""])
    table("Models", ["use", "model", "state", "revision", "size", "path", "installed"], rows)
    for line in models.missing_lines(obj.settings):
        click.echo(line)
