"""`parallax index --rebuild` builds a new index generation beside the live one and swaps it in with
one store transaction: searches in another process keep answering in full during the rebuild, a
`kill -9` in the middle leaves the old generation serving, and a re-run completes the swap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from index.backends import open_backend
from index.search import SearchRequest
from index.store import Store
from tests.conftest import ROOT, make_settings
from tests.export_bulk import fill

DOCUMENTS = 3000


@pytest.fixture
def indexed(tmp_path):
    settings = make_settings(tmp_path / "data")
    fill(settings, DOCUMENTS)
    return settings


def _rebuild(settings) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    env.update({"PARALLAX_DATA_DIR": str(settings.data_dir), "PARALLAX_INDEX_BATCH": "100"})
    return subprocess.Popen([sys.executable, "-m", "parallax.cli", "index", "--rebuild"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _rows_of(store, generation: int) -> int:
    return store.conn.execute("SELECT COUNT(*) FROM tantivy_docs WHERE generation = ?",
                              (generation,)).fetchone()[0]


@pytest.mark.slow
def test_searches_answer_in_full_while_a_rebuild_runs_and_after_the_swap(indexed):
    settings = indexed
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        assert backend.holdings.live()[0] == 1
        proc = _rebuild(settings)
        answers, during = 0, 0
        while proc.poll() is None:
            result = backend.search(SearchRequest("", collapse=False, limit=5))
            assert result.total_documents == DOCUMENTS and len(result.hits) == 5
            answers += 1
            during += _rows_of(store, 2) > 0  # the new generation was being filled meanwhile
            time.sleep(0.02)
        _, err = proc.communicate()
        assert proc.returncode == 0, err.decode()
        assert answers > 0 and during > 0
        assert backend.holdings.live()[0] == 2
        after = backend.search(SearchRequest("", collapse=False, limit=5))
        assert after.total_documents == DOCUMENTS and backend.held() == DOCUMENTS
        assert _rows_of(store, 1) == 0 and _rows_of(store, 2) == DOCUMENTS


@pytest.mark.slow
def test_a_rebuild_killed_midway_leaves_the_old_index_serving_and_a_rerun_swaps(indexed):
    settings = indexed
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        proc = _rebuild(settings)
        deadline = time.monotonic() + 120
        while _rows_of(store, 2) == 0:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the rebuild made no progress"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert 0 < _rows_of(store, 2) < DOCUMENTS  # killed with the new generation half built
        assert backend.holdings.live()[0] == 1
        assert backend.search(SearchRequest("", collapse=False)).total_documents == DOCUMENTS
        assert backend.pending() == 0  # the live generation is complete; nothing is owed

        rerun = _rebuild(settings)
        _, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err.decode()
        assert backend.holdings.live()[0] == 3  # the half-built generation is never made live
        assert not (settings.data_dir / "index" / "000002").exists()
        ids = list(backend.iter_ids(SearchRequest("", collapse=False)))
        assert len(ids) == len(set(ids)) == DOCUMENTS == backend.held()
