"""`parallax nlp STAGE`: one language stage over JSON lines on standard input.

Each input line is {"id": ..., "text": ...}; each output line is the same object with the stage's
output added. Lines are read and processed in batches, so thousands of lines share one model load.
"""

from __future__ import annotations

import json
import sys

import click

from nlp.components import STAGES
from parallax.errors import InputError


def _read_batches(stream, size: int):
    """Batches of parsed lines; a bad line ends the input after the lines before it are handed out."""
    batch = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        problem = None
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            item, problem = None, f"is not JSON ({exc.msg})"
        if problem is None and (not isinstance(item, dict) or not isinstance(item.get("text"), str)):
            problem = "has no string 'text' field"
        if problem:
            if batch:
                yield batch
            raise InputError(f"line {number} of standard input {problem}: {line.strip()[:60]!r}; "
                             'give one object per line, e.g. {"id": "1", "text": "..."}')
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@click.command("nlp", help="Run one language stage on JSON lines {\"id\", \"text\"} from standard input. "
                            f"STAGE is one of: {', '.join(STAGES.text_names())}.")
@click.argument("stage")
@click.option("--batch", default=64, show_default=True, type=click.IntRange(1, 10000),
              help="Lines processed together.")
@click.pass_obj
def nlp_command(obj, stage, batch):
    from nlp.stage_io import StageRunner

    runner = StageRunner(obj.settings, stage)
    for items in _read_batches(sys.stdin, batch):
        for item in runner.run(items):
            click.echo(json.dumps(item, ensure_ascii=False))
    note = runner.note()
    if note:
        click.echo(note, err=True)
