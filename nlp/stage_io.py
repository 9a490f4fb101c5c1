"""One stage applied to free texts (not stored documents): what `parallax nlp STAGE` runs.

The stage is looked up in the same registry `parallax process` runs (nlp.components), and its free
text form calls the same functions, so the output is what the index and the store would see:
`words` is the precise cut in the text's original characters and `index_tokens` the words the index
is fed (search mode: the shorter words inside long ones too), entities carry offsets into the input
text, translations come from the same engines with the sentence cache kept in memory.
"""

from __future__ import annotations

from nlp.components import STAGES, Resources


class StageRunner:
    def __init__(self, settings, stage: str):
        """Raises ConfigError naming the valid stages for a name that is not one of them."""
        self.stage = STAGES.text_stage(stage)
        # Asked for by name: the translation stage translates whatever nlp.translate says.
        self.resources = Resources(settings, translate_now=True)

    def run(self, items: list[dict]) -> list[dict]:
        return self.stage.texts(self.resources, items)

    def note(self) -> str | None:
        """The engines used, for stages whose engine depends on what this machine has."""
        if not callable(self.stage.describe):
            return None
        description = self.stage.description(self.resources)
        return f"{self.stage.name}: {description}" if description else None
