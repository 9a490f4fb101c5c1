"""The status page: per-source health (also by collection), the search index's health and how
far it is behind the store, whether the translation models are installed, and a form that adds a
source by its address with the same discovery as `parallax sources add`. Times are relative
("3 h ago"; the exact UTC time in the tooltip), and the sources table keeps to the page's width."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.health import ago, freshness, index_health, source_health
from ui.i18n import t
from ui.markup import escape_markdown
from ui.resources import handles
from ui.source_events import problem_columns

# Plain words: the table is drawn on a canvas whose fonts may lack colour emoji.
STATE_LABELS = {"ok": "ok", "degraded": "DEGRADED", "silent": "SILENT", "empty": "EMPTY", "failing": "FAILING",
                "never": "never crawled"}


def render_translation(h) -> None:
    """Each direction's model: installed (where, which engine) or missing (with the command), and
    how many documents of that language carry a translation."""
    from nlp import models
    from nlp.analyses import Analyses

    st.subheader("Translation")
    counts = Analyses(h.store).translation_coverage()
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


def _when(values: list[str | None]) -> pd.Series:
    """ISO UTC strings as UTC timestamps, which the table shows as relative times."""
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True, errors="coerce", format="ISO8601")


def render_index(h, fresh) -> None:
    health = index_health(h.store, h.backend)
    st.subheader(t("status.index"))
    cols = st.columns(4)
    cols[0].metric("backend", health.backend)
    cols[1].metric("documents indexed", "?" if health.indexed is None else f"{health.indexed:,}")
    cols[2].metric(t("status.indexing"), "?" if health.pending is None else f"{health.pending:,}")
    cols[3].metric(t("status.processing"), f"{fresh.not_processed:,}")
    if fresh.not_processed or health.pending:
        st.warning(t("status.behind"), icon=":material/sync_problem:")
    elif health.state == "empty":
        st.warning("Nothing is indexed yet: run `parallax index`.", icon=":material/sync_problem:")
    else:
        st.success(t("status.ok", backend=h.backend.name), icon=":material/check_circle:")


def render() -> None:
    st.title(t("status.title"))
    h = handles()
    fresh = freshness(h.store, h.backend)
    cols = st.columns(2)
    cols[0].metric(t("status.documents"), f"{fresh.documents:,}")
    cols[1].metric(t("status.last_fetch"), ago(fresh.newest_fetch),
                   help=f"{fresh.newest_fetch} UTC" if fresh.newest_fetch else None)
    render_index(h, fresh)
    st.subheader(t("status.sources"))
    rows = source_health(h.store, h.settings)
    member_of = {sid: [] for sid in (r.source_id for r in rows)}
    collections = h.store.collections()
    for name, members in collections.items():
        for sid in members:
            member_of.setdefault(sid, []).append(name)
    problems = problem_columns(h.store, [r.source_id for r in rows])
    st.dataframe(
        {"source": [f"{r.name} ({r.source_id})" for r in rows],
         "collections": [", ".join(member_of.get(r.source_id, [])) for r in rows],
         "lang · country": [" · ".join(x for x in (r.language, r.country) if x) for r in rows],
         "health": [STATE_LABELS[r.health.status] for r in rows], "documents": [r.health.documents for r in rows],
         "last run": _when([r.health.last_run for r in rows]),
         "last success": _when([r.health.last_success for r in rows]),
         "fetched / new / failed": [" / ".join(str(r.health.counts.get(k, 0)) for k in ("fetched", "new", "failed"))
                                    for r in rows],
         "problem": [p if not note else f"{p}: {note}" for p, note in zip(problems["problem"],
                                                                       problems["problem note"])]},
        hide_index=True, width="stretch",
        column_config={
            "source": st.column_config.TextColumn(width="medium"),
            "collections": st.column_config.TextColumn(width="small"),
            "lang · country": st.column_config.TextColumn(width="small"),
            "health": st.column_config.TextColumn(width="small"),
            "fetched / new / failed": st.column_config.TextColumn(width="small"),
            "documents": st.column_config.NumberColumn(width="small"),
            "last run": st.column_config.DatetimeColumn(format="distance", width="small"),
            "last success": st.column_config.DatetimeColumn(format="distance", width="small"),
            "problem": st.column_config.TextColumn(width="medium"),
        })
    for r in rows:
        if r.health.errors:
            with st.expander(t("status.errors", source=r.source_id, n=len(r.health.errors))):
                st.dataframe(list(r.health.errors), width="stretch")

    by_collection(rows, collections)
    render_translation(h)
    add_source_form(h.settings)


def by_collection(rows, collections: dict[str, tuple[str, ...]]) -> None:
    """One line per collection: its sources' health at a glance, then the sources themselves."""
    if not collections:
        return
    st.subheader("By collection")
    health = {r.source_id: r for r in rows}
    table = {"collection": [], "sources": [], **{label: [] for label in STATE_LABELS.values()}, "documents": []}
    for name, members in collections.items():
        known = [health[m] for m in members if m in health]
        table["collection"].append(name)
        table["sources"].append(", ".join(members))
        for state, label in STATE_LABELS.items():
            table[label].append(sum(r.health.status == state for r in known))
        table["documents"].append(sum(r.health.documents for r in known))
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
