"""The spaCy pipelines the entity stage looks for, installed from the Hugging Face Hub on request.

spaCy publishes each trained pipeline as a Python wheel in a Hub repository named `spacy/<name>`
(e.g. `spacy/zh_core_web_sm`). `parallax models install entities` fetches the wheel of the first
name in `nlp.spacy_en` / `nlp.spacy_zh` that is not installed yet, through huggingface_hub (same
HF_ENDPOINT, HF_HOME and proxies as the translation models), and installs it with this Python's pip.
A language that already has one of its pipelines installed is left alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from parallax.errors import ModelError


def _names(configured: str) -> list[str]:
    return [n.strip() for n in configured.split(",") if n.strip()]


def _location(name: str) -> str | None:
    import spacy

    if spacy.util.is_package(name):
        return str(spacy.util.get_package_path(name))
    path = Path(name).expanduser()
    return str(path) if (path / "meta.json").is_file() else None


def status(settings) -> list[tuple[str, str | None]]:
    """(the setting's names, where the first installed one is, or None) for English and Chinese."""
    out = []
    for configured in (settings.nlp.spacy_en, settings.nlp.spacy_zh):
        names = _names(configured)
        where = next((loc for loc in map(_location, names) if loc), None)
        if names:
            out.append((", ".join(names), where))
    return out


def install(settings, endpoint: str | None = None, cache_dir: str | None = None) -> list[str]:
    """Install what is missing; one line per language saying what was done."""
    lines = []
    for configured in (settings.nlp.spacy_en, settings.nlp.spacy_zh):
        names = _names(configured)
        if not names:
            continue
        where = next((loc for loc in map(_location, names) if loc), None)
        if where:
            lines.append(f"Entities: {', '.join(names)} already installed at {where}")
            continue
        lines.append(f"Entities: installed {_install_wheel(names[0], endpoint, cache_dir)}")
    return lines


def _install_wheel(name: str, endpoint: str | None, cache_dir: str | None) -> str:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    repo = f"spacy/{name}"
    try:
        path = Path(snapshot_download(repo_id=repo, allow_patterns=["*.whl"], endpoint=endpoint,
                                      cache_dir=cache_dir))
    except RepositoryNotFoundError:
        raise ModelError(f"spaCy pipeline {name!r} was not found on the hub ({repo}); check the setting "
                         "nlp.spacy_en / nlp.spacy_zh") from None
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as exc:
        raise ModelError(f"downloading spaCy pipeline {name!r} failed ({str(exc).splitlines()[0][:200]}); "
                         "run `parallax models install entities` again") from None
    wheels = sorted(path.glob("*.whl"))
    if not wheels:
        raise ModelError(f"the hub repository {repo} has no wheel to install")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", str(wheels[-1])],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ModelError(f"pip could not install {wheels[-1].name}: {done.stderr.strip()[-300:]}")
    return f"{name} from {repo} ({wheels[-1].name})"
