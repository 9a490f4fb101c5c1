"""The layers of the README's "Architecture" section, checked on every module's imports.

Every import is read with `ast`, the lazy ones inside functions too (they run in the end, and a
cycle or an upward reach through them is as real). Fails on an import cycle between modules and
on an import from a higher layer (a module's own top-level package counts as its layer, apart
from the parts of `parallax` that sit in other layers, and `ui` may not import the CLI). The
table owners of `index.migrations.TABLE_OWNERS` are
checked too: a statement that writes a table appears only in its owner's package.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from index.migrations import TABLE_OWNERS

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("parallax", "index", "crawler", "nlp", "alerts", "ui")

# Lowest first. A module belongs to the first (longest) prefix that matches it; a module may
# import its own package and anything in a lower layer.
LAYERS: list[tuple[str, ...]] = [
    ("parallax", "parallax.errors", "parallax.settings", "parallax.progress"),
    ("index.document", "index.migrations", "index.store"),
    ("nlp",),
    ("crawler",),
    ("index",),
    ("alerts",),
    ("parallax.stages", "parallax.runloop", "parallax.demo", "parallax.sample_server"),
    ("ui", "parallax.cli"),
]


def _unit(module: str) -> tuple[int, str]:
    """(layer, the prefix it matched) of a module: `parallax.cli_search` is `parallax.cli`."""
    best = None
    for layer, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + ".") or (
                    prefix == "parallax.cli" and module.startswith("parallax.cli_")):
                if best is None or len(prefix) > len(best[1]):
                    best = (layer, prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """(project module imported, line) for every import in the file, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*parent, base] if base else parent)
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and (name, node.lineno) not in out:
                out.append((name, node.lineno))
    return out


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def test_every_module_is_in_a_layer():
    for module in MODULES:
        _unit(module)


def test_no_module_imports_a_higher_layer_or_a_sibling_package():
    wrong = []
    for module, imports in GRAPH.items():
        layer, unit = _unit(module)
        for target, line in imports:
            target_layer, target_unit = _unit(target)
            if target_layer > layer or (target_layer == layer and target_unit.split(".")[0] != unit.split(".")[0]):
                wrong.append(f"{MODULES[module].relative_to(ROOT)}:{line} {module} (layer {layer}) "
                             f"imports {target} (layer {target_layer})")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_no_import_cycle_between_modules():
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target, _ in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert sorted(cycles) == sorted(KNOWN_CYCLES), "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


# SQL is written in capitals here, which keeps "update sources" in a docstring out of it.
_WRITE = re.compile(r"\b(?:INSERT(?:\s+OR\s+[A-Z]+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)")
_SET = re.compile(r"\s+SET\s+(.*?)(?:\bWHERE\b|\"\"\"|$)", re.DOTALL)

# Exceptions known today (none): each entry must still be true, so the lists only shrink (the
# tests below fail on an entry no longer needed).
KNOWN_WRITES: set[tuple[str, str]] = set()
KNOWN_CYCLES: list[list[str]] = []


def _writers(table: str, statement_tail: str) -> set[str]:
    """The packages allowed to run this write: the table's owner, and for an UPDATE that sets a
    column another package owns ("documents.withdrawn_at"), that package too."""
    allowed = {TABLE_OWNERS[table]}
    columns = _SET.match(statement_tail)
    if columns:
        for column in re.findall(r"(\w+)\s*=", columns.group(1)):
            allowed.add(TABLE_OWNERS.get(f"{table}.{column}", TABLE_OWNERS[table]))
    return allowed


def test_only_the_owning_package_writes_a_table():
    wrong, known = [], set()
    for module, path in MODULES.items():
        if module == "index.migrations":
            continue
        package = module.split(".")[0]
        text = path.read_text(encoding="utf-8")
        for match in _WRITE.finditer(text):
            table = match.group(1)
            if table not in TABLE_OWNERS:
                continue
            allowed = _writers(table, text[match.end():match.end() + 400])
            if (str(path.relative_to(ROOT)), table) in KNOWN_WRITES:
                known.add((str(path.relative_to(ROOT)), table))
            elif package not in allowed:
                line = text.count("\n", 0, match.start()) + 1
                wrong.append(f"{path.relative_to(ROOT)}:{line} writes {table} (owned by {', '.join(sorted(allowed))})")
    assert not wrong, "tables written outside their owner:\n" + "\n".join(wrong)
    assert known == KNOWN_WRITES, f"no longer written there, drop from KNOWN_WRITES: {KNOWN_WRITES - known}"
