"""JupyterLab from the student kit's venv, as a student starts it, for the browser tests; and the page helpers."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.student_kit import Kit

TOKEN = "a-token-for-the-browser-test"
SECONDS = 60_000  # Playwright's timeouts are in milliseconds


class Lab:
    def __init__(self, url: str, notebook: Path, log: Path):
        self.url, self.notebook, self.log = url, notebook, log

    def open(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={TOKEN}"

    def api(self, method: str, path: str, body=None):
        """A call to the server's REST API with the token, as JupyterLab's front end makes it."""
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            text = reply.read().decode()
        return json.loads(text) if text else None


@contextmanager
def serve(kit: Kit, tmp_path: Path, notebook: Path):
    """JupyterLab from the kit's venv on ``notebook`` (in the student's home/work), until the block ends."""
    home = notebook.parent.parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "jupyterlab.log"
    server = subprocess.Popen(
        [kit.python, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={notebook.parent}",
         "--allow-root"],  # root: the test's user on this machine
        cwd=home, env=kit.env(home), stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
                break
            except OSError:
                assert server.poll() is None, log.read_text()[-3000:]
                time.sleep(0.2)
        yield Lab(url, notebook, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def cell(page, index: int):
    return page.locator(".jp-NotebookPanel .jp-Cell").nth(index)


def output(page, index: int):
    return cell(page, index).locator(".jp-OutputArea-output")
