"""Translation models on this machine: fetched from the Hugging Face Hub, converted, checked, marked.

`parallax models install` downloads the revision named in the settings (`nlp.translate_zh_en` and
`nlp.translate_en_zh`, with `nlp.translate_*_revision`) through `huggingface_hub`, which honours
`HF_ENDPOINT`, `HF_HOME` and the usual proxy variables and resumes a download cut short. Each MarianMT
model is then converted to CTranslate2 int8 (several times faster on a CPU than transformers
`generate`), one sentence is translated with the converted copy, and only then is `installed.json`
written, atomically, as the last step. The translation stage uses a model only when that marker is
there and names the same model and revision, so a download or conversion that stopped half-way is
never loaded: it is simply "not installed", and the next install picks up where it stopped.

Layout: `<models_dir>/<name with / as -->/` holds `ctranslate2/` (model.bin, vocabularies and the
tokenizer files) and `installed.json` (name, revision, commit, sizes, the check's output).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from parallax.errors import ModelError

log = logging.getLogger(__name__)

INSTALL_COMMAND = "parallax models install translation"
MARKER = "installed.json"
ENGINE_DIR = "ctranslate2"
QUANTIZATION = "int8"
# What a MarianMT model needs; the Hub repos also hold TensorFlow, Rust and Flax copies we never use.
DOWNLOAD_PATTERNS = ["*.json", "*.spm", "*.model", "*.safetensors", "pytorch_model.bin"]
TOKENIZER_FILES = ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json",
                   "special_tokens_map.json", "generation_config.json")
CHECK_SENTENCES = {"zh": "中国半导体行业协会今天发表声明。", "en": "The association issued a statement today."}
DEFAULT_ENDPOINT = "https://huggingface.co"


@dataclass(frozen=True)
class ModelSpec:
    """One translation direction as the settings name it."""

    direction: str  # "zh→en"
    source_lang: str
    name: str
    revision: str

    @property
    def setting(self) -> str:
        return f"nlp.translate_{self.direction.replace('→', '_')}"


@dataclass(frozen=True)
class InstalledModel:
    """What `installed.json` records about a model that passed its check."""

    name: str
    revision: str
    commit: str
    path: str  # the CTranslate2 directory the translation stage loads
    snapshot: str  # the downloaded transformers files (for the transformers engine and benchmarks)
    size_bytes: int
    download_bytes: int
    quantization: str
    installed_at: str
    check_source: str
    check_output: str


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    installed: InstalledModel | None
    local_dir: bool  # the setting names a directory of transformers files (used as it is)

    @property
    def available(self) -> bool:
        return self.installed is not None or self.local_dir

    @property
    def message(self) -> str:
        if self.installed:
            return (f"{self.spec.name} ({self.spec.direction}): installed, CTranslate2 {self.installed.quantization}, "
                    f"commit {self.installed.commit[:12]}")
        if self.local_dir:
            return f"{self.spec.name} ({self.spec.direction}): a local directory, used with transformers"
        if not self.spec.name:
            return f"no {self.spec.direction} model is set ({self.spec.setting})"
        return missing_message(self.spec)


def missing_message(spec: ModelSpec) -> str:
    """The one line every place that finds a model missing shows: which model, and the command."""
    return (f"translation model {spec.name!r} ({spec.direction}) is not installed: run "
            f"`{INSTALL_COMMAND}`, then `parallax process --translate`")


def translation_specs(nlp_settings) -> list[ModelSpec]:
    return [ModelSpec("zh→en", "zh", nlp_settings.translate_zh_en, nlp_settings.translate_zh_en_revision),
            ModelSpec("en→zh", "en", nlp_settings.translate_en_zh, nlp_settings.translate_en_zh_revision)]


def spec_for(nlp_settings, source_lang: str) -> ModelSpec:
    return translation_specs(nlp_settings)[0 if source_lang == "zh" else 1]


def models_root(settings) -> Path:
    return Path(settings.nlp.models_dir).expanduser() if settings.nlp.models_dir else settings.data_dir / "models"


def install_dir(root: Path, name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", name.replace("/", "--")).strip("-.") or "model"
    return root / slug


def is_local_dir(name: str) -> bool:
    path = Path(name).expanduser() if name else None
    return bool(path) and path.is_dir() and (path / "config.json").is_file()


def installed(root: Path, spec: ModelSpec) -> InstalledModel | None:
    """The installed model for this spec, or None when there is none or it is not complete.

    Complete means: the marker parses, names this model, matches the revision asked for (a commit
    id must match the commit installed; a branch name such as "main" accepts what was installed),
    and the CTranslate2 directory it names still has its weights.
    """
    if not spec.name:
        return None
    marker = install_dir(root, spec.name) / MARKER
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        model = InstalledModel(**data)
    except (OSError, ValueError, TypeError):
        return None
    if model.name != spec.name:
        return None
    if spec.revision != model.revision and not model.commit.startswith(spec.revision):
        return None
    if not (Path(model.path) / "model.bin").is_file():
        return None
    return model


def status(settings) -> list[ModelStatus]:
    root = models_root(settings)
    return [ModelStatus(spec, installed(root, spec), is_local_dir(spec.name))
            for spec in translation_specs(settings.nlp)]


def missing_lines(settings) -> list[str]:
    """One line per direction whose model is missing (empty when both are there or unset)."""
    return [s.message for s in status(settings) if s.spec.name and not s.available]


def directory_size(path: Path) -> int:
    total = 0
    for p in Path(path).rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:
            continue
    return total


# -- the hub ----------------------------------------------------------------------------------------


def probe_hub(endpoint: str, timeout: float = 4.0) -> str | None:
    """None when the hub answers within `timeout` seconds, else why not (one short phrase).

    Any HTTP answer counts (even 404: the server is there); only no answer in time, a refused
    connection or a name that does not resolve count as unreachable. Proxies from the environment
    are used, as huggingface_hub uses them.
    """
    try:
        urllib.request.urlopen(endpoint.rstrip("/") + "/api/models?limit=1", timeout=timeout).close()
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or type(exc).__name__
    return None


def _disk_full(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def download(spec: ModelSpec, endpoint: str, cache_dir: str | None, progress=None) -> Path:
    """The model's files at its revision in the Hub cache (resumed if an earlier try stopped)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (EntryNotFoundError, HfHubHTTPError, LocalEntryNotFoundError,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    if progress:
        progress.event(f"downloading {spec.name} ({spec.revision}) from {endpoint}", model=spec.name)
    try:
        from huggingface_hub import HfApi

        files = set(HfApi(endpoint=endpoint).list_repo_files(spec.name, revision=spec.revision))
        # One copy of the weights: safetensors when the repo has them, else the PyTorch file.
        patterns = [p for p in DOWNLOAD_PATTERNS if not (p == "pytorch_model.bin" and "model.safetensors" in files)]
        path = snapshot_download(repo_id=spec.name, revision=spec.revision, allow_patterns=patterns,
                                 cache_dir=cache_dir, endpoint=endpoint)
    except RevisionNotFoundError:
        raise ModelError(f"model {spec.name!r} has no revision {spec.revision!r} on {endpoint}; set "
                         f"{spec.setting}_revision to a branch or commit it has") from None
    except RepositoryNotFoundError:
        raise ModelError(f"model {spec.name!r} was not found on {endpoint}; check the setting "
                         f"{spec.setting} (a Hugging Face model name)") from None
    except EntryNotFoundError as exc:
        raise ModelError(f"model {spec.name!r} on {endpoint} is missing a file ({exc}); "
                         "it may not be a MarianMT model") from None
    except Exception as exc:  # HTTP errors, dropped connections (httpx), OSError from the disk
        if not isinstance(exc, (HfHubHTTPError, LocalEntryNotFoundError, OSError)) and not _network_error(exc):
            raise
        if getattr(getattr(exc, "response", None), "status_code", None) == 404:
            raise ModelError(f"model {spec.name!r} (revision {spec.revision!r}) was not found on {endpoint}; "
                             f"check the setting {spec.setting} (a Hugging Face model name)") from None
        if _disk_full(exc):
            raise ModelError(f"disk full while downloading {spec.name!r} into {cache_dir or 'the Hugging Face cache'}; "
                             "free some space (or point HF_HOME at a larger disk) and run "
                             f"`{INSTALL_COMMAND}` again: the download resumes") from None
        raise ModelError(f"downloading {spec.name!r} from {endpoint} failed ({_short(exc)}); run "
                         f"`{INSTALL_COMMAND}` again: the download resumes where it stopped") from None
    return Path(path)


def _network_error(exc: BaseException) -> bool:
    """An exception of the HTTP client huggingface_hub uses (httpx or its fork), by module name, so
    this module does not import the client itself."""
    return type(exc).__module__.split(".")[0].startswith(("httpx", "httpcore", "h11"))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


# -- conversion and the check -----------------------------------------------------------------------


def convert(snapshot: Path, target: Path) -> None:
    """CTranslate2 int8 copy of a transformers MarianMT model, with the tokenizer files beside it."""
    try:
        import ctranslate2
    except ImportError:
        raise ModelError("the ctranslate2 package is not installed; run `pip install ctranslate2` "
                         "(it is a dependency of Parallax: `make install` installs it)") from None
    copy = [f for f in TOKENIZER_FILES if (snapshot / f).is_file()]
    converter = ctranslate2.converters.TransformersConverter(str(snapshot), copy_files=copy)
    converter.convert(str(target), quantization=QUANTIZATION, force=True)
    from nlp.translation_engines import ENGINE_INFO

    config = json.loads((snapshot / "config.json").read_text(encoding="utf-8"))
    # The same input limit the transformers engine uses, so both see the same tokens.
    max_tokens = min(256, int(config.get("max_position_embeddings", 512)) - 2)
    (target / ENGINE_INFO).write_text(json.dumps({"max_tokens": max_tokens}), encoding="utf-8")


def install(spec: ModelSpec, root: Path, endpoint: str = DEFAULT_ENDPOINT, cache_dir: str | None = None,
            progress=None, threads: int = 0) -> InstalledModel:
    """Download, convert, check and mark one model; returns what was installed.

    A marker for the same commit already there means nothing to do. Any failure leaves the
    previous installation (if any) as it was and no marker for a half-made one.
    """
    if not spec.name:
        raise ModelError(f"no {spec.direction} model is set; set {spec.setting} to a Hugging Face model name")
    local = is_local_dir(spec.name)
    snapshot = Path(spec.name).expanduser().resolve() if local else download(spec, endpoint, cache_dir, progress)
    commit = "local" if local else snapshot.name
    current = installed(root, spec)
    if current and current.commit == commit:
        if progress:
            progress.event(f"{spec.name}: already installed (commit {commit[:12]})", model=spec.name)
        return current
    home = install_dir(root, spec.name)
    partial = home / (ENGINE_DIR + ".partial")
    final = home / ENGINE_DIR
    try:
        home.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        if progress:
            progress.event(f"converting {spec.name} to CTranslate2 {QUANTIZATION}", model=spec.name)
        convert(snapshot, partial)
        if progress:
            progress.event(f"checking {spec.name} on one sentence", model=spec.name)
        check_source = CHECK_SENTENCES[spec.source_lang]
        output = _check(partial, check_source, threads)
        (home / MARKER).unlink(missing_ok=True)  # from here on the old copy is going away
        shutil.rmtree(final, ignore_errors=True)
        os.replace(partial, final)
        model = InstalledModel(
            name=spec.name, revision=spec.revision, commit=commit, path=str(final.resolve()),
            snapshot=str(snapshot), size_bytes=directory_size(final), download_bytes=directory_size(snapshot),
            quantization=QUANTIZATION, installed_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            check_source=check_source, check_output=output)
        _write_marker(home / MARKER, model)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if _disk_full(exc):
            raise ModelError(f"disk full while converting {spec.name!r} into {home}; free some space "
                             f"(or set nlp.models_dir to a larger disk) and run `{INSTALL_COMMAND}` again") from None
        raise ModelError(f"installing {spec.name!r} into {home} failed ({_short(exc)})") from None
    except ModelError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    except Exception as exc:  # a converter or check failure: name the model, keep nothing half-made
        shutil.rmtree(partial, ignore_errors=True)
        raise ModelError(f"{spec.name!r} could not be converted or checked ({_short(exc)}); it must be "
                         "a MarianMT translation model") from None
    if progress:
        progress.event(f"{spec.name}: installed at {final} ({model.size_bytes / 1e6:.1f} MB); "
                       f"check: {check_source} → {output}", model=spec.name)
    return model


def _check(path: Path, sentence: str, threads: int) -> str:
    from nlp.translation_engines import CTranslate2Engine

    engine = CTranslate2Engine(str(path), threads=threads)
    output = engine.translate([sentence], batch=1)[0]
    if not output.strip():
        raise ModelError(f"the converted model at {path} translated the check sentence {sentence!r} "
                         "as nothing; the model is not usable")
    return output


def _write_marker(path: Path, model: InstalledModel) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(asdict(model), f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def installed_list(settings) -> list[tuple[ModelSpec, InstalledModel | None]]:
    root = models_root(settings)
    return [(spec, installed(root, spec)) for spec in translation_specs(settings.nlp)]
