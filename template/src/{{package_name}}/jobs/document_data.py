"""Write the data dictionary, check that it is fresh, and check the datasheet."""

from __future__ import annotations

from pathlib import Path

from ..core.data.contracts import (
    TABLES,
)
from ..core.data.sql import (
    load_views,
)
from ..io.files import (
    stale_page,
    write_atomically,
)
from ..pages.data_dictionary import (
    check_datasheet,
    render_dictionary,
)

DICTIONARY = Path("data") / "dictionary.md"
DATASHEET = Path("data") / "datasheet.md"


def dictionary_text(sql_dir: Path) -> str:
    """Return the data dictionary as it should be."""
    views = {view.name: view for view in load_views(sql_dir)}
    return render_dictionary(TABLES, views, sql_dir)


def write_dictionary(sql_dir: Path, docs_dir: Path) -> Path:
    """Regenerate the data dictionary and return its path."""
    return write_atomically(docs_dir / DICTIONARY, dictionary_text(sql_dir))


def stale_dictionary(sql_dir: Path, docs_dir: Path) -> str | None:
    """Return why the committed dictionary is stale, or None when it is fresh."""
    return stale_page(
        docs_dir / DICTIONARY,
        dictionary_text(sql_dir),
        "data-docs",
        stale="is stale (the contracts or SQL changed)",
    )


def datasheet_problems(docs_dir: Path) -> list[str]:
    """Return what the datasheet lacks, each message naming the file."""
    path = docs_dir / DATASHEET
    if not path.is_file():
        return [f"{path} does not exist: it documents the data for its users"]
    return [f"{path}: {problem}" for problem in check_datasheet(path.read_text(encoding="utf-8"))]
