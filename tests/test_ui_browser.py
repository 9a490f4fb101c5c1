"""The research app in a real browser: `parallax ui` (a real `streamlit run`) on 127.0.0.1 over a
copy of the demo data, driven by headless Chromium through Playwright. One server and one browser
serve the whole module; every test opens its own page (or context) and saves screenshots in the
module's tmp dir (printed at the end of the run with `-s`)."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from index.backends import open_backend
from index.search import SearchRequest
from index.store import Store
from parallax.cli import HIGHLIGHT_COLOUR
from tests.ui_server import CHROMIUM, CHROMIUM_ARGS, running_ui

pytestmark = pytest.mark.slow
HIGHLIGHT_RGB = "rgb({}, {}, {})".format(*(int(HIGHLIGHT_COLOUR[i:i + 2], 16) for i in (1, 3, 5)))


@pytest.fixture(scope="module")
def data(demo_data, tmp_path_factory):
    """A copy of the demo data (saving an alert writes to the store; the demo data is shared)."""
    settings, _ = demo_data
    copy = tmp_path_factory.mktemp("ui-data") / "data"
    shutil.copytree(settings.data_dir, copy)
    return settings.replace(data_dir=copy)


@pytest.fixture(scope="module")
def app_url(data, tmp_path_factory):
    with running_ui(data.data_dir, tmp_path_factory.mktemp("ui-log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # two shared cores: a rerun can take a few seconds
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(30_000)
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield p
    assert dialogs == []  # nothing crawled ever runs as script
    context.close()


def library(settings, query: str = "", **request):
    """What the search library answers for `query` on the data the app is showing."""
    with Store.open(settings) as store:
        return open_backend(settings, store).search(SearchRequest(query, **request))


def summary_of(result) -> str:
    s, d = result.total_stories, result.total_documents
    return f"{s:,} stor{'y' if s == 1 else 'ies'}, {d:,} matching document{'s' if d != 1 else ''}"


def search_url(app_url: str, **params) -> str:
    return app_url + "/?" + "&".join(f"{k}={quote(v)}" for k, vs in params.items()
                                     for v in ([vs] if isinstance(vs, str) else vs))


def expect_results(page, settings, query: str, **request) -> list[str]:
    """Wait until the page shows the library's counts and first page for `query`; its titles."""
    from playwright.sync_api import expect

    result = library(settings, query, limit=10, **request)
    expect(page.get_by_text(re.compile(r"^[\d,]+ stor(y|ies), ")).first).to_contain_text(summary_of(result))
    titles = [h.title for h in result.hits]
    expect(page.locator("h5")).to_have_text(titles)
    return titles


def settle(page) -> None:
    """Wait until the app has finished its run: a click while a rerun redraws the page can land on
    whatever the redraw moves under the pointer."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0)


def captions(page) -> list[str]:
    """Each result card's source line (`Source · Language · …`)."""
    return [c for c in page.locator("[data-testid='stCaptionContainer']").all_inner_texts() if c.count(" · ") >= 2]


def test_a_copied_url_reproduces_the_search_in_a_new_browser_and_back_restores_the_last(
        app_url, browser, page, data, shots):
    from playwright.sync_api import expect

    page.goto(app_url)
    box = page.get_by_role("textbox", name="Search", exact=True)
    box.fill("出口管制")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=%E5%87%BA%E5%8F%A3%E7%AE%A1%E5%88%B6$"))
    first = expect_results(page, data, "出口管制")
    page.get_by_role("radio", name="by date").click()
    expect(page).to_have_url(re.compile(r"sort=date"))
    page.get_by_role("combobox", name="Language").click()
    page.get_by_role("option", name=re.compile(r"^Chinese \(")).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"lang=zh"))
    query = "(出口管制) lang:zh"
    titles = expect_results(page, data, query, sort="date")
    assert titles != first
    page.screenshot(path=shots / "url-1-search.png")

    copied = page.url
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    fresh = other.new_page()
    fresh.goto(copied)  # another browser profile: no session, only the address
    assert expect_results(fresh, data, query, sort="date") == titles
    expect(fresh.get_by_role("textbox", name="Search", exact=True)).to_have_value("出口管制")
    expect(fresh.get_by_role("button", name="Language: Chinese")).to_be_visible()
    fresh.screenshot(path=shots / "url-2-pasted-in-new-context.png")
    fresh.reload()
    assert expect_results(fresh, data, query, sort="date") == titles
    other.close()

    page.go_back()  # before the language filter: sorted by date, all languages
    expect(page).not_to_have_url(re.compile(r"lang=zh"))
    expect_results(page, data, "出口管制", sort="date")
    page.go_forward()
    expect_results(page, data, query, sort="date")

    # The open document is in the URL too: a pasted document link opens it, and its way back
    # leads to the same results.
    page.get_by_text("Read side by side").first.click()
    expect(page).to_have_url(re.compile(r"/document\?.*id="))
    expect(page.get_by_role("heading", level=2)).to_have_text(titles[0])
    doc_link = page.url
    again = browser.new_context().new_page()
    again.goto(doc_link)
    expect(again.get_by_role("heading", level=2)).to_have_text(titles[0])
    again.get_by_role("link", name="Back to results").click()
    expect_results(again, data, query, sort="date")
    again.context.close()


def test_facet_values_are_alternatives_facets_combine_and_a_chip_removes_one(app_url, page, data, shots, tmp_path):
    from playwright.sync_api import expect

    page.goto(search_url(app_url, q="出口管制"))
    expect_results(page, data, "出口管制")
    facet = dict(library(data, "出口管制", limit=0, facets=True).facets["lang"])
    language = page.get_by_role("combobox", name="Language")
    language.click()
    expect(page.get_by_role("option", name=re.compile(r"\(\d+\)$"))).to_have_text(
        [f"Chinese ({facet['zh']})", f"English ({facet['en']})"])
    page.get_by_role("option", name=re.compile(r"^Chinese")).click()
    page.keyboard.press("Escape")
    expect_results(page, data, "(出口管制) lang:zh")
    # Counted under the other filters: English still offers its own count, not 0.
    language.click()
    expect(page.get_by_role("option", name=re.compile(r"^English"))).to_have_text(f"English ({facet['en']})")
    page.get_by_role("option", name=re.compile(r"^English")).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"lang=zh&lang=en"))
    either = "(出口管制) (lang:zh OR lang:en)"
    expect_results(page, data, either)
    assert library(data, either).total_documents == library(data, "出口管制").total_documents

    sources = library(data, either, limit=0, facets=True).facets["source"]
    with Store.open(data) as store:
        names = {k: v["name_en"] for k, v in store.sources().items()}
    source, count = sources[0]
    page.get_by_role("combobox", name="Sources").click()
    page.get_by_role("option", name=f"{names[source]} ({count})").click()
    page.keyboard.press("Escape")
    both = f"(出口管制) source:{source} (lang:zh OR lang:en)"
    expect_results(page, data, both)
    assert library(data, both).total_documents == count  # AND across facets
    page.screenshot(path=shots / "facets-1-applied.png")

    # The CSV download holds exactly the filtered documents.
    page.get_by_role("button", name=re.compile(r"^Download all [\d,]+ matching documents")).click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="CSV", exact=True).click()
    saved = tmp_path / "export.csv"
    download_info.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text("utf-8-sig"))))
    assert len(rows) == count and {r["source_id"] for r in rows} == {source}

    page.get_by_role("button", name=f"Sources: {names[source]}").click()  # one click removes it
    expect(page).not_to_have_url(re.compile(r"source="))
    expect_results(page, data, either)
    page.get_by_role("button", name="Language: Chinese").click()
    expect_results(page, data, "(出口管制) lang:en")
    page.screenshot(path=shots / "facets-2-removed.png")


def test_the_typed_words_rank_first_and_both_languages_reach_page_one(app_url, page, data, shots):
    from playwright.sync_api import expect

    for query, own, other in (("出口管制", "Chinese", "English"), ("export controls", "English", "Chinese")):
        page.goto(search_url(app_url, q=query))
        expect_results(page, data, query)
        lines = captions(page)
        assert f" · {own} · " in lines[0], lines
        assert any(f" · {other} · " in line for line in lines), lines  # the other language on page 1
        page.screenshot(path=shots / f"ranking-{own.lower()}.png")
    expect(page.get_by_text("Also matched: export controls → 出口管制")).to_be_visible()


def _chart_shows(page, text: str) -> None:
    """Wait until a mark or axis of the chart says `text` (its SVG carries aria labels)."""
    from playwright.sync_api import expect

    expect(page.locator(f"[data-testid='stVegaLiteChart'] svg.marks [aria-label*=\"{text}\"]").first).to_be_attached()


def _chart_csv(page, tmp_path, name: str, ready=bool) -> list[dict]:
    """The chart's CSV once the run has finished and `ready(rows)` holds: the chart redraws before
    the download button below it does, and until then the old button serves the last run's file."""
    path = tmp_path / name
    for _ in range(20):
        settle(page)
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Chart data (CSV)").click()
        download_info.value.save_as(path)
        rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
        if ready(rows):
            return rows
        page.wait_for_timeout(250)
    raise AssertionError(f"the chart's CSV never became what the chart shows: {path.read_text('utf-8')[:300]}")


def test_attention_over_time_splits_normalises_compares_and_a_bar_click_filters(app_url, page, data, shots, tmp_path):
    from playwright.sync_api import expect

    query = "出口管制"
    page.goto(search_url(app_url, q=query, per="month"))
    expect_results(page, data, query)
    bars = page.locator("[data-testid='stVegaLiteChart'] svg.marks [aria-roledescription='bar']")
    expect(bars.first).to_be_visible()
    labels = bars.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert {re.search(r"language: (\w+)", label).group(1) for label in labels} == {"Chinese", "English"}
    rows = _chart_csv(page, tmp_path, "by-language.csv")
    with Store.open(data) as store:
        dated = store.count_documents(
            "d.id IN (" + ",".join(f"'{i}'" for i in open_backend(data, store).iter_ids(SearchRequest(query)))
            + ") AND d.published_at IS NOT NULL")
    assert {r["series"] for r in rows} == {"Chinese", "English"}  # names, not codes
    assert sum(int(r["documents"]) for r in rows) == dated
    assert all(re.fullmatch(r"\d{4}-\d{2}-01", r["period"]) for r in rows)
    page.screenshot(path=shots / "attention-1-month-by-language.png")

    page.get_by_role("radio", name="source", exact=True).click()
    expect(page).to_have_url(re.compile(r"by=source"))
    _chart_shows(page, "source: ")
    with Store.open(data) as store:
        names = {v["name_en"] for v in store.sources().values()}
    expect(page.get_by_text("Click a bar to filter the results to its month")).to_be_visible()
    by_source = _chart_csv(page, tmp_path, "by-source.csv",
                           ready=lambda rows: not {r["series"] for r in rows} & {"Chinese", "English"})
    assert {r["series"] for r in by_source} <= names and len({r["series"] for r in by_source}) > 1

    page.get_by_role("radio", name="share of all documents").click()
    expect(page).to_have_url(re.compile(r"show=share"))
    _chart_shows(page, "Y-axis titled 'share'")
    shares = _chart_csv(page, tmp_path, "share.csv", ready=lambda rows: rows and "share" in rows[0])
    assert shares and all(0 < float(r["share"]) <= 1 for r in shares)

    compare = page.get_by_role("textbox", name=re.compile("^Compare with"))
    compare.fill("SMIC")
    compare.press("Control+Enter")
    expect(page).to_have_url(re.compile(r"vs=SMIC"))
    _chart_shows(page, "query: SMIC")
    compared = _chart_csv(page, tmp_path, "compared.csv", ready=lambda rows: "SMIC" in {r["series"] for r in rows})
    assert {r["series"] for r in compared} == {query, "SMIC"}
    page.screenshot(path=shots / "attention-2-compared-share.png")

    # Back to counts per month by language, then click a bar: the results keep to its month.
    page.goto(search_url(app_url, q=query, per="month"))
    expect_results(page, data, query)
    busiest = max(rows, key=lambda r: int(r["documents"]))["period"]
    bar = page.locator(
        f"[data-testid='stVegaLiteChart'] svg.marks [aria-roledescription='bar'][aria-label*='period: {busiest}']")
    bar.first.click()
    expect(page).to_have_url(re.compile(rf"after={busiest}&before={busiest[:7]}-\d\d"))
    after = re.search(r"after=([\d-]+)", page.url).group(1)
    before = re.search(r"before=([\d-]+)", page.url).group(1)
    assert after[:7] == before[:7]  # one month
    expect_results(page, data, f"({query}) after:{after} before:{before}")
    expect(page.get_by_role("button", name=f"from {after}")).to_be_visible()
    page.screenshot(path=shots / "attention-3-bar-clicked.png")


def test_a_story_lists_every_copy_marks_the_first_publisher_and_diffs_the_copies(app_url, page, data, shots):
    from playwright.sync_api import expect

    query = "出口管制"
    page.goto(search_url(app_url, q=query))
    expect_results(page, data, query)
    hits = library(data, query, limit=10).hits
    folded = next(h for h in hits if h.cluster_size > 1)
    with Store.open(data) as store:
        members = store.cluster_members([folded.id])[folded.id]
        docs = store.get_many([m["id"] for m in members])
    langs = sorted({docs[m["id"]].lang for m in members if m["id"] != folded.id})
    link = page.get_by_role("link", name=re.compile(rf"\+ {folded.cluster_size - 1} cop(y|ies) in "))
    expect(link.first).to_contain_text(", ".join(langs))
    link.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Story: {len(members)} copies")
    for member in members:
        expect(page.get_by_role("link", name=docs[member["id"]].title, exact=True).first).to_be_visible()
    first = page.get_by_text("first published")
    expect(first).to_have_count(1)
    earliest = docs[members[0]["id"]]  # cluster_members: earliest published first
    row = page.get_by_test_id("stHorizontalBlock").filter(has=first).last
    expect(row).to_contain_text(earliest.published_at[:10])
    expect(page.get_by_text("Words added in the copy are highlighted")).to_be_visible()
    page.screenshot(path=shots / "story.png", full_page=True)
    page.get_by_role("link", name="Back to results").click()
    expect_results(page, data, query)


def _highlights(scope):
    return scope.locator(".stMarkdownColoredBackground")


def test_hits_are_marked_visibly_in_titles_snippets_and_the_reading_view_in_both_scripts(
        app_url, page, data, shots):
    from playwright.sync_api import expect

    for query, word in (("出口管制", "出口管制"), ("export controls", "export")):
        page.goto(search_url(app_url, q=query))
        expect_results(page, data, query)
        marks = _highlights(page.locator("[data-testid='stMain']"))
        expect(marks.first).to_be_visible()
        texts = [t.lower() for t in marks.all_inner_texts()]
        assert any(word in t for t in texts), texts
        assert page.locator("h5 .stMarkdownColoredBackground").count() > 0  # titles, not only snippets
        style = marks.first.evaluate("e => [getComputedStyle(e).backgroundColor, "
                                     "getComputedStyle(e.querySelector('strong')).fontWeight]")
        assert style[0] == HIGHLIGHT_RGB and int(style[1]) >= 600
        page.screenshot(path=shots / f"highlights-results-{word}.png")

        page.get_by_text("Read side by side").first.click()
        expect(page).to_have_url(re.compile(r"/document\?"))
        reading = _highlights(page.locator("[data-testid='stColumn']"))
        expect(reading.first).to_be_visible()
        assert any(word in t.lower() for t in reading.all_inner_texts())
        page.screenshot(path=shots / f"highlights-reading-{word}.png", full_page=True)

    # A crawled <script> in a title is shown as text, highlighted, and never runs.
    page.goto(search_url(app_url, q="licence portal"))
    heading = page.locator("h5").filter(has_text="alert(1)")
    expect(heading).to_have_text("Researchers show <script>alert(1)</script> payload ran in export licence portal")
    assert page.evaluate("Array.from(document.querySelectorAll('script'))"
                         ".filter(s => s.textContent.includes('alert(1)')).length") == 0


def test_save_as_alert_previews_what_it_would_send_and_saves_the_search(app_url, page, data, shots):
    from playwright.sync_api import expect

    from alerts.matching import match
    from alerts.saved import SavedSearch, SavedSearches

    query = "出口管制 lang:zh"
    page.goto(search_url(app_url, q=query))
    expect_results(page, data, query)
    with Store.open(data) as store:
        [owed] = match(store, open_backend(data, store), SavedSearch("preview", query, ["a@example.org"]), 20)
    documents = sum(1 + len(item.similar) for item in owed.items)
    settle(page)
    page.get_by_role("button", name="Save as alert").click()
    expect(page.get_by_text("Its first digest would send")).to_have_text(
        f"Its first digest would send {documents} documents ({owed.count} stories) that match now; "
        "after that, only new ones.")
    settle(page)
    page.get_by_role("textbox", name="Name").fill("zh-export-controls")
    page.get_by_role("textbox", name="Email recipients").fill("analyst@example.org")
    page.screenshot(path=shots / "alert-1-form.png")
    assert "expand=0" not in page.url  # nothing above switched off matching the other language
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    expect(page.get_by_text("Saved alert 'zh-export-controls'")).to_be_visible()
    with Store.open(data) as store:
        saved = SavedSearches(store).get("zh-export-controls")
    assert (saved.query, saved.recipients, saved.expand) == (query, ["analyst@example.org"], True)


def test_the_interface_switches_to_chinese_and_the_url_remembers_it(app_url, browser, page, data, shots):
    from playwright.sync_api import expect

    page.goto(search_url(app_url, q="export controls"))
    expect_results(page, data, "export controls")
    page.get_by_role("radio", name="中文").click()
    expect(page).to_have_url(re.compile(r"hl=zh"))
    expect(page.get_by_role("textbox", name="搜索", exact=True)).to_have_value("export controls")
    result = library(data, "export controls")
    expect(page.get_by_text(f"{result.total_stories} 篇报道，{result.total_documents} 篇匹配文档")).to_be_visible()
    expect(page.get_by_text("对照阅读").first).to_be_visible()
    page.screenshot(path=shots / "chinese-1-search.png")
    page.get_by_role("link", name="状态").click()  # the menu's link drops the query string
    expect(page.get_by_role("heading", level=1)).to_have_text("状态")
    expect(page).to_have_url(re.compile(r"/status\?hl=zh"))
    copied = page.url
    fresh = browser.new_context().new_page()
    fresh.goto(copied)
    expect(fresh.get_by_role("heading", level=1)).to_have_text("状态")
    fresh.screenshot(path=shots / "chinese-2-status-new-context.png")
    fresh.context.close()
    page.get_by_role("radio", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Status")
    expect(page).not_to_have_url(re.compile(r"hl="))


def test_status_page_fits_the_page_with_relative_times_and_index_health(app_url, page, data, shots):
    from playwright.sync_api import expect

    page.goto(app_url + "/status")
    expect(page.get_by_role("heading", level=1)).to_have_text("Status")
    expect(page.get_by_text("The index is up to date with the store (tantivy backend).")).to_be_visible()
    expect(page.get_by_text("Search index")).to_be_visible()
    last_fetch = page.get_by_test_id("stMetric").filter(has_text="Last fetch")
    expect(last_fetch).to_contain_text(re.compile(r"ago|just now"))
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    page.wait_for_timeout(500)
    main = page.get_by_test_id("stMain")
    assert main.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    inner = table.evaluate("e => { const s = e.querySelector('.dvn-scroller'); "
                           "return s ? [s.scrollWidth, s.clientWidth] : [0, 0]; }")
    assert inner[0] <= inner[1] + 1, inner  # every column visible without scrolling sideways
    page.screenshot(path=shots / "status.png", full_page=True)
    print(f"\nscreenshots: {shots}")
