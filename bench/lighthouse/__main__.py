"""Lighthouse on Aula's main pages, each in the light and the dark colour scheme, and the
weight and layout shift of their first view: `python -m bench.lighthouse`.

A fresh server (gunicorn, a temporary SQLite database, the shipped courses) with a learner
who has passed lesson 1's quiz and started lesson 2, and an admin. Lighthouse runs from
the npm package pinned beside this file (`npm ci --prefix bench/lighthouse`) on the
machine's Chromium, with its default mobile emulation. The results go to docs/lighthouse.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from app.content import load_course
from bench.load import gunicorn
from config import ROOT
from tests.conftest import (
    ATTEMPT_FIELD,
    CSRF_FIELD,
    LESSONS_DIR,
    NOTICE_VERSION_FIELD,
    right_answers,
)
from tests.web.servers import app_environment, create_account

HERE = Path(__file__).parent
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "docs" / "lighthouse.md"
CATEGORIES = {
    "performance": "Performance",
    "accessibility": "Accessibility",
    "best-practices": "Best Practices",
    "seo": "SEO",
}
# Blink's own preference, which `prefers-color-scheme` follows (0 is dark, 1 light).
SCHEMES = {"light": 1, "dark": 0}
# Without these, Chromium keeps trying to reach Google's services.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LANG = "en"
PASSWORD = "a long passphrase to measure pages with"
COURSE = load_course(LESSONS_DIR / "co-production")
LESSON_1, LESSON_2 = COURSE.published_lessons[:2]
# The targets (README, "Measuring pages with Lighthouse").
FIRST_VIEW_KB = 60
LAYOUT_SHIFT = 0.02
MINIMUM_SCORES = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}


def lesson_path(lesson) -> str:
    return f"/{LANG}/courses/{COURSE.slug}/lessons/{lesson.slug}"


@dataclass(frozen=True)
class Measured:
    """One page in one scheme: who sees it, and what Lighthouse found."""

    name: str
    path: str
    who: str | None  # None for a visitor, who is not signed in
    public: bool = True


PAGES = [
    Measured("Course page", f"/{LANG}/courses/{COURSE.slug}/", None),
    Measured("Lesson 1", lesson_path(LESSON_1), None),
    Measured("Lesson 2", lesson_path(LESSON_2), None),
    Measured("Sign in", f"/{LANG}/login", None),
    Measured("Lesson 2 with its quiz (learner)", lesson_path(LESSON_2), "learner", False),
    Measured("Quiz result, lesson 1 (learner)", lesson_path(LESSON_1), "learner", False),
    Measured("My data (learner)", f"/{LANG}/account/data", "learner", False),
    Measured("Admin dashboard", f"/{LANG}/admin/", "admin", False),
]


class Client:
    """One person's browser, as far as the server can tell: an HTTP client with cookies."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def submit(self, page: str, action: str, data: list[tuple[str, str]]) -> str:
        """Post `data` to `action` with the hidden fields of the form on `page`."""
        html = self.get(page)
        hidden = [("csrf_token", CSRF_FIELD.search(html).group(1))]
        for name, pattern in (("attempt", ATTEMPT_FIELD), ("version", NOTICE_VERSION_FIELD)):
            if found := pattern.search(html):
                hidden.append((name, found.group(1)))
        body = urllib.parse.urlencode([*hidden, *data]).encode()
        with self.opener.open(self.base + action, data=body, timeout=30) as response:
            return response.read().decode()

    def sign_in(self, email: str) -> None:
        login = f"/{LANG}/login"
        page = self.submit(login, login, [("email", email), ("password", PASSWORD)])
        assert 'class="who"' in page, f"{email} could not sign in"

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


@contextmanager
def site(work: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The server's address, and the Cookie header of each signed-in person."""
    env = app_environment(work / "instance", RATELIMIT_ENABLED="0")
    emails = {"learner": "learner@example.org", "admin": "admin@example.org"}
    for role, email in emails.items():
        create_account(env, email, role, PASSWORD)
    with gunicorn("app:create_app()", env, work / "server.log") as base:
        clients = {role: Client(base) for role in emails}
        for role, client in clients.items():
            client.sign_in(emails[role])
        learner = clients["learner"]
        path = lesson_path(LESSON_1)
        learner.submit(path, f"{path}/acknowledge", [])
        # Lesson 2's notice says the same as lesson 1's: opening it takes it as read.
        assert "notice-same" in learner.get(lesson_path(LESSON_2)), "lesson 2 asks again"
        result = learner.submit(path, f"{path}/quiz", right_answers(LESSON_1.quiz))
        assert "You completed this lesson" in result, "the learner did not pass lesson 1"
        yield base, {role: client.cookie_header() for role, client in clients.items()}


def chromium() -> str:
    found = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    if not found:
        sys.exit("Lighthouse needs Chromium: apt-get install -y chromium, or set CHROME_PATH")
    return found


def run_lighthouse(url: str, scheme: str, cookie: str | None, report: Path) -> dict:
    flags = [*CHROMIUM_FLAGS, f"--blink-settings=preferredColorScheme={SCHEMES[scheme]}"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium's sandbox refuses to start as root
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        "--only-categories=" + ",".join(CATEGORIES),
        "--chrome-flags=" + " ".join(flags),
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, env={**os.environ, "CHROME_PATH": chromium()}, check=True)
    return json.loads(report.read_text(encoding="utf-8"))


# The mean channel value of a picture, 0 (black) to 255 (white).
LIGHTNESS = """async (source) => {
    const picture = new Image();
    picture.src = source;
    await picture.decode();
    const canvas = document.createElement('canvas');
    canvas.width = picture.naturalWidth;
    canvas.height = picture.naturalHeight;
    const drawing = canvas.getContext('2d');
    drawing.drawImage(picture, 0, 0);
    const pixels = drawing.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) sum += pixels[i] + pixels[i + 1] + pixels[i + 2];
    return sum / (pixels.length / 4) / 3;
}"""


def shown_lightness(report: dict, decoder: Page) -> float:
    """How light the page Lighthouse measured looked, from its final screenshot."""
    return decoder.evaluate(LIGHTNESS, report["audits"]["final-screenshot"]["details"]["data"])


@dataclass(frozen=True)
class Result:
    page: Measured
    scheme: str
    scores: dict[str, int]
    layout_shift: float
    first_view_kb: float
    short_of_full_marks: list[str]

    def misses(self) -> list[str]:
        """The targets this page misses."""
        missed = [
            f"{CATEGORIES[category]} {score}"
            for category, score in self.scores.items()
            if score < MINIMUM_SCORES[category] and (category != "seo" or self.page.public)
        ]
        if self.layout_shift >= LAYOUT_SHIFT:
            missed.append(f"CLS {self.layout_shift:.3f}")
        if self.first_view_kb > FIRST_VIEW_KB:
            missed.append(f"{self.first_view_kb:.1f} KB")
        return missed


def first_view_kb(report: dict) -> float:
    """What the first view transfers, images left out."""
    requests = report["audits"]["network-requests"]["details"]["items"]
    return (
        sum(
            request.get("transferSize", 0)
            for request in requests
            if request.get("resourceType") != "Image"
            and not request.get("mimeType", "").startswith("image/")
        )
        / 1024
    )


def short_of_full_marks(report: dict) -> list[str]:
    """The scored audits of the four categories that did not pass, by title."""
    audits = report["audits"]
    return sorted(
        {
            audits[ref["id"]]["title"]
            for category in report["categories"].values()
            for ref in category["auditRefs"]
            if ref["weight"] > 0
            and audits[ref["id"]]["score"] is not None
            and audits[ref["id"]]["score"] < 1
        }
    )


def measure(page: Measured, scheme: str, base: str, cookie: str | None, work: Path, decoder: Page):
    report = run_lighthouse(base + page.path, scheme, cookie, work / "report.json")
    assert report["finalDisplayedUrl"] == base + page.path, (
        f"{page.name}: Lighthouse was sent on to {report['finalDisplayedUrl']}"
    )
    lightness = shown_lightness(report, decoder)
    assert (lightness < 100) == (scheme == "dark"), (
        f"{page.name} did not look {scheme} to Lighthouse (lightness {lightness:.0f} of 255)"
    )
    result = Result(
        page=page,
        scheme=scheme,
        scores={
            category: round(report["categories"][category]["score"] * 100)
            for category in CATEGORIES
        },
        layout_shift=report["audits"]["cumulative-layout-shift"]["numericValue"],
        first_view_kb=first_view_kb(report),
        short_of_full_marks=short_of_full_marks(report),
    )
    return result, report


def markdown(results: list[Result], lighthouse: str, browser: str) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = ["page", "scheme", *CATEGORIES.values(), "CLS", "KB"]
    lines = [
        "# Lighthouse on the main pages",
        "",
        f'Measured on {when} by `python -m bench.lighthouse` (README, "Measuring pages with '
        f'Lighthouse"): Lighthouse {lighthouse}, mobile emulation, on {browser}.',
        "",
        f"Targets: Accessibility and Best Practices 100, Performance ≥ "
        f"{MINIMUM_SCORES['performance']}, SEO 100 on the public pages; the first view "
        f"(KB: every request but pictures, as transferred) ≤ {FIRST_VIEW_KB} KB, "
        f"Cumulative Layout Shift (CLS) < {LAYOUT_SHIFT}. Signed-in pages tell search "
        "engines not to index them, which Lighthouse counts against their SEO score: that "
        "is intended.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
    ]
    for result in results:
        cells = [
            result.page.name,
            result.scheme,
            *(str(result.scores[category]) for category in CATEGORIES),
            f"{result.layout_shift:.3f}",
            f"{result.first_view_kb:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    missed = [
        f"- {result.page.name}, {result.scheme}: {', '.join(result.misses())}"
        + (f" ({'; '.join(result.short_of_full_marks)})" if result.short_of_full_marks else "")
        for result in results
        if result.misses()
    ]
    lines += ["", "## Targets missed", ""] + (missed or ["None."])
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__)
    parser.add_argument("--output", type=Path, default=RESULTS, help="the Markdown to write")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(f"Lighthouse is not installed: npm ci --prefix {HERE.relative_to(ROOT)}")
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="aula-lighthouse-") as folder,
        site(Path(folder)) as (base, cookies),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=chromium())
        decoder = browser.new_page()
        for page in PAGES:
            for scheme in SCHEMES:
                cookie = cookies[page.who] if page.who else None
                result, report = measure(page, scheme, base, cookie, Path(folder), decoder)
                results.append(result)
                print(f"{page.name}, {scheme}: {result.scores}", file=sys.stderr)
        browser.close()
    browser_version = subprocess.run(
        [chromium(), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    args.output.write_text(
        markdown(results, report["lighthouseVersion"], browser_version), encoding="utf-8"
    )
    print(f"Written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
