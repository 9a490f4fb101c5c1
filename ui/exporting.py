"""Export for the UI: the same implementation as `parallax export` (index.export)."""

from __future__ import annotations

from index.export import FORMATS, MEDIA_TYPES as MIME, export_bytes

__all__ = ["FORMATS", "MIME", "export_bytes"]
