"""Stage 1 commands: build the warehouse, check it, and document the data.

Each command takes the parsed arguments and the settings and returns an exit code; the first
line of its docstring is its help. Errors a user can fix are raised, and ``cli.main`` reports them.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    open_warehouse,
    report_problems,
)
from .settings import (
    Settings,
    env_name,
)

logger = logging.getLogger(__name__)


def data_build(args: argparse.Namespace, settings: Settings) -> int:
    """Load the raw tables and build the SQL views in the warehouse.

    On bad input, the contract report is printed and nothing is written.
    """
    del args
    from .jobs import (
        build_data,
    )

    with open_warehouse(settings) as warehouse:
        built = build_data.build(
            warehouse, settings.sample_dir, settings.sql_dir, env_name("sample_dir")
        )
    logger.info("Built %s in the %s warehouse", ", ".join(built), settings.warehouse)
    return EXIT_OK


def table_option(parser: argparse.ArgumentParser) -> None:
    """Add data-check's --table option."""
    parser.add_argument(
        "--table", action="append", metavar="NAME", help="check only this table (repeatable)"
    )


def data_check(args: argparse.Namespace, settings: Settings) -> int:
    """Check every table and view against its contract; print and write the report."""
    from .core.data.quality import (
        render_text,
    )
    from .jobs import (
        check_data,
    )

    with open_warehouse(settings, read_only=True) as warehouse:
        reports = check_data.check(warehouse, args.table or None)
    sys.stdout.write(render_text(reports))
    path = check_data.write_report(reports, settings.reports_dir)
    failing = [report.table for report in reports if not report.ok]
    if failing:
        logger.error("Contract violations in %s (report: %s)", ", ".join(failing), path)
        for fix in check_data.fixes(reports, settings.sql_dir, settings.sample_dir):
            logger.error("To fix: %s", fix)
        return EXIT_FAILED
    logger.info("Every table and view passes its contract (report: %s)", path)
    return EXIT_OK


def sql_check(args: argparse.Namespace, settings: Settings) -> int:
    """Resolve the tables and columns of the SQL views, without running them."""
    del args
    from .jobs import (
        check_sql,
    )

    problems = check_sql.check(settings.sql_dir)
    passed = f"Every view in {settings.sql_dir} resolves and matches its contract"
    return report_problems(logger, problems, passed)


def data_docs(args: argparse.Namespace, settings: Settings) -> int:
    """Regenerate the data dictionary (docs/data/dictionary.md)."""
    from .jobs import (
        document_data,
    )

    if args.check:
        stale = document_data.stale_dictionary(settings.sql_dir, settings.docs_dir)
        if stale:
            logger.error("%s", stale)
            return EXIT_FAILED
        logger.info("The data dictionary is up to date")
        return EXIT_OK
    logger.info("Wrote %s", document_data.write_dictionary(settings.sql_dir, settings.docs_dir))
    return EXIT_OK


def datasheet_check(args: argparse.Namespace, settings: Settings) -> int:
    """Check that the datasheet answers every section (none missing, empty or a placeholder)."""
    del args
    from .jobs import (
        document_data,
    )

    problems = document_data.datasheet_problems(settings.docs_dir)
    return report_problems(logger, problems, "The datasheet answers every section")
