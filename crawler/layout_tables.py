"""Tables used for page layout, told apart from tables of data.

Older Chinese portals, forums and blogs build the whole page from nested `<table>`s: the menu in one
cell, the article in another, the footer in a third. An extractor told to keep tables renders each
as pipe-separated rows with the navigation inside. A layout table is not a data table: its cells
become blocks (so their text reads as paragraphs) and its navigation cells, mostly links, go.
A data table (headers, a regular grid of short cells, no paragraphs inside) stays a table.
"""

from __future__ import annotations

import re

_BLOCKS = {"p", "div", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "form", "blockquote",
           "iframe", "dl", "pre", "center"}
_CELL = ("td", "th")


def _text(node) -> str:
    return re.sub(r"\s+", "", node.text_content())


def _link_text(node) -> int:
    return sum(len(_text(a)) for a in node.iter("a"))


def _rows(table) -> list:
    return [tr for tr in table.iter("tr") if _owner(tr) is table]


def _owner(node):
    """The nearest table around a row or cell."""
    parent = node.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _cells(tr) -> list:
    return [c for c in tr if isinstance(c.tag, str) and c.tag in _CELL]


def is_layout(table) -> bool:
    """True for a table that arranges the page rather than presenting data."""
    if (table.get("role") or "").lower() in ("presentation", "none"):
        return True
    for node in table.iter():
        if node is not table and isinstance(node.tag, str) and node.tag in _BLOCKS and _owner_cell_table(node) is table:
            return True  # paragraphs, lists or other tables inside a cell
    rows = _rows(table)
    if not rows:
        return False
    cells = [c for tr in rows for c in _cells(tr)]
    if not cells:
        return False
    if table.xpath("./caption|./thead|./tr/th|./tbody/tr/th"):
        return False
    widths = {len(_cells(tr)) for tr in rows}
    if max(widths) == 1 or len(rows) == 1:
        return True  # one column or one row: a stack or a strip of blocks, not a grid
    total = len(_text(table))
    if not total or _link_text(table) / total >= 0.5:
        return True  # a menu or a list of links laid out in cells (or only images)
    texts = [_text(c) for c in cells]
    longest = max(len(t) for t in texts)
    if longest > 150:
        return True  # a cell holding an article
    brs = max(len(c.findall(".//br")) for c in cells)
    return brs >= 2


def _owner_cell_table(node):
    parent = node.getparent()
    while parent is not None:
        if parent.tag in _CELL:
            return _owner(parent)
        if parent.tag == "table":
            return None
        parent = parent.getparent()
    return None


def is_navigation(cell) -> bool:
    """A cell that is mostly links: a menu, a list of other articles, a footer of links."""
    text = len(_text(cell))
    if not text:
        return False
    links = list(cell.iter("a"))
    share = _link_text(cell) / text
    return (len(links) >= 3 and share >= 0.5) or (len(links) >= 1 and share >= 0.8 and text <= 60)


def unwrap_layout_tables(tree) -> int:
    """Turn every layout table in `tree` into blocks, in place, innermost first; drop navigation
    cells. Returns how many tables were unwrapped."""
    tables = list(tree.iter("table"))
    done = 0
    for table in reversed(tables):  # innermost first: an outer table is judged on what is left
        if table.getparent() is None or not is_layout(table):
            continue
        for tr in _rows(table):
            for cell in _cells(tr):
                if is_navigation(cell):
                    cell.drop_tree()
                else:
                    _as_block(cell)
            _as_block(tr)
        for part in table.xpath("./thead|./tbody|./tfoot"):
            _as_block(part)
        _as_block(table)
        done += 1
    return done


def _as_block(node) -> None:
    node.tag = "div"
    for attr in ("colspan", "rowspan", "cellpadding", "cellspacing", "border", "valign", "align"):
        node.attrib.pop(attr, None)
