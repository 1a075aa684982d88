"""Migration: bring a project generated before core/ had one folder per stage to the new layout.

The template moved the package's modules from one flat ``core/`` to ``core/data``, ``core/model``,
``core/serving``, ``core/monitoring`` and ``pages/``, and its tests likewise. ``copier update`` moves
the files the template owns by itself: it writes them at their new path and deletes the old one.
It cannot move what the team owns (``_skip_if_exists``): it would write the template's default at
the new path and delete the team's edited file at the old one. This script runs before the update
(``_migrations`` in copier.yml), in the project, and:

- moves each team-owned file that moved to its new path, never over an existing file;
- rewrites, in the team's Python files (the team-owned ones and every module or test the old template
  did not generate), the imports of the moved modules; and in the team's files, the paths of the moved
  modules and tests that their comments and docs mention.

It leaves the template's own files alone: the update replaces them, and an edit here would become a
"team edit" that the update merges into the new version. It stages nothing (see ``move``), so
that ``git status`` and ``git diff`` show what it did with the rest of the update. Running it twice
does what running it once did.

Usage: ``python move_to_stage_folders.py [PACKAGE_NAME]`` in the project's root (by default, the
package that ``.copier-answers.yml`` names).
Standard library only: it runs with Copier's Python, not the project's.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

# Each moved module: its old name under the package, its new one.
MODULES = {
    "core.contracts": "core.data.contracts",
    "core.sql": "core.data.sql",
    "core.quality": "core.data.quality",
    "core.documentation": "pages.data_dictionary",
    "core.model": "core.model.pipeline",
    "core.training": "core.model.training",
    "core.promotion": "core.model.promotion",
    "core.model_card": "pages.model_card",
    "core.figures": "pages.figures",
    "core.scorer": "core.serving.scorer",
    "core.batch": "core.serving.batch",
    "core.requests": "core.serving.request_schema",
    "core.api_reference": "pages.api_reference",
    "core.drift": "core.monitoring.drift",
    "core.segments": "core.monitoring.segments",
    "core.monitoring": "core.monitoring.report",
    "core.monitoring_page": "pages.monitoring_report",
}
# Names that left their module for another one than the module's new home.
NAMES = {
    "core.training": {
        "Features": "core.model.features",
        "model_input": "core.model.features",
        "synthetic_example": "core.model.features",
    },
}
# Old modules whose name is now a package: what may follow the name in the new layout.
NEW_SUBMODULES = {
    "core.model": ("pipeline", "training", "promotion", "features"),
    "core.monitoring": (
        "comparison",
        "drift",
        "drift_statistics",
        "feature_drift",
        "performance",
        "report",
        "segment_results",
        "segments",
    ),
}
# Each moved test: its old path under tests/, its new one.
TESTS = {
    "core/test_quality.py": "core/data/test_quality.py",
    "core/test_sql.py": "core/data/test_sql.py",
    "core/test_promotion.py": "core/model/test_promotion.py",
    "core/test_training.py": "core/model/test_training.py",
    "core/test_batch.py": "core/serving/test_batch.py",
    "core/test_scorer.py": "core/serving/test_scorer.py",
    "core/test_drift.py": "core/monitoring/test_drift.py",
    "core/test_monitoring.py": "core/monitoring/test_report.py",
    "core/test_segments.py": "core/monitoring/test_segments.py",
    "core/test_documentation.py": "pages/test_data_dictionary.py",
    "core/test_model_card.py": "pages/test_model_card.py",
}
# The team-owned files that moved ({package} is the package's folder).
TEAM_MOVES = {
    "src/{package}/core/contracts.py": "src/{package}/core/data/contracts.py",
    "src/{package}/core/model.py": "src/{package}/core/model/pipeline.py",
    "tests/core/test_documentation.py": "tests/pages/test_data_dictionary.py",
    "tests/core/test_quality.py": "tests/core/data/test_quality.py",
}
# The team-owned files that stayed: their imports and the paths they mention are rewritten too.
TEAM_FILES = (
    "tools/sample_data.py",
    "tests/jobs/test_build_data.py",
    "tests/jobs/test_check_data.py",
    "tests/jobs/test_document_data.py",
    "tests/test_cli_data.py",
    "tests/test_sample_data.py",
    "tests/test_sql_views.py",
    "tests/configs/test_train.py",
    "tests/configs/test_monitoring.py",
    "README.md",
    "project.mk",
    "docs/index.md",
    "docs/data/datasheet.md",
    "docs/data/dictionary.md",
    "docs/models/model-card.md",
    "configs/train.yaml",
    "configs/monitoring.yaml",
)
# Every Python file the template generated before the move, whatever the answers: the template's
# own (but for the team-owned ones above), which the update replaces.
OLD_TEMPLATE_FILES = {
    f"{folder}/{name}.py"
    for folder, names in {
        "src/{package}": "__init__ __main__ cli cli_common cli_data cli_monitoring cli_serving cli_tracking "
        "settings",
        "src/{package}/core": "__init__ api_reference batch contracts documentation drift figures model "
        "model_card monitoring monitoring_page promotion quality requests scorer segments sql training",
        "src/{package}/io": "__init__ batch_ids batch_inputs batch_outputs bigquery configs connection "
        "exported_model files log_files model_folder postgres prediction_log provenance registered_model "
        "registry run_artifacts serving_model snowflake staged training_run warehouse windows",
        "src/{package}/jobs": "__init__ build_data check_data check_sql check_tracking document_api "
        "document_data document_model monitor predict_batch promote train",
        "src/{package}/serving": "__init__ app endpoints errors guard json_logs metrics observability",
        "tests": "conftest test_architecture test_cli test_cli_data test_cli_monitoring test_cli_serving "
        "test_cli_tracking test_env_check test_monitoring_config test_monitoring_issue test_sample_data "
        "test_scorecard test_settings test_sql_views",
        "tests/configs": "test_monitoring test_train",
        "tests/core": "test_batch test_documentation test_drift test_model_card test_monitoring "
        "test_promotion test_quality test_scorer test_segments test_sql test_training",
        "tests/io": "test_bigquery test_files test_log_files test_postgres test_prediction_log "
        "test_provenance test_registry test_run_artifacts test_snowflake test_staged test_warehouse "
        "test_windows",
        "tests/jobs": "test_build_data test_check_data test_check_tracking test_document_api "
        "test_document_data test_document_model test_monitor test_predict_batch test_promote test_train",
        "tests/serving": "conftest test_api_schema test_app test_endpoints test_errors test_guard "
        "test_observability test_runtime_imports",
        "tools": "architecture docker_smoke env_check monitoring_issue promtool sample_data scorecard",
    }.items()
    for name in names.split()
}
TEAM_FOLDERS = ("src", "tests", "tools")
ANSWERS_FILE = ".copier-answers.yml"


def say(line: str) -> None:
    """Print one line of the migration's report."""
    sys.stdout.write(f"migration (core/ by stage): {line}\n")


def move(old: Path, new: Path) -> bool:
    """Move a team-owned file to its new path, never over a file; return whether it moved.

    The move is left unstaged, like the rest of the update: staged, the deletion of the old path
    makes copier (9.19) match its skip-if-exists patterns before it has read the answers, so that it
    merges the team's file with the template's default and writes conflict markers. Git follows the
    file all the same: it finds renames by content (``git log --follow``, ``git status`` once added).
    """
    if not old.exists():
        return False
    if new.exists():
        say(
            f"{old} and {new} both exist: left both; the update deletes {old} (git keeps it: "
            f"`git show HEAD:{old}`), carry its edits over to {new}"
        )
        return False
    new.parent.mkdir(parents=True, exist_ok=True)
    old.rename(new)
    say(f"moved {old} to {new}")
    return True


def submodules(package: str, old: str) -> tuple[str, ...]:
    """Return the modules of the package that the old module ``old`` became, when it became one.

    The new layout's, and those found in the project (an update brings them; the script may run again).
    """
    known = NEW_SUBMODULES.get(old, ())
    folder = Path("src", package, *old.split("."))
    if not known or not folder.is_dir():
        return known
    return (*known, *(path.stem for path in sorted(folder.glob("*.py")) if path.stem != "__init__"))


def new_module(package: str, module: str, name: str | None = None) -> str | None:
    """Return the new absolute name of ``module`` (absolute, old layout), or None if it did not move.

    With ``name``, the module that now holds that name imported from ``module``.
    """
    prefix = f"{package}."
    if not module.startswith(prefix):
        return None
    inner = module.removeprefix(prefix)
    for old, new in MODULES.items():
        rest = inner.removeprefix(f"{old}.").split(".")[0] if inner.startswith(f"{old}.") else None
        after = submodules(package, old)
        if rest in after or (inner == old and name in after):
            return None  # a module of the new package of that name: the new layout already
        if inner == old or rest is not None:
            if name is not None and inner == old and name in NAMES.get(old, {}):
                return prefix + NAMES[old][name]
            return prefix + new + inner.removeprefix(old)
    return None


def resolve(node: ast.ImportFrom, module_name: str | None) -> str | None:
    """Return the absolute module an import names, resolving a relative one from ``module_name``."""
    if not node.level:
        return node.module
    if module_name is None:
        return None
    parts = module_name.split(".")[: -node.level]
    if not parts:
        return None
    return ".".join([*parts, *([node.module] if node.module else [])])


def alias_text(alias: ast.alias, bound: str | None = None) -> str:
    """Return an imported name as written: ``name`` or ``name as bound``."""
    bound = alias.asname or bound
    return alias.name if bound in (None, alias.name) else f"{alias.name} as {bound}"


def import_lines(module: str, names: list[str], indent: str, multiline: bool) -> list[str]:
    """Write ``from module import names`` in the file's style: one name a line, or one line."""
    if multiline:
        return [
            f"{indent}from {module} import (\n",
            *(f"{indent}    {name},\n" for name in names),
            f"{indent})\n",
        ]
    return [f"{indent}from {module} import {', '.join(names)}\n"]


def rewrite_statement(
    node: ast.ImportFrom, package: str, module_name: str | None, moved_file: bool
) -> dict[str, list[str]] | None:
    """Return the imports that replace ``node`` (module -> names), or None to leave it as it is."""
    module = resolve(node, module_name)
    if module is None:
        return None
    groups: dict[str, list[str]] = {}
    changed = False
    if module == f"{package}.core":
        # from <package>.core import training: the module from its new package, under its old name
        for alias in node.names:
            target = new_module(package, f"{module}.{alias.name}")
            if target is None:
                groups.setdefault(module, []).append(alias_text(alias))
                continue
            home, _, name = target.rpartition(".")
            groups.setdefault(home, []).append(alias_text(ast.alias(name, alias.asname), alias.name))
            changed = True
    else:
        for alias in node.names:
            target = new_module(package, module, alias.name) or module
            changed = changed or target != module
            groups.setdefault(target, []).append(alias_text(alias))
    # A relative import in a file that moved means something else from its new folder: write it absolute.
    if changed or (node.level and moved_file):
        return groups
    return None


def rewrite_imports(text: str, package: str, module_name: str | None, moved_file: bool) -> str:
    """Rewrite the imports of moved modules in a Python file's text."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    lines = text.splitlines(keepends=True)
    replacements: list[tuple[int, int, list[str]]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.end_lineno is None:
            continue
        first, last = node.lineno - 1, node.end_lineno - 1
        indent = lines[first][: node.col_offset]
        comment = lines[last][node.end_col_offset :].strip()
        if indent.strip() or (comment and not comment.startswith("#")):
            continue  # shares a line with another statement: left to rewrite_dotted
        statement = lines[first : last + 1]
        groups = rewrite_statement(node, package, module_name, moved_file)
        module = resolve(node, module_name)
        if groups is not None and not node.level and module and list(groups) == [new_module(package, module)]:
            # Only the module's name changes: changed in place, the statement keeps its comments.
            pattern = rf"(from\s+){re.escape(module)}(\s+import)"
            text_of = re.sub(pattern, rf"\g<1>{next(iter(groups))}\g<2>", "".join(statement), count=1)
            statement = text_of.splitlines(keepends=True)
        elif groups is not None:
            multiline = last > first
            statement = [
                line
                for home, names in groups.items()
                for line in import_lines(home, names, indent, multiline)
            ]
            if comment:  # the comment after the statement goes after its last line
                statement[-1] = f"{statement[-1].rstrip()}  {comment}\n"
        replacements.append((first, last, statement))
    # Each `from ... import` statement is settled above (the name `core.model` in one means the old
    # module or the new package, which only the statement tells): the rest goes through rewrite_dotted.
    parts, start = [], 0
    for first, last, statement in sorted(replacements):
        parts += [rewrite_dotted("".join(lines[start:first]), package), *statement]
        start = last + 1
    return "".join([*parts, rewrite_dotted("".join(lines[start:]), package)])


def rewrite_dotted(text: str, package: str) -> str:
    """Rewrite the dotted names of moved modules: ``import <package>.core.X``, strings, attributes."""
    for old, new in MODULES.items():
        after = submodules(package, old)
        guard = rf"(?!\.(?:{'|'.join(after)})\b)" if after else ""
        pattern = rf"(?<![\w.]){re.escape(package)}\.{re.escape(old)}(?!\w){guard}"
        text = re.sub(pattern, f"{package}.{new}", text)
    return text


def rewrite_paths(text: str) -> str:
    """Rewrite the paths of moved modules and tests that a file mentions."""
    for old, new in MODULES.items():
        old_path, new_path = old.replace(".", "/") + ".py", new.replace(".", "/") + ".py"
        text = re.sub(rf"(?<![\w.-]){re.escape(old_path)}\b", new_path, text)
    for old, new in TESTS.items():
        text = re.sub(rf"(?<![\w.-])tests/{re.escape(old)}\b", f"tests/{new}", text)
    return text


def module_name_of(path: Path, package: str) -> str | None:
    """Return the dotted name of a file under src/ (``__init__`` included), None outside the package.

    A relative import resolves from it: one level up from ``core.x`` or ``core.__init__`` is ``core``.
    """
    parts = path.with_suffix("").parts
    if parts[:2] != ("src", package):
        return None
    return ".".join(parts[1:])


def team_python_files(package: str) -> list[Path]:
    """Return the Python files of the team's own: the ones the old template never generated."""
    generated = {name.format(package=package) for name in OLD_TEMPLATE_FILES}
    return sorted(
        path
        for folder in TEAM_FOLDERS
        if Path(folder).is_dir()
        for path in Path(folder).rglob("*.py")
        if path.as_posix() not in generated and not any(part.startswith(".") for part in path.parts)
    )


def migrate(package: str) -> None:
    """Move the team's files, then rewrite their imports and the paths they mention."""
    moved: dict[Path, Path] = {}
    for old, new in TEAM_MOVES.items():
        old_path, new_path = Path(old.format(package=package)), Path(new.format(package=package))
        if move(old_path, new_path):
            moved[new_path] = old_path
    files = sorted(
        {*moved, *map(Path, TEAM_FILES), *team_python_files(package)}, key=lambda path: path.as_posix()
    )
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = text
        if path.suffix == ".py":
            origin = moved.get(path, path)
            new = rewrite_imports(new, package, module_name_of(origin, package), path in moved)
        new = rewrite_paths(new)
        if path.suffix == ".py":
            new = wrap_lengthened(text, new, line_length())
        if new != text:
            path.write_text(new, encoding="utf-8")
            say(f"rewrote the moved modules' imports and paths in {path}")


def line_length() -> int:
    """Return the project's line length for ruff (pyproject.toml), 100 as generated when unset."""
    pyproject = Path("pyproject.toml")
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    found = re.search(r"^line-length *= *(\d+)", text, re.MULTILINE)
    return int(found.group(1)) if found else 100


def wrap_lengthened(old: str, new: str, limit: int) -> str:
    """Break each comment or docstring line that a longer path pushed over ``limit`` (ruff cannot).

    A line over the limit that was not over it before is cut at its last space within the limit; the
    rest goes on the next line, with the same indentation (and ``# `` in a comment).
    """
    before = set(old.splitlines())
    lines = []
    for line in new.splitlines(keepends=True):
        body = line.rstrip("\n")
        cut = body.rfind(" ", 0, limit + 1)
        indent = body[: len(body) - len(body.lstrip())]
        comment = body.lstrip().startswith("#")
        if len(body) <= limit or body in before or cut <= len(indent) + (2 if comment else 0):
            lines.append(line)
            continue
        rest = indent + ("# " if comment else "") + body[cut + 1 :]
        lines += [body[:cut] + "\n", rest + line[len(body) :]]
    return "".join(lines)


def package_name(answers: Path) -> str | None:
    """Return the package name recorded in the project's answers file (copier writes it plain)."""
    if not answers.is_file():
        return None
    found = re.search(
        r"^package_name: *['\"]?([a-z][a-z0-9_]*)['\"]? *$", answers.read_text(encoding="utf-8"), re.MULTILINE
    )
    return found.group(1) if found else None


def main(arguments: list[str]) -> int:
    """Run the migration in the current folder, the project's root."""
    package = arguments[0] if arguments else package_name(Path(ANSWERS_FILE))
    if len(arguments) > 1 or package is None or not re.fullmatch(r"[a-z][a-z0-9_]*", package):
        sys.stderr.write(
            f"usage: move_to_stage_folders.py [PACKAGE_NAME], in the project's root (where {ANSWERS_FILE} "
            "names the package)\n"
        )
        return 2
    if not Path("src", package).is_dir():
        sys.stderr.write(f"src/{package}/ not found: run this in the project's root\n")
        return 1
    migrate(package)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
