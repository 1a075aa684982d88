"""The generated projects' own tools, imported from template/tools/ by the template's tests and benchmarks.

Where the template's tooling needs what a generated project's tool already does (waiting until a server
answers), it imports that tool from the template instead of writing it a second time. A tool's file name
may hold its stage's condition (`{% if stage >= 3 %}waiting.py{% endif %}`): the template's tooling needs
it whatever a render's stage, so it is found by the name it renders to.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

TOOLS_DIR = Path(__file__).resolve().parents[1] / "template" / "tools"
CONDITION = re.compile(r"\{% if [^%]*? %\}(?P<name>[^{]*)\{% endif %\}")


def generated_tool(name: str) -> ModuleType:
    """Return the generated project's tool ``name`` (``"waiting.py"``), imported from template/tools/."""
    paths = [path for path in TOOLS_DIR.iterdir() if CONDITION.sub(r"\g<name>", path.name) == name]
    if len(paths) != 1:
        raise LookupError(f"{TOOLS_DIR} has {len(paths)} files that render to {name}, not one")
    module_name = f"generated_tools.{Path(name).stem}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    # The loader is named: a file name that ends in `{% endif %}` is not recognized as Python.
    loader = importlib.machinery.SourceFileLoader(module_name, str(paths[0]))
    spec = importlib.util.spec_from_file_location(module_name, paths[0], loader=loader)
    if spec is None:
        raise LookupError(f"{paths[0]} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # before it runs, as for any import (dataclasses look it up)
    loader.exec_module(module)
    return module


# Waiting until a server answers, or until a check passes, with errors that say what, how long and why.
waiting = generated_tool("waiting.py")
