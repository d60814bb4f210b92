"""A real Learning Record Store for the tests: Ralph (openfun's LRS), run from a virtual
environment of its own.

Ralph 5.1.0 pins click below 8.3, which the project's mutmut needs at 8.4 or later: it
cannot share the project's environment, so the first run makes one for it in pytest's cache
folder (kept between runs, made once whatever the number of pytest-xdist workers) and
installs it there with pip, from wherever pip is set to find packages.

It is started without `ralph runserver`, which runs uvicorn with reloading (a watcher and
a child process: a test that stops the store would have to find both), and with its file
system backend appending: that backend's default creates its one file and refuses every
later write ("already exists and overwrite is not allowed"), so an LRS of it stores only
its first request."""

from __future__ import annotations

import fcntl
import json
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.web.servers import free_port

RALPH = "ralph-malph[cli,lrs]==5.1.0"
# Ralph imports it for its OpenID Connect authentication but does not require it.
RALPH_MISSING_REQUIREMENTS = ["requests"]
USERNAME = "aula"
PASSWORD = "aula-test-lrs-password"

LAUNCHER = """
import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def ralph_python(cache: Path) -> Path:
    """The Python of Ralph's own environment in `cache`, made the first time."""
    folder = cache / "ralph-5.1.0"
    python = folder / "bin" / "python"
    ready = folder / "ready"
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "ralph.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", RALPH, *RALPH_MISSING_REQUIREMENTS],
                check=True,
                capture_output=True,
            )
            ready.touch()
    return python


VALIDATOR = """
import json
import sys

from ralph.models.xapi.base.statements import BaseXapiStatement

for line in sys.stdin:
    BaseXapiStatement.model_validate(json.loads(line))
"""


@dataclass
class LearningRecordStore:
    """A Ralph server in a folder of its own, which a test can stop and start again on the
    same port, keeping what it stored."""

    python: Path
    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI/"

    @property
    def settings(self) -> dict[str, str]:
        """The app's configuration for sending to this store."""
        return {
            "XAPI_ENDPOINT": self.endpoint,
            "XAPI_USERNAME": USERNAME,
            "XAPI_PASSWORD": PASSWORD,
            "XAPI_LRS_NAME": "Ralph, the test LRS",
        }

    def environment(self) -> dict[str, str]:
        return {
            "PATH": str(self.python.parent),
            "HOME": str(self.folder),
            "RALPH_APP_DIR": str(self.folder / "app"),
            "RALPH_AUTH_FILE": str(self.folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.folder / "statements"),
        }

    def add_user(self) -> None:
        """The account the app sends with, allowed to write and read every statement."""
        subprocess.run(
            [str(self.python), "-m", "ralph", "auth", "-u", USERNAME, "-p", PASSWORD]
            + ["-s", "all", "-A", USERNAME, "https://lrs.example.org/", "-w"],
            env=self.environment(),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        with (self.folder / "ralph.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.python), "-c", LAUNCHER, str(self.port)],
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=2
                ):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    output = (self.folder / "ralph.log").read_text(errors="replace")
                    raise AssertionError(f"Ralph did not start:\n{output}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop it at once, as a crashed or unplugged server would."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def check(self, statements: list[dict[str, Any]]) -> str:
        """Ralph's strict xAPI model's objections to any of `statements` (its store takes
        them through a lax one); empty when it has none."""
        found = subprocess.run(
            [str(self.python), "-c", VALIDATOR],
            input="".join(json.dumps(statement) + "\n" for statement in statements),
            env=self.environment(),
            capture_output=True,
            text=True,
        )
        return found.stderr if found.returncode else ""

    def statements(self, **query: Any) -> list[dict[str, Any]]:
        """The statements it stored that match the GET /statements query (an `agent` given
        as a dict), all pages of them."""
        parameters = {
            key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in query.items()
        }
        url = f"{self.endpoint}statements?{urllib.parse.urlencode(parameters)}"
        found: list[dict[str, Any]] = []
        while url:
            data = self._get(url)
            found.extend(data.get("statements", [data] if "id" in data else []))
            more = data.get("more")
            url = f"http://127.0.0.1:{self.port}{more}" if more else ""
        return found

    def _get(self, url: str) -> dict[str, Any]:
        credentials = b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        request = urllib.request.Request(
            url,
            headers={
                "Authorization": f"Basic {credentials}",
                "X-Experience-API-Version": "1.0.3",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


@contextmanager
def running_store(cache: Path, folder: Path) -> Iterator[LearningRecordStore]:
    store = LearningRecordStore(ralph_python(cache), folder, free_port())
    store.add_user()
    store.start()
    try:
        yield store
    finally:
        store.stop()
