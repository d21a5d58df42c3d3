"""A real ``wtui serve`` process for the end-to-end tests: started, killed and restarted by them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``wtui serve`` as a child process, started and killed by the test."""

    def __init__(self, book: Path, config: Path, home: Path) -> None:
        self.book, self.config, self.home = book, config, home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "HOME": str(self.home), "PYTHONPATH": str(Path(__file__).parents[2])}
        self.log = open(self.book.with_suffix(".log"), "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "wtui", "--config", str(self.config), "--db",
                                      str(self.book), "serve", "--port", str(self.port)], env=env,
                                     stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("wtui serve did not start: " + self.book.with_suffix(".log").read_text())

    def requests(self, path: str) -> int:
        """How many requests to ``path`` the access log shows (one JSON line each, after the answer)."""
        return self.book.with_suffix(".log").read_text("utf-8", "replace").count(f'"path": "{path}"')

    def kill_after(self, path: str, seen: int) -> None:
        """SIGKILL once the log shows one more answered request to ``path``: the client is between two."""
        deadline = time.monotonic() + 30
        while self.requests(path) <= seen and time.monotonic() < deadline:
            time.sleep(0.005)
        self.kill()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.log.close()


def _started(book: Path, tmp_path: Path, settings: str = "") -> Server:
    """``wtui serve`` on ``book``, with no rate limit to speak of and ``settings`` added to [server]."""
    config = tmp_path / "server.toml"
    config.write_text("[server]\nrequests_per_minute = 100000\n" + settings)
    s = Server(book, config, tmp_path)
    s.start()
    return s
