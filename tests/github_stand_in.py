"""What the stand-ins for GitHub's API share: a JSON request handler, and a server on 127.0.0.1.

The act tests of the generated workflows that talk to GitHub (monitoring.yml's alert issue,
template-update.yml's pull request) point them at a stand-in that answers as GitHub does and records
each request; each test module writes its own routes on :class:`JsonHandler`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that reads and answers JSON."""

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: the tests read the requests, not the log

    def answer(self, status: int, body: Any) -> None:
        """Answer ``status`` with ``body`` as JSON."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> Any:
        """Return the request's JSON body."""
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1; yield its URL; stop it on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
