"""Fast layer: the template's tooling imports the generated projects' tools instead of writing them twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_for
from tools.generated import TOOLS_DIR, generated_tool, waiting


def test_a_tool_is_found_by_the_name_it_renders_to_whatever_its_stage() -> None:
    # then the waiting module is the stage 3 file of template/tools, imported once
    assert Path(waiting.__file__) == TOOLS_DIR / "{% if stage >= 3 %}waiting.py{% endif %}"
    assert generated_tool("waiting.py") is waiting, "a second import should give the same module"


def test_a_tool_that_no_file_renders_to_is_named() -> None:
    with pytest.raises(LookupError, match=r"has 0 files that render to nothing\.py, not one"):
        generated_tool("nothing.py")


def test_waiting_for_a_server_that_stopped_fails_at_once_with_its_output(tmp_path: Path) -> None:
    # given a server that stops at start, its output in a file
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-c", "print('address already in use'); raise SystemExit(1)"], stdout=output
        )
    server.wait()
    url = f"http://127.0.0.1:{free_port()}/ready"

    # when the tests wait for it as long as they wait for a slow start
    with pytest.raises(waiting.WaitError) as raised:
        wait_for(url, 120, server, log)

    # then the error comes at once: what was awaited, the exit code, the output, the last error
    message = str(raised.value)
    assert message.startswith(f"stopped waiting for {url} to answer after 0."), message
    assert "Connection refused" in message, message
    assert "stopped with exit code 1" in message, message
    assert message.endswith("address already in use"), message


def test_waiting_for_nothing_that_answers_says_for_how_long(tmp_path: Path) -> None:
    # given
    url = f"http://127.0.0.1:{free_port()}/ready"

    # when
    with pytest.raises(waiting.WaitError) as raised:
        wait_for(url, 0.2)

    # then
    assert str(raised.value).startswith(f"waited 0.2 s for {url} to answer, in vain; last: "), raised.value
