"""The status page: per-source health (also by collection), how far the index is behind the store,
whether the translation models are installed, and a form that adds a source by its address with
the same discovery as `parallax sources add`."""

from __future__ import annotations

import streamlit as st

from ui.health import freshness, source_health
from ui.markup import escape_markdown
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
    member_of = {sid: [] for sid in (r.source_id for r in rows)}
    collections = h.store.collections()
    for name, members in collections.items():
        for sid in members:
            member_of.setdefault(sid, []).append(name)
    st.dataframe(
        {"source": [r.source_id for r in rows], "name": [r.name for r in rows],
         "collections": [", ".join(member_of.get(r.source_id, [])) for r in rows],
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

    by_collection(rows, collections)
    render_translation(h)
    add_source_form(h.settings)


def by_collection(rows, collections: dict[str, tuple[str, ...]]) -> None:
    """One line per collection: its sources' health at a glance, then the sources themselves."""
    if not collections:
        return
    st.subheader("By collection")
    health = {r.source_id: r for r in rows}
    table = {"collection": [], "sources": [], "ok": [], "degraded": [], "failing": [], "never crawled": [],
             "documents": []}
    for name, members in collections.items():
        known = [health[m] for m in members if m in health]
        table["collection"].append(name)
        table["sources"].append(", ".join(members))
        for state in ("ok", "degraded", "failing", "never crawled"):
            table[state].append(sum(r.state == state for r in known))
        table["documents"].append(sum(r.documents for r in known))
    st.dataframe(table, hide_index=True, width="stretch")


def add_source_form(settings) -> None:
    """Discovery as `parallax sources add` runs it; the block is written only on a second click."""
    from crawler.discover import Wishes, discover
    from crawler.sources_file import add_source, block_text, user_sources_path
    from parallax.errors import ParallaxError

    st.subheader("Add a source")
    with st.form("add_source"):
        url = st.text_input("Site address", placeholder="https://www.example.org/news/")
        cols = st.columns(3)
        source_id = cols[0].text_input("Id (optional)")
        lang = cols[1].selectbox("Language", ["detect", "en", "zh"])
        collections = cols[2].text_input("Collections (comma-separated)")
        submitted = st.form_submit_button("Discover", icon=":material/travel_explore:")
    if submitted and url.strip():
        wishes = Wishes(id=source_id.strip() or None, language=None if lang == "detect" else lang,
                        collections=tuple(c.strip() for c in collections.split(",") if c.strip()))
        try:
            with st.spinner(f"Looking at {url} (robots.txt obeyed)…"):
                st.session_state["proposal"] = discover(settings, url.strip(), wishes)
        except ParallaxError as exc:
            st.session_state.pop("proposal", None)
            st.error(str(exc), icon=":material/error:")
    proposal = st.session_state.get("proposal")
    if proposal is None:
        return
    st.markdown(f"**{escape_markdown(proposal.name)}** · {proposal.language} · {proposal.country} · "
                f"{proposal.timezone} · {proposal.kind}")
    for hint in proposal.hints:
        st.caption(escape_markdown(hint))
    for sample in proposal.samples:
        with st.container(border=True):
            if sample.error:
                st.markdown(f"{escape_markdown(sample.url)}: :red[{escape_markdown(sample.error)}]")
                continue
            st.markdown(f"**{escape_markdown(sample.title)}** · {escape_markdown(sample.published_at or 'no date')}")
            for line in sample.lines:
                st.markdown(escape_markdown(line))
    comment = f"Added from the app from {proposal.url}"
    st.code(block_text(proposal.source_table(), comment), language="toml")
    try:
        path = user_sources_path(settings)
    except ParallaxError as exc:
        st.info(str(exc))
        return
    if st.button(f"Add to {path}", icon=":material/add:"):
        try:
            add_source(path, proposal.source_table(), comment)
        except ParallaxError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        st.session_state.pop("proposal", None)
        st.success(f"Added {proposal.id!r} to {path}; the next crawl fetches it.")
