"""The logs never keep the secret of an emailed link or a client's full address: the app's
own records (app/logs.py), gunicorn's (deploy/aula.service) and nginx's access log
(deploy/nginx.conf)."""

from __future__ import annotations

import ipaddress
import logging
import re
import shlex

import pytest
from flask import request

from app.logs import REDACTED, REDACTING
from app.services import accounts, cohorts, enrolment
from config import ROOT

DEPLOY = ROOT / "deploy"
SECRET = "s3cret-Link_T0ken"
TOKEN_PATHS = [
    "/en/register/confirm/{}",
    "/en/password/reset/{}",
    "/en/account/email/confirm/{}",
    "/en/invitations/{}",
    "/en/join/{}",
]


def token_paths(app) -> list[str]:
    """A path of every route of the app with a <token>, with SECRET as the token."""
    adapter = app.url_map.bind("course.example.org")
    paths = []
    for rule in app.url_map.iter_rules():
        if "<token>" in rule.rule:
            values = {name: "en" if name == "lang" else "1" for name in rule.arguments}
            paths.append(adapter.build(rule.endpoint, {**values, "token": SECRET}))
    return paths


def test_every_token_route_is_known_here(app):
    assert sorted(token_paths(app)) == sorted(path.format(SECRET) for path in TOKEN_PATHS)


@pytest.mark.parametrize("path", TOKEN_PATHS)
def test_a_failing_link_leaves_neither_its_secret_nor_the_address_in_the_log(
    app, caplog, monkeypatch, path
):
    """Flask logs the path of a request that fails, the app the error with its traceback;
    the error here names the whole address and the client's, as a library's might."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as served: logged, and answered with a 500

    def failing(*args, **kwargs):
        raise RuntimeError(f"could not read {request.url} for {request.remote_addr}")

    # What each link's page asks first, with the secret.
    monkeypatch.setattr(accounts, "usable_link_owner", failing)
    monkeypatch.setattr(enrolment, "invitation", failing)
    monkeypatch.setattr(cohorts, "by_join_code", failing)
    caplog.set_level(logging.INFO)
    client = app.test_client()
    answer = client.get(
        path.format(SECRET) + "?again=1", environ_base={"REMOTE_ADDR": "203.0.113.77"}
    )
    assert answer.status_code == 500
    logged = caplog.text + "".join(record.getMessage() for record in caplog.records)
    assert "could not read" in logged and f"Exception on {path.format(REDACTED)}" in logged
    assert SECRET not in logged
    assert "203.0.113.77" not in logged and "for 203.0.113.0" in logged


def test_gunicorns_and_the_development_servers_logs_are_rewritten_too(app, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("gunicorn.error").warning(
        "Invalid request from ip=2001:db8:abcd:12::7: Invalid HTTP Version"
    )
    try:
        raise ValueError("bad chunk")
    except ValueError:
        logging.getLogger("gunicorn.error").exception(
            "Error handling request %s", f"/pt/password/reset/{SECRET}?x=1"
        )
    logging.getLogger("werkzeug").info(
        '%s - - [06/Dec/2026 10:30:45] "%s" 200 -',
        "198.51.100.23",
        f"GET /es/register/confirm/{SECRET} HTTP/1.1",
    )
    assert [record.getMessage() for record in caplog.records] == [
        "Invalid request from ip=2001:db8:abcd::: Invalid HTTP Version",
        f"Error handling request /pt/password/reset/{REDACTED}?x=1",
        f'198.51.100.0 - - [06/Dec/2026 10:30:45] "GET /es/register/confirm/{REDACTED} '
        'HTTP/1.1" 200 -',
    ]
    assert "bad chunk" in caplog.text


@pytest.mark.parametrize(
    "text",
    [
        "at 10:30:45, version 1.2.3.4.5, 3.11.2",
        "Listening at: http://127.0.0.1:8000 and [::1]:8000",
        "Class::method, ::: and 12:34",
    ],
)
def test_what_is_not_a_clients_address_is_left_as_it_is(text):
    assert REDACTING.redact(text) == text


def test_gunicorn_writes_no_access_log():
    """nginx logs requests: gunicorn's format could neither shorten an address nor leave
    out a link's secret."""
    unit = (DEPLOY / "aula.service").read_text(encoding="utf-8")
    start = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    arguments = shlex.split(start.group(1))
    assert not [word for word in arguments if word.startswith("--access-log")]
    assert "--log-config" not in arguments and "--log-config-dict" not in arguments


# nginx's configuration, read as far as these tests need.
QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
ENTRY = re.compile(rf"^\s*({QUOTED}|\S+)\s+({QUOTED}|\S+)\s*;\s*$")


def _unquoted(word: str) -> str:
    if word[:1] in "\"'" and word[-1:] == word[:1]:
        return re.sub(r"\\([\"'\\])", r"\1", word[1:-1])
    return word


def nginx_config() -> str:
    return (DEPLOY / "nginx.conf").read_text(encoding="utf-8")


def nginx_map(config: str, source: str) -> tuple[str, list[tuple[str, str]]]:
    """The variable that `map <source> <variable> { … }` sets, and its entries in order."""
    lines = iter(config.splitlines())
    for line in lines:
        header = re.match(rf"^\s*map\s+{re.escape(source)}\s+(\$\w+)\s*\{{\s*$", line)
        if header:
            break
    else:
        raise AssertionError(f"nginx.conf has no map of {source}")
    entries = []
    for line in lines:
        if line.strip() == "}":
            return header.group(1), entries
        if not line.strip() or line.strip().startswith("#"):
            continue
        entry = ENTRY.match(line)
        assert entry, f"not read: {line!r}"
        entries.append((_unquoted(entry.group(1)), _unquoted(entry.group(2))))
    raise AssertionError(f"the map of {source} does not end")


def mapped(entries: list[tuple[str, str]], value: str, source: str) -> str:
    """What nginx sets the map's variable to for `value`: the first regex that matches,
    else the default. Python's `re` reads these regexes as PCRE does."""
    default = None
    for key, result in entries:
        if key == "default":
            default = result
            continue
        assert key.startswith("~"), f"only regexes here: {key}"
        flags = re.IGNORECASE if key.startswith("~*") else 0
        found = re.search(key.lstrip("~*"), value, flags)
        if found:
            named = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: rf"\g<{m[1] or m[2]}>", result)
            return found.expand(named)
    assert default is not None
    return value if default == source else default


def log_format() -> tuple[str, str]:
    """The access log's format: its name (the one every server's access_log uses) and its
    text."""
    config = nginx_config()
    used = set(re.findall(r"^\s*access_log\s+\S+\s+(\w+)\s*;", config, re.MULTILINE))
    servers = len(re.findall(r"^server\s*\{", config, re.MULTILINE))
    logged = len(re.findall(r"^\s*access_log\s", config, re.MULTILINE))
    assert len(used) == 1 and logged == servers, "every server logs in the one format"
    name = used.pop()
    found = re.search(rf"^log_format\s+{name}\s+((?:'[^']*'\s*)+);", config, re.MULTILINE)
    assert found, f"no log_format {name}"
    return name, "".join(re.findall(r"'([^']*)'", found.group(1)))


def test_nginx_logs_the_network_and_the_path_without_its_secret_or_query():
    _name, text = log_format()
    config = nginx_config()
    network, _entries = nginx_map(config, "$remote_addr")
    path, _entries = nginx_map(config, "$uri")
    logged = set(re.findall(r"\$\w+", text))
    assert {network, path} <= logged
    # The full address, the request line with its query, the query, or the Referer, which
    # the app's pages send with their own address (Referrer-Policy: same-origin).
    for whole in ("$remote_addr", "$request", "$request_uri", "$uri", "$args", "$query_string"):
        assert whole not in logged, whole
    assert not {word for word in logged if word.startswith(("$arg_", "$http_referer"))}


@pytest.mark.parametrize(
    "address",
    [
        "203.0.113.77",
        "10.1.2.3",
        "2001:db8:abcd:12:34:56:78:9a",
        "2001:db8:abcd::1",
        "2001:db8:0:12::1",
        "2001:db8::1",
        "2001::1",
        "fe80::1",
        "::1",
        "::ffff:203.0.113.77",
        "64:ff9b::203.0.113.77",
    ],
)
def test_nginx_shortens_an_address_as_the_app_does(address):
    _variable, entries = nginx_map(nginx_config(), "$remote_addr")
    logged = mapped(entries, address, "$remote_addr")
    assert ipaddress.ip_address(logged) == ipaddress.ip_address(accounts.shortened_address(address))


def test_nginx_leaves_out_the_secret_of_every_emailed_link(app):
    _variable, entries = nginx_map(nginx_config(), "$uri")
    for path in token_paths(app):
        logged = mapped(entries, path, "$uri")
        assert SECRET not in logged and logged == path.replace(SECRET, REDACTED), path
    for path in (
        "/en/courses/co-production/lessons/first",
        "/en/password/reset",
        "/en/account/email",
    ):
        assert mapped(entries, path, "$uri") == path
