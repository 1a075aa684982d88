"""Files the jobs write whole: reports and generated pages."""

from __future__ import annotations

from pathlib import Path


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a sibling file and a rename; return ``path``.

    A reader (or a killed run) never sees half a file: ``path`` holds the previous text or the new
    one. Missing parent folders are created.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path
