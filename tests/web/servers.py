"""Running the real server in a subprocess for tests that talk HTTP to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config import ROOT

# The app's own settings, which a server started by a test must not take from the shell.
APP_SETTINGS = {"DATABASE_URL", "SECRET_KEY", "APP_ENV", "AUTO_MIGRATE", "LESSONS_DIR"}


def app_environment(instance: Path, **settings: str) -> dict[str, str]:
    """The environment for the app in a child process: the test's own, without the app's
    settings, with its instance folder and `settings`."""
    env = {key: value for key, value in os.environ.items() if key not in APP_SETTINGS}
    env.update(INSTANCE_PATH=str(instance), **settings)
    return env


def create_account(env: dict[str, str], email: str, role: str, password: str) -> None:
    """An account made as an operator would, with `flask users create`, named after its
    role."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "users", "create", email]
        + ["--role", role, "--name", role.title(), "--password-stdin"],
        cwd=ROOT,
        env=env,
        input=password + "\n",
        text=True,
        check=True,
        capture_output=True,
    )


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
