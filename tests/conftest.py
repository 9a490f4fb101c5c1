"""Shared fixtures: real settings in temporary data directories, the real sample site on 127.0.0.1,
and the demo data crawled by the real Scrapy engine once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from parallax.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
PARALLAX = [sys.executable, "-m", "parallax.cli"]


def make_settings(data_dir: Path, **overrides):
    """Settings for a test: a fresh data directory, no environment leaking in."""
    env = {k: v for k, v in os.environ.items() if k == "PARALLAX_ES_URL"}
    return load_settings(env=env, overrides={"data_dir": str(data_dir), **overrides})


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def sample_site():
    from parallax.sample_server import SiteServer, bundled_site

    with SiteServer(bundled_site()) as server:
        yield server


@pytest.fixture
def serve_site():
    """Serve fixture directories on 127.0.0.1 for one test: `serve_site(root)` starts a SiteServer
    on port 0 (parallel test processes never collide) and returns it; all are stopped afterwards."""
    from parallax.sample_server import SiteServer

    with ExitStack() as stack:
        yield lambda root: stack.enter_context(SiteServer(root))


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory, sample_site):
    """The sample site crawled, processed and indexed once; tests must not write to it."""
    from parallax.demo import run_demo

    data_dir = tmp_path_factory.mktemp("demo") / "data"
    settings = make_settings(data_dir)
    report = run_demo(settings, sample_site)
    return settings, report


def built_once(tmp_path_factory, name: str, build):
    """`build(directory)` run once for the whole run, its result (a path) shared by every test
    process: under pytest-xdist the first worker builds under a file lock in the run's common
    tmp dir and the others wait for it and reuse the files. Only for files nobody writes to."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # not distributed: an ordinary session fixture
        return build(tmp_path_factory.mktemp(name))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / name
    done = shared.with_suffix(".built")
    with FileLock(str(shared.with_suffix(".lock"))):
        if not done.exists():
            result = build(shared)
            done.write_text(str(result), encoding="utf-8")
    return Path(done.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory):
    """A tiny MarianMT model (random weights, its own sentencepiece vocabulary), built once per run."""
    from tests.tiny_marian import build_tiny_marian

    return built_once(tmp_path_factory, "tiny-marian", build_tiny_marian)


@contextmanager
def small_tmpfs(path: Path, size: str):
    """A tmpfs of `size` mounted at `path` (a real filesystem that fills up), unmounted after.
    Mounting needs root (or CAP_SYS_ADMIN in a container): without it the test is skipped with
    the mount's own reason; the page-limit tests cover the same error path everywhere."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): mounting needs root "
                    "(or CAP_SYS_ADMIN in a container)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def run_cli(*args, env=None, input=None, timeout=300):
    """Run the real `parallax` command line in a child process."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    full_env.update(env or {})
    return subprocess.run([*PARALLAX, *args], capture_output=True, text=True, env=full_env,
                          input=input, timeout=timeout, cwd=ROOT)


# The backends every behaviour suite runs on: tantivy always, Elasticsearch when a server is set up.
BACKENDS = [
    "tantivy",
    pytest.param("elasticsearch", marks=[
        pytest.mark.elasticsearch,
        pytest.mark.skipif(not os.environ.get("PARALLAX_ES_URL"),
                           reason="PARALLAX_ES_URL is not set: no Elasticsearch server to test against"),
    ]),
]


def backend_settings(settings, backend: str, index_prefix: str):
    """`settings` pointed at `backend`; Elasticsearch gets an index of its own for this run."""
    if backend != "elasticsearch":
        return settings
    import time

    env = {k: v for k, v in os.environ.items() if k.startswith("PARALLAX_ES_")}
    return load_settings(env={**env, "PARALLAX_ES_INDEX": f"{index_prefix}-{int(time.time())}"},
                         overrides={"data_dir": str(settings.data_dir), "index.backend": "elasticsearch"})


def drop_backend(engine) -> None:
    """Remove what a behaviour suite wrote to Elasticsearch (the tantivy index lives in tmp_path)."""
    if engine.name == "elasticsearch":
        for name in engine._live_indices():
            engine.client.indices.delete(index=name)
