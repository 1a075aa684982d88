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
    """Return where a failed read of ``path`` failed (``path:line``) and Arrow's message for it.

    ``message`` is the failed read's error: it is returned unchanged, with ``path`` alone, when the
    file reads on one thread (a fault of the threaded read) or names no row.
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
        return str(path), message
    return f"{path}:{row.group(1)}", ROW.sub("", message, count=1)
