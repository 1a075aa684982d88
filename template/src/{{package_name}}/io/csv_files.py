"""CSV files read with Arrow: the line a read fails at, for errors a person can act on.

Arrow reads a file on several threads and then cannot say which row broke; read on one thread, it
numbers the rows from the header (row 1), which is the file's line where no quoted value spans
lines. The fast read stays threaded: only a read that failed is read again to find the line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

ROW = re.compile(r"Row #(\d+): ")


def failed_line(
    path: Path, convert_options: pa_csv.ConvertOptions, message: str
) -> tuple[str, str]:
    """Return Arrow's message for a failed read of ``path``, without its row, and where it failed.

    The second is `` (line N)``, for the end of an error, or empty where Arrow names no row (then
    ``message``, the failed read's error, is returned unchanged). The line comes last so that the
    error begins as it did before lines were named: tests that match its start keep passing.
    """
    try:
        for _ in pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=False),
            convert_options=convert_options,
        ):
            pass
    except pa.ArrowInvalid as error:
        message = str(error)
    row = ROW.search(message)
    if row is None:
        return message, ""
    return ROW.sub("", message, count=1), f" (line {row.group(1)})"
