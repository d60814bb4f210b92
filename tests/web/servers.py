"""Running the real server in a subprocess for tests that talk HTTP to it."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    command: list[str], env: dict[str, str], port: int, log_path: Path
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start `command` from the repository root, wait until /healthz answers 200, yield its
    base URL and process, and stop it afterwards (its output goes to `log_path`)."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:  # refused, reset or timed out while the server boots
                    if process.poll() is not None or time.monotonic() > deadline:
                        output = log_path.read_text(errors="replace")
                        raise AssertionError(f"server did not start:\n{output}") from None
                    time.sleep(0.2)
            yield base, process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
