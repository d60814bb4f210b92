"""Load on a server over real HTTP: wrk when the machine has it, else Python threads, and the
same for the app and its baseline so that the ratio between them holds."""

from __future__ import annotations

import dataclasses
import http.client
import json
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
    # Responses served from the app's kept pages (those with an Age header), when counted.
    kept: int | None = None
    responses: int = 0

    @property
    def kept_share(self) -> str:
        if self.kept is None or not self.responses:
            return "not counted"
        return f"{self.kept / self.responses:.0%} kept ({self.kept:,} of {self.responses:,})"


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


WRK_THREADS = 2
# Each request takes the next cookie of the list, the threads interleaved, so that every
# learner's cookie comes round in turn; responses with an Age header (served from the app's
# kept pages, RFC 9111) are counted when `count_kept` is on.
ROTATING_COOKIES = """
local cookies = %(cookies)s
local threads = {}
next_cookie = 0
kept, responses = 0, 0
function setup(thread)
  thread:set("next_cookie", #threads)
  table.insert(threads, thread)
end
function request()
  local cookie = cookies[next_cookie %% #cookies + 1]
  next_cookie = next_cookie + %(threads)d
  return wrk.format(nil, nil, {["Cookie"] = cookie})
end
%(count)s
function done(summary, latency, requests)
  local all_kept, all_responses = 0, 0
  for _, thread in ipairs(threads) do
    all_kept = all_kept + (thread:get("kept") or 0)
    all_responses = all_responses + (thread:get("responses") or 0)
  end
  io.write(string.format("Kept responses: %%d of %%d\\n", all_kept, all_responses))
end
"""
COUNT_KEPT = """
function response(status, headers, body)
  responses = responses + 1
  if headers["Age"] ~= nil or headers["age"] ~= nil then kept = kept + 1 end
end
"""


def rotating_cookies_script(path: Path, cookies: list[str], count_kept: bool = True) -> Path:
    """A wrk script sending `cookies` in turn, one a request (see ROTATING_COOKIES)."""
    listed = "{" + ", ".join(json.dumps(cookie) for cookie in cookies) + "}"
    path.write_text(
        ROTATING_COOKIES
        % {"cookies": listed, "threads": WRK_THREADS, "count": COUNT_KEPT if count_kept else ""},
        encoding="utf-8",
    )
    return path


def wrk(
    url: str,
    headers: dict[str, str],
    seconds: float,
    connections: int,
    script: Path | None = None,
) -> Load:
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    counted = re.search(r"Kept responses: (\d+) of (\d+)", output)
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
        kept=int(counted.group(1)) if counted and int(counted.group(2)) else None,
        responses=int(counted.group(2)) if counted else 0,
    )


def _clients(
    base: str,
    work: Callable[[http.client.HTTPConnection, int], int],
    clients: int,
    next_job: Callable[[int], int | None],
) -> tuple[list[float], int, float]:
    """`clients` threads, each with its own keep-alive connection, calling `work(connection,
    job)` for each job `next_job(client)` gives until it gives None. `work` sends one request
    and returns its status; 400 or more, or a broken connection, is an error. Returns the
    latencies in order, the errors and the seconds taken."""
    host = urlsplit(base)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        start.wait()
        while (job := next_job(index)) is not None:
            sent = time.perf_counter()
            try:
                status = work(connection, job)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
                status = 0
            with lock:
                latencies.append(time.perf_counter() - sent)
                if status >= 400 or status == 0:
                    errors[0] += 1
        connection.close()

    workers = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return sorted(latencies), errors[0], time.perf_counter() - began


def _threads_load(latencies: list[float], errors: int, elapsed: float) -> Load:
    calls = len(latencies)
    return Load(
        requests_per_second=calls / elapsed,
        p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
        p99_ms=latencies[min(calls - 1, int(calls * 0.99))] * 1000 if latencies else 0.0,
        errors=errors,
        tool="python threads",
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
    deadline = time.perf_counter() + seconds
    latencies, errors, elapsed = _clients(
        base, work, clients, lambda index: index if time.perf_counter() < deadline else None
    )
    return _threads_load(latencies, errors, elapsed), len(latencies)


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


def each_once(
    base: str,
    work: Callable[[http.client.HTTPConnection, int], int],
    jobs: int,
    clients: int,
) -> tuple[Load, float]:
    """`work(connection, job)` for every job in 0..jobs-1, once each, shared among `clients`
    threads with a keep-alive connection each. Returns the load and the seconds taken;
    a status of 400 or more counts as an error."""
    remaining = iter(range(jobs))
    lock = threading.Lock()

    def next_job(_client: int) -> int | None:
        with lock:
            return next(remaining, None)

    latencies, errors, elapsed = _clients(base, work, clients, next_job)
    return _threads_load(latencies, errors, elapsed), elapsed


def rotating_load(
    url: str,
    cookies: list[str],
    seconds: float,
    connections: int,
    script: Path,
    count_kept: bool = True,
) -> Load:
    """GET `url` over and over, each request with the next of `cookies`, counting the
    responses served from kept pages: with wrk and a script if installed, else with
    Python threads."""
    if shutil.which("wrk"):
        return wrk(
            url, {}, seconds, connections, rotating_cookies_script(script, cookies, count_kept)
        )
    path = urlsplit(url).path
    turns = [0] * connections
    kept = [0] * connections

    def fetch(connection: http.client.HTTPConnection, client: int) -> int:
        cookie = cookies[(turns[client] * connections + client) % len(cookies)]
        turns[client] += 1
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        kept[client] += response.getheader("Age") is not None
        return response.status

    load, calls = threads(url[: -len(path)], fetch, seconds, connections)
    if not count_kept or not calls:
        return load
    return dataclasses.replace(load, kept=sum(kept), responses=calls)
