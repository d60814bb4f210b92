"""Load on a server over real HTTP: wrk when the machine has it, else Python threads, and the
same for the app and its baseline so that the ratio between them holds."""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.web.servers import free_port, serving

WORKERS = 2


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """`app_spec` under gunicorn: the same settings for the app and for its baseline."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    with serving(command, env, port, log) as (base, _):
        yield base


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, headers: dict[str, str], seconds: float, connections: int) -> Load:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    percentile = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_milliseconds(percentile["50"]),
        p99_ms=_milliseconds(percentile["99"]),
        errors=(int(bad.group(1)) if bad else 0)
        + (sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))) if socket_errors else 0),
        tool="wrk",
    )


def threads(
    base: str,
    work: Callable[[http.client.HTTPConnection, int], int],
    seconds: float,
    clients: int,
) -> tuple[Load, int]:
    """`clients` threads, each with its own keep-alive connection, calling `work(connection,
    client)` until time is up. `work` sends one request and returns its status. Returns the
    load and the number of calls."""
    host = urlsplit(base)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    deadline = time.perf_counter() + seconds
    start = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        start.wait()
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                status = work(connection, index)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
                status = 0
            latencies[index].append(time.perf_counter() - sent)
            if status >= 400 or status == 0:
                errors[index] += 1
        connection.close()

    workers = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    every = sorted(value for values in latencies for value in values)
    calls = len(every)
    return (
        Load(
            requests_per_second=calls / elapsed,
            p50_ms=statistics.median(every) * 1000 if every else 0.0,
            p99_ms=every[min(calls - 1, int(calls * 0.99))] * 1000 if every else 0.0,
            errors=sum(errors),
            tool="python threads",
        ),
        calls,
    )


def get_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> Load:
    """GET `url` over and over: with wrk if installed, else with Python threads."""
    if shutil.which("wrk"):
        return wrk(url, headers, seconds, connections)
    path = urlsplit(url).path

    def fetch(connection: http.client.HTTPConnection, _: int) -> int:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status

    base = url[: -len(path)] if path else url
    return threads(base, fetch, seconds, connections)[0]
