"""The CLI's plumbing: `--debug` is the group's option (not a look at sys.argv), `--lang` limits
the whole query, and expansions reach `search --format json` as data, not re-parsed text."""

from __future__ import annotations

import pickle

from click.testing import CliRunner

from index.expand import Expansion, expand
from index.query import parse, restrict
from parallax.cli import cli
from parallax.errors import StoreError


def test_debug_option_lets_the_error_through_and_without_it_one_line(tmp_path):
    # Bad input: a data directory under a regular file, which cannot be created.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    args = ["--data-dir", str(blocker / "data"), "alerts", "list"]
    plain = CliRunner().invoke(cli, args)
    assert plain.exit_code == 1 and plain.output.startswith("Error: cannot create data directory")
    debugged = CliRunner().invoke(cli, ["--debug", *args])
    assert isinstance(debugged.exception, StoreError)


def test_lang_restricts_the_whole_query_not_its_last_alternative():
    assert restrict("chips OR tariffs", "lang", "zh") == "(chips OR tariffs) lang:zh"
    assert restrict("  ", "lang", "en") == "lang:en"
    assert restrict("chips", "lang", None) == "chips"
    tree = parse(restrict("chips OR tariffs", "lang", "zh"))
    assert "lang" in repr(tree) and "Or" in repr(tree)


def test_expansions_carry_the_names_they_added():
    result = expand(parse("export controls"))
    [note] = [e for e in result.expansions if "(glossary)" in e]
    assert isinstance(note, Expansion) and note.startswith("export controls → ")
    assert "出口管制" in note.names and all("→" not in name for name in note.names)
    again = pickle.loads(pickle.dumps(note))  # the app caches results: names survive pickling
    assert again == note and again.names == note.names


def test_entity_expansion_names_are_the_mentions_only():
    [note] = expand(parse("entity:csia")).expansions
    assert "tagged csia" in note and "中国半导体行业协会" in note.names
    assert not any("tagged" in name for name in note.names)
