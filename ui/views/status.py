"""The status page: per-source health, how far the index is behind the store, and whether the
translation models are installed."""

from __future__ import annotations

import streamlit as st

from ui.health import freshness, source_health
from ui.resources import handles
from ui.source_events import problem_columns

# Plain words: the table is drawn on a canvas whose fonts may lack colour emoji.
STATE_LABELS = {"ok": "ok", "degraded": "DEGRADED", "failing": "FAILING", "never crawled": "never crawled"}


def render_translation(h) -> None:
    """Each direction's model: installed (where, which engine) or missing (with the command), and
    how many documents of that language carry a translation."""
    from nlp import models
    from nlp.translate import coverage

    st.subheader("Translation")
    counts = coverage(h.store)
    states = models.status(h.settings)
    rows = {"direction": [], "model": [], "state": [], "translated documents": []}
    for state in states:
        done, total = counts.get(state.spec.source_lang, (0, 0))
        rows["direction"].append(state.spec.direction)
        rows["model"].append(state.spec.name or "(none set)")
        rows["state"].append("installed (CTranslate2 int8)" if state.installed else
                             "local directory (transformers)" if state.local_dir else "NOT INSTALLED")
        rows["translated documents"].append(f"{done} of {total}")
    st.dataframe(rows, hide_index=True, width="stretch")
    missing = [s for s in states if s.spec.name and not s.available]
    if missing:
        names = ", ".join(f"{s.spec.name} ({s.spec.direction})" for s in missing)
        st.warning(f"Translation model missing: {names}. Install with `{models.INSTALL_COMMAND}`, then run "
                   "`parallax process --translate`.", icon=":material/translate:")
    elif not h.settings.nlp.translate:
        st.info("Translation at processing time is off (nlp.translate = false); "
                "`parallax process --translate` translates on demand.")


def render() -> None:
    st.title("Status")
    h = handles()
    fresh = freshness(h.store, h.backend)
    cols = st.columns(4)
    cols[0].metric("Documents in the store", fresh.documents)
    cols[1].metric("Waiting for processing", fresh.not_processed)
    cols[2].metric("Waiting for indexing", "?" if fresh.not_indexed is None else fresh.not_indexed)
    cols[3].metric("Last fetch", (fresh.newest_fetch or "never")[:16].replace("T", " "))
    if fresh.not_processed or fresh.not_indexed:
        st.warning("The index is behind the store: run `parallax process` and `parallax index` "
                   "(or `parallax run`) to catch up.")
    else:
        st.success(f"The index is up to date with the store ({h.backend.name} backend).")
    st.subheader("Sources")
    rows = source_health(h.store)
    st.dataframe(
        {"source": [r.source_id for r in rows], "name": [r.name for r in rows],
         "lang": [r.language for r in rows], "country": [r.country for r in rows],
         "health": [STATE_LABELS[r.state] for r in rows], "documents": [r.documents for r in rows],
         "last run": [r.last_run for r in rows], "last success": [r.last_success for r in rows],
         "fetched": [r.fetched for r in rows], "new": [r.new for r in rows],
         "failed": [r.failed for r in rows],
         **problem_columns(h.store, [r.source_id for r in rows])},
        hide_index=True, width="stretch")
    for r in rows:
        if r.errors:
            with st.expander(f"{r.source_id}: {len(r.errors)} error(s) in the last run"):
                st.dataframe(r.errors, width="stretch")
    render_translation(h)
