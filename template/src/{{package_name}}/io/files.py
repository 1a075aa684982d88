"""Files the jobs write whole: reports and generated pages, and whether a page is current."""

from __future__ import annotations

from collections.abc import Callable
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


def holds(
    path: Path, content: str | bytes, same: Callable[[bytes, bytes], bool] | None = None
) -> bool:
    """Whether ``path`` is a file that holds ``content``.

    Text is compared as text (UTF-8); bytes with ``same`` when given (two pictures may be the same
    picture in other bytes), else byte for byte.
    """
    if not path.is_file():
        return False
    if isinstance(content, str):
        return path.read_text(encoding="utf-8") == content
    found = path.read_bytes()
    return same(found, content) if same is not None else found == content


def stale_page(
    path: Path,
    content: str | bytes,
    target: str,
    stale: str = "is stale",
    same: Callable[[bytes, bytes], bool] | None = None,
) -> str | None:
    """Return why ``path`` does not hold ``content``, or None when it does.

    The message names the file and the make ``target`` that writes it; ``stale`` says what a page
    that differs is ("does not describe the current API"). See :func:`holds` for ``same``.
    """
    if not path.is_file():
        return f"{path} does not exist: run `make {target}` and commit it"
    if not holds(path, content, same):
        return f"{path} {stale}: run `make {target}` and commit it"
    return None
