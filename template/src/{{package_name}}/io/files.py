"""Files the jobs write whole: reports and generated pages."""

from __future__ import annotations

from pathlib import Path


def write_atomically(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (UTF-8), or bytes, to ``path`` through a sibling file and a rename.

    A reader (or a killed run) never sees half a file: ``path`` holds the previous content or the
    new one. Missing parent folders are created. Returns ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.partial")
    if isinstance(text, bytes):
        partial.write_bytes(text)
    else:
        partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path
