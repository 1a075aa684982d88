"""Data documentation: the data dictionary, generated, and the datasheet, checked.

The dictionary is generated from the contracts and the SQL, so it cannot drift from them: a check
fails when the committed file differs from what would be generated. The datasheet is written by
people (it follows "Datasheets for Datasets", Gebru et al.); a check fails when a section is
missing, empty, or still holds a placeholder.
"""

from __future__ import annotations

import re
from pathlib import Path

from pandera.pandas import DataFrameSchema

from ..core.data.contracts import (
    Table,
    sql_types,
)
from ..core.data.quality import (
    minimum_rows,
    references,
)
from ..core.data.sql import (
    View,
)

DATASHEET_SECTIONS = (
    "Motivation",
    "Composition",
    "Collection process",
    "Preprocessing, cleaning and labeling",
    "Uses",
    "Distribution",
    "Maintenance",
)
PLACEHOLDER = re.compile(
    r"\bTODO\b|\bTBD\b|\bFIXME\b|<[^<>\n]*(?:fill|describe|add)[^<>\n]*>", re.IGNORECASE
)


CHECK_WORDS = {
    "greater_than": "> {}",
    "greater_than_or_equal_to": ">= {}",
    "less_than": "< {}",
    "less_than_or_equal_to": "<= {}",
    "in_range": "in range {}",
    "isin": "one of {}",
    "str_matches": "matches `{}`",
    "calendar_date": "a real date written `{}`",
}


def _describe(check_name: str, statistics: dict[str, object]) -> str:
    values = ", ".join(str(value) for value in statistics.values() if value is not None)
    template = CHECK_WORDS.get(check_name)
    return template.format(values) if template else f"{check_name} {values}".strip()


def _checks(schema: DataFrameSchema, column: str, reference: tuple[str, str] | None) -> str:
    spec = schema.columns[column]
    checks = [_describe(str(check.name), check.statistics) for check in spec.checks]
    if not spec.nullable:
        checks.insert(0, "not null")
    if spec.unique:
        checks.insert(0, "unique")
    if isinstance(schema.unique, list) and column in schema.unique:
        others = ", ".join(other for other in schema.unique if other != column)
        checks.append(f"unique with {others}")
    if reference is not None:
        other, other_column = reference
        checks.append(f"exists in [{other}](#{other}).{other_column}")
    return "; ".join(checks).replace("|", "\\|")


def render_dictionary(tables: tuple[Table, ...], views: dict[str, View], sql_dir: Path) -> str:
    """Return the data dictionary as Markdown: every table and view, its columns and checks.

    The checks include each table's minimum row count and the references between tables.

    View files are shown relative to the project, as ``<sql_dir name>/...``.
    """
    lines = [
        "# Data dictionary",
        "",
        "Generated from the data contracts (`core/data/contracts.py`) and the SQL views"
        " (`sql/`) by",
        "`make data-docs`. Do not edit by hand: `make stage-data` fails when this page is stale.",
        "",
    ]
    for table in tables:
        kind = "raw table" if table.is_raw else "view"
        lines += [f"## {table.name}", "", f"{table.contract.__doc__}", ""]
        if table.source is not None:
            lines.append(f"- Kind: {kind}, loaded from `data/sample/{table.source}` (`make data`)")
        else:
            view = views.get(table.name)
            if view is not None:
                reads = ", ".join(f"[{name}](#{name})" for name in sorted(view.reads))
                shown = Path(sql_dir.name) / view.path.relative_to(sql_dir)
                lines.append(f"- Kind: {kind}, built by `{shown.as_posix()}`")
                lines.append(f"- Reads: {reads}")
        if minimum_rows(table) > 0:
            lines.append(f"- Rows: at least {minimum_rows(table)}")
        lines += ["", "| column | type | checks | description |", "| --- | --- | --- | --- |"]
        schema = table.contract.to_schema()
        links = references(table)
        for column, sql_type in sql_types(table.contract).items():
            description = schema.columns[column].description or ""
            checks = _checks(schema, column, links.get(column))
            lines.append(f"| `{column}` | {sql_type} | {checks} | {description} |")
        lines.append("")
    return "\n".join(lines)


def check_datasheet(text: str) -> list[str]:
    """Return what is missing from the datasheet: absent or empty sections, and placeholders."""
    problems = []
    sections = dict(
        re.findall(r"^## (.+?)\s*\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    )
    for title in DATASHEET_SECTIONS:
        body = sections.get(title)
        if body is None:
            problems.append(f"section '## {title}' is missing")
        elif not body.strip():
            problems.append(f"section '## {title}' is empty")
    for number, line in enumerate(text.splitlines(), start=1):
        if PLACEHOLDER.search(line):
            problems.append(f"line {number} holds a placeholder: {line.strip()}")
    return problems
