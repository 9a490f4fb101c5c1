"""Extraction quality on the project's own fixture pages (body, title, date and author scored on
their own, with the sources' selectors and with automatic extraction alone); the measure itself is
in tests/extraction_quality.py, next to the pages it reads.

    python benchmarks/extraction_quality.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.extraction_quality import measure  # noqa: E402

if __name__ == "__main__":
    print(json.dumps(measure(), indent=1, ensure_ascii=False))
