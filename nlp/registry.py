"""The language stages as registered components, and what a version change makes behind.

Each stage is registered once, by name (spaCy's `@Language.component` is the model), and declares:
its version (the `VERSION` of the module that holds its code, read when asked, so bumping it there
is all it takes), the fields it reads and writes, the stages whose output it depends on, whether
it is a pure function of the text (then it may run in worker processes), and its two forms: one
over a batch of stored documents (`parallax process`) and, optionally, one over free texts
(`parallax nlp NAME`). A stage without a document form (normalisation, the gazetteer) is a part
the others use: it has a version, and bumping it re-runs the stages that depend on it.

The registry orders stages by their dependencies (registration order among equals), writes the
pipeline version an analysis records (`langid=1;normalize=1;…`) and reads it back: a document
analysed at an older version re-runs exactly the stages whose version changed and every stage
that depends on them, transitively; nothing else.

Registering a stage is cheap and imports nothing heavy: the stage modules are imported when a
version or a stage's code is first needed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from parallax.errors import ConfigError

# (resources, work items, tally) -> how many of the items the stage worked on (None: all of them).
DocumentsFn = Callable[[Any, list, Any], "int | None"]
# (resources, items as {"id", "text", ...}) -> the items with the stage's output added.
TextsFn = Callable[[Any, list[dict]], list[dict]]


@dataclass(frozen=True)
class Stage:
    """One registered stage. `module` names where its code and `VERSION` live (or is any object
    with a `VERSION` attribute)."""

    name: str
    module: Any
    depends_on: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()  # document and analysis fields it reads
    outputs: tuple[str, ...] = ()  # analysis fields it writes ("details.x": a key of details)
    documents: DocumentsFn | None = None
    texts: TextsFn | None = None
    in_workers: bool = False  # a pure function of the text: may run in another process
    needs: tuple[str, ...] = ()  # what it loads (`Resources` attributes), loaded before the first batch
    # What `parallax process` prints as the stage's engine: a fixed text, or (resources) -> text
    # (None while the stage's engine is not loaded).
    describe: str | Callable[[Any], str | None] | None = None
    # (resources, work item) -> True when the stage must run although nothing it depends on changed
    # (translation asked for with `parallax process --translate`).
    also_when: Callable[[Any, Any], bool] | None = None

    @property
    def version(self) -> str:
        owner = importlib.import_module(self.module) if isinstance(self.module, str) else self.module
        return str(owner.VERSION)

    @property
    def runs(self) -> bool:
        """False for a part other stages use (no work of its own on a document)."""
        return self.documents is not None

    def description(self, resources) -> str | None:
        return self.describe(resources) if callable(self.describe) else self.describe


@dataclass
class Registry:
    """The stages by name. `STAGES` in nlp.components is the one `parallax process` and
    `parallax nlp` use; tests build their own."""

    _stages: dict[str, Stage] = field(default_factory=dict)
    _order: list[Stage] | None = None

    def register(self, stage: Stage) -> Stage:
        if stage.name in self._stages:
            raise ValueError(f"stage {stage.name!r} is registered twice")
        self._stages[stage.name] = stage
        self._order = None
        return stage

    def component(self, name: str, module: Any, **declared) -> Callable[[DocumentsFn], DocumentsFn]:
        """Decorator: register the function as the document form of stage `name`."""
        def register(fn: DocumentsFn) -> DocumentsFn:
            self.register(Stage(name, module, documents=fn, **declared))
            return fn
        return register

    def text_form(self, name: str) -> Callable[[TextsFn], TextsFn]:
        """Decorator: the function is stage `name`'s form over free texts (`parallax nlp NAME`)."""
        def register(fn: TextsFn) -> TextsFn:
            self._stages[name] = replace(self.get(name), texts=fn)
            self._order = None
            return fn
        return register

    # -- looking up -----------------------------------------------------------------------------

    def names(self) -> list[str]:
        return [s.name for s in self.ordered()]

    def text_names(self) -> list[str]:
        return [s.name for s in self.ordered() if s.texts is not None]

    def get(self, name: str) -> Stage:
        try:
            return self._stages[name]
        except KeyError:
            raise ConfigError(f"unknown stage {name!r}; the stages are: {', '.join(self.names())}") from None

    def text_stage(self, name: str) -> Stage:
        """The stage `parallax nlp NAME` runs; a clear error for a name that is not one."""
        stage = self.get(name)
        if stage.texts is None:
            why = ("is part of the stages that use it" if not stage.runs
                   else "works on stored documents only")
            raise ConfigError(f"stage {name!r} {why}: run `parallax process`; the stages that run on "
                              f"free text are: {', '.join(self.text_names())}")
        return stage

    def ordered(self) -> list[Stage]:
        """Every stage after the stages it depends on; among those free to go, registration order."""
        if self._order is not None:
            return self._order
        for stage in self._stages.values():
            for dep in stage.depends_on:
                if dep not in self._stages:
                    raise ValueError(f"stage {stage.name!r} depends on {dep!r}, which is not registered")
        placed: dict[str, Stage] = {}
        waiting = list(self._stages.values())
        while waiting:
            ready = next((s for s in waiting if all(d in placed for d in s.depends_on)), None)
            if ready is None:
                raise ValueError("stages depend on each other in a cycle: "
                                 + ", ".join(f"{s.name} -> {'/'.join(s.depends_on)}" for s in waiting))
            placed[ready.name] = ready
            waiting.remove(ready)
        self._check_inputs(placed)
        self._order = list(placed.values())
        return self._order

    def _check_inputs(self, stages: dict[str, Stage]) -> None:
        """A stage that reads another stage's output must depend on it (else a version bump of the
        producer would leave the reader's results stale)."""
        producer = {out: s.name for s in stages.values() for out in s.outputs}
        for stage in stages.values():
            upstream = self.upstream(stage.name, stages)
            for name in stage.inputs:
                made_by = producer.get(name)
                if made_by not in (None, stage.name) and made_by not in upstream:
                    raise ValueError(f"stage {stage.name!r} reads {name!r}, written by {made_by!r}, "
                                     f"but does not depend on {made_by!r}")

    def upstream(self, name: str, stages: dict[str, Stage] | None = None) -> set[str]:
        """Every stage `name` depends on, directly or through others."""
        stages = stages or self._stages
        out: set[str] = set()
        frontier = list(stages[name].depends_on)
        while frontier:
            dep = frontier.pop()
            if dep not in out:
                out.add(dep)
                frontier.extend(stages[dep].depends_on)
        return out

    def dependents(self, names: set[str]) -> set[str]:
        """The given stages and every stage that depends on one of them, transitively."""
        out = set(names)
        grew = True
        while grew:
            grew = False
            for stage in self.ordered():
                if stage.name not in out and out.intersection(stage.depends_on):
                    out.add(stage.name)
                    grew = True
        return out

    # -- versions -------------------------------------------------------------------------------

    def version(self, leave_out: set[str] = frozenset()) -> str:
        """The pipeline version an analysis records: every stage's name and version, in order.
        Stages left out (they failed on that document) run again next time."""
        return ";".join(f"{s.name}={s.version}" for s in self.ordered() if s.name not in leave_out)

    @staticmethod
    def parse_version(version: str | None) -> dict[str, str]:
        out = {}
        for part in (version or "").split(";"):
            name, _, value = part.partition("=")
            if name and value:
                out[name] = value
        return out

    def runnable(self) -> set[str]:
        return {s.name for s in self.ordered() if s.runs}

    def behind(self, old_version: str | None, content_changed: bool) -> set[str]:
        """The stages that must run for a document analysed at `old_version` (None: never
        analysed): all of them when the text changed, else those whose version changed and
        their dependents."""
        if old_version is None or content_changed:
            return self.runnable()
        old = self.parse_version(old_version)
        changed = {s.name for s in self.ordered() if old.get(s.name) != s.version}
        return self.dependents(changed) & self.runnable()
