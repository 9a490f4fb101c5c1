"""Export for the UI: `index.export` when it is installed, else the interim writer."""

from __future__ import annotations

try:
    from index.export import FORMATS, export_bytes
except ImportError:  # the export work has not been merged into this tree yet
    from ui.interim_export import FORMATS, export_bytes

MIME = {"csv": "text/csv", "jsonl": "application/x-ndjson", "parquet": "application/vnd.apache.parquet",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

__all__ = ["FORMATS", "MIME", "export_bytes"]
