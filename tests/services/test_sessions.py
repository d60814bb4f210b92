"""A browser signed in is named as its owner knows it, and nothing more is kept of it."""

from __future__ import annotations

import pytest

from app.services.sessions import describe_device

CHROME = "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0"


@pytest.mark.parametrize(
    ("user_agent", "named"),
    [
        (f"Mozilla/5.0 (Linux; Android 14) {CHROME} Mobile Safari/537.36", "Chrome · Android"),
        (
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {CHROME} Safari/537.36 Edg/131.0.0.0",
            "Edge · Windows",
        ),
        (f"Mozilla/5.0 (X11; Linux x86_64) {CHROME} Safari/537.36 OPR/115.0.0.0", "Opera · Linux"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 Safari/537.36",
            "Chrome · Linux",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari · iPhone",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
            " Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
            "Firefox · iPad",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox · macOS",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) " + CHROME + " Safari/537.36",
            "Chrome · ChromeOS",
        ),
        ("curl/8.5.0", None),
        ("", None),
        (None, None),
    ],
)
def test_a_browser_is_named_by_its_product_and_system(user_agent, named):
    assert describe_device(user_agent) == named
