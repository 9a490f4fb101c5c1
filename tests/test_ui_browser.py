"""The research app in a real browser: `parallax ui` (a real `streamlit run`) on 127.0.0.1 over the
demo data, driven by headless Chromium through Playwright. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from tests.ui_server import CHROMIUM, CHROMIUM_ARGS, running_ui

@pytest.fixture
def app_url(demo_data, tmp_path):
    """`parallax ui` over the demo data on a free port, stopped after the test."""
    settings, _ = demo_data
    with running_ui(settings.data_dir, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def library(settings, query: str = "", **request):
    """What the search library answers for `query` on the data the app is showing."""
    with Store.open(settings) as store:
        return open_backend(settings, store).search(SearchRequest(query, **request))


def counts(settings, query: str) -> tuple[int, int]:
    """(results, documents): near-duplicate clusters folded, and every matching document."""
    return library(settings, query).total, library(settings, query, collapse=False).total


def summary_text(settings, query: str) -> str:
    """The page's count line: stories (clusters folded), then every matching document."""
    shown, documents = counts(settings, query)
    return (f"{shown} stor{'y' if shown == 1 else 'ies'}, "
            f"{documents} matching document{'s' if documents != 1 else ''}")


def chip_labels(hit) -> list[str]:
    """The entity chips a result card shows: each entity once, named as first mentioned."""
    names: dict[str, str] = {}
    for e in hit.entities:
        if e.get("canonical_id"):
            names.setdefault(e["canonical_id"], e.get("text") or e["canonical_id"])
    return list(names.values())[:10]


def test_research_app_end_to_end(app_url, browser, demo_data, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # two shared cores: a rerun can take a few seconds
    settings, _ = demo_data
    with Store.open(settings) as store:
        source_names = {k: v.get("name_en", k) for k, v in store.sources().items()}
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(30_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def search(text: str):
        """Type a query; wait until the page shows the library's count and first page of results."""
        box.fill(text)
        box.press("Enter")
        expect(summary).to_have_text(summary_text(settings, text))
        expect(page.locator("h5")).to_have_text([h.title for h in library(settings, text, limit=10).hits])
        page.wait_for_load_state("networkidle")

    def card(position: int):
        """The bordered card of the result at `position` on the page (the block around its heading)."""
        return page.locator("h5").nth(position).locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")

    page.goto(app_url)
    box = page.get_by_role("textbox", name="Search", exact=True)
    summary = page.get_by_text("matching document").first
    # The demo republishes statements: results fold near-duplicates, the line counts both.
    shown, stored = counts(settings, "")
    assert shown < stored
    expect(summary).to_have_text(f"{shown} stories, {stored} matching documents")

    # English, then Chinese: each finds its hits, with highlighted snippets and entity chips.
    search("export controls")
    first = library(settings, "export controls", limit=1).hits[0]
    assert chip_labels(first), "the demo's first hit for export controls names entities"
    expect(card(0).get_by_test_id("stButtonGroup").locator("button")).to_have_text(chip_labels(first))
    page.screenshot(path=shots / "1-search-english.png")

    search("出口管制")
    hits = library(settings, "出口管制", limit=10).hits
    folded = [h for h in hits if h.cluster_size > 1]
    assert folded, "the demo's republished statements are folded into one result"
    for position, hit in enumerate(hits):
        if hit.cluster_size == 1:
            expect(card(position)).not_to_contain_text("also published by")
            continue
        others = ", ".join(source_names[s] for s in hit.also_published_by)
        expect(card(position).get_by_text(f"also published by {hit.cluster_size - 1} other")).to_have_text(
            f"also published by {hit.cluster_size - 1} other{'s' if hit.cluster_size > 2 else ''}: {others}")
    page.screenshot(path=shots / "2-search-chinese.png")

    # A filter from the sidebar: only Chinese-language documents.
    page.get_by_role("combobox", name="Language").click()
    page.get_by_role("option", name="Chinese").click()
    page.keyboard.press("Escape")
    expect(summary).to_have_text(summary_text(settings, "(出口管制) lang:zh") + " · query: (出口管制) lang:zh")
    _, total = counts(settings, "(出口管制) lang:zh")
    assert 0 < total < counts(settings, "出口管制")[1]
    page.screenshot(path=shots / "3-search-filtered.png")

    # Export the filtered result set as CSV: every matching document (near-duplicates too), one row each.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="CSV").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text("utf-8-sig"))))
    assert len(rows) == total
    assert {r["language"] for r in rows} == {"zh"}
    assert all("出口管制" in (r["title"] + r["body"]) for r in rows)

    # Open the first document: original and translation side by side (or the notice that the
    # translation stage has not run), with a link to the source page.
    first_title = page.locator("h5").first.inner_text()
    page.get_by_text("Read side by side").first.click()
    expect(page.get_by_role("heading", level=2)).to_have_text(first_title)
    expect(page.get_by_text("Original (zh)")).to_be_visible()
    expect(page.get_by_text("Translation", exact=False).first).to_be_visible()
    notice = page.get_by_text("Not translated yet")
    if notice.count():  # the translation stage has not run on the demo data
        expect(notice).to_be_visible()
    else:  # the translation column is headed by the model that produced it
        expect(page.get_by_text("Translation (")).to_be_visible()
    link = page.get_by_role("link", name="Open the source page")
    assert link.get_attribute("href").startswith("http://127.0.0.1:")
    columns = page.locator("[data-testid='stHorizontalBlock']").filter(has_text="出口管制").first
    assert columns.locator("[data-testid='stColumn']").count() == 2
    page.screenshot(path=shots / "4-document.png", full_page=True)

    # A crawled <script> in a title is shown as text and never runs.
    page.get_by_role("link", name="Back to results").click()
    box = page.get_by_role("textbox", name="Search", exact=True)
    page.get_by_role("button", name="Clear filters").click()
    expect(summary).to_have_text(summary_text(settings, "出口管制"))  # wait for the rerun before typing
    search("licence portal")
    heading = page.locator("h5").filter(has_text="alert(1)")
    expect(heading).to_have_text("Researchers show <script>alert(1)</script> payload ran in export licence portal")
    injected = page.evaluate(
        "Array.from(document.querySelectorAll('script')).filter(s => s.textContent.includes('alert(1)')).length")
    assert injected == 0
    page.get_by_text("Read side by side").first.click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("<script>alert(1)</script>")
    page.screenshot(path=shots / "5-script-title-as-text.png", full_page=True)
    assert dialogs == []

    # A folded result: its document page lists the near-duplicates, each a link to that document.
    page.get_by_role("link", name="Back to results").click()
    box = page.get_by_role("textbox", name="Search", exact=True)
    search("出口管制")
    hit = folded[0]
    position = hits.index(hit)
    everything = library(settings, "", limit=1000, collapse=False).hits
    members = [h for h in everything if h.cluster_id == hit.cluster_id and h.id != hit.id]
    assert len(members) == hit.cluster_size - 1
    card(position).get_by_text("Read side by side").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(hit.title)
    section = page.get_by_test_id("stExpander").filter(has_text="Near-duplicates")
    for other in members:
        expect(section.get_by_role("link", name=other.title, exact=False)).to_be_visible()
    expect(section).not_to_contain_text("No other document says nearly the same thing")
    section.scroll_into_view_if_needed()
    page.screenshot(path=shots / "6-near-duplicates.png", full_page=True)
    section.get_by_role("link", name=members[0].title, exact=False).first.click()
    expect(page.get_by_role("heading", level=2)).to_have_text(members[0].title)
    expect(page.get_by_test_id("stExpander").filter(has_text="Near-duplicates").get_by_role(
        "link", name=hit.title, exact=False)).to_be_visible()

    # An entity chip on a result filters the search by that entity.
    page.get_by_role("link", name="Back to results").click()
    box = page.get_by_role("textbox", name="Search", exact=True)
    expect(summary).to_have_text(summary_text(settings, "出口管制"))
    expect(page.locator("h5")).to_have_text([h.title for h in hits])
    chips = card(position).get_by_test_id("stButtonGroup").locator("button")
    chips.filter(has_text=chip_labels(hit)[0]).first.click()
    entity = next(e for e in hit.entities if e.get("canonical_id"))  # the first chip's entity
    query = f"(出口管制) entity:{entity['canonical_id']}"
    expect(summary).to_have_text(summary_text(settings, query) + f" · query: {query}")
    page.get_by_role("button", name="Clear filters").click()
    expect(summary).to_have_text(summary_text(settings, "出口管制"))

    # Timeline and status pages.
    search("出口管制 OR \"export controls\"")
    page.get_by_role("link", name="Timeline").click()
    expect(page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first
           ).to_be_visible()
    _, documents = counts(settings, "出口管制 OR \"export controls\"")
    expect(page.get_by_text("near-duplicates included")).to_contain_text(f"{documents} documents")
    page.wait_for_timeout(500)
    page.screenshot(path=shots / "7-timeline.png")
    page.get_by_role("link", name="Status").click()
    expect(page.get_by_text("up to date with the store")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=shots / "8-status.png")
    assert dialogs == []
    assert len(list(shots.glob("*.png"))) == 8
