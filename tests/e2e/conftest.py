"""The real server on a free port, a temporary database and lessons folder, and Debian's
Chromium driven by Playwright. Every page a journey opens is checked in both widths: its
`lang`, no sideways scrolling, and axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from babel.support import NullTranslations, Translations
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from app.content import load_course
from config import ROOT
from tests.conftest import LESSONS_DIR, latest_link, report
from tests.web.servers import app_environment, create_account, free_port, serving

LANGUAGES = ("es", "pt", "en")
PASSWORD = "correct horse battery"
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
# Without these, Chromium keeps trying to reach Google's services, which this kind of
# machine (and many CI runners) refuse.
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable() -> str:
    """Debian's Chromium (or CHROMIUM_PATH): Playwright's own browser download is not used."""
    named = os.environ.get("CHROMIUM_PATH")
    found = named or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).exists():
        pytest.fail(
            "the end-to-end tests need Chromium: `apt-get install -y chromium` "
            "(.ci/run does this), or set CHROMIUM_PATH to a Chromium or Chrome binary",
            pytrace=False,
        )
    return found


@dataclass
class Site:
    """The running server and what the tests need to know about it."""

    base: str
    instance: Path
    lessons: Path
    staff: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path

    def emailed_link(self, address: str, marker: str) -> str:
        link = latest_link(self.instance, address, marker)
        assert link, f"no email to {address} with a {marker} link"
        return self.url(link)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    """`flask run` on a copy of the shipped lessons (trainers change it), with an admin
    and a trainer created by `flask users create` as a deployer would."""
    root = tmp_path_factory.mktemp("e2e-site")
    lessons = root / "lessons"
    shutil.copytree(LESSONS_DIR, lessons)
    instance = root / "instance"
    # Every journey signs up and in from 127.0.0.1; the limits have tests of their own.
    env = app_environment(instance, LESSONS_DIR=str(lessons), RATELIMIT_ENABLED="0")
    staff = {"admin": "admin@example.org", "trainer": "trainer@example.org"}
    # A learner whose address is wider than a phone: the users list must still fit one.
    accounts = {**staff, "learner": "maria.da.conceicao.figueiredo.de.albuquerque@example.org"}
    for role, email in accounts.items():
        create_account(env, email, role, PASSWORD)
    port = free_port()
    command = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)]
    with serving(command, env, port, root / "server.log") as (base, _):
        yield Site(base=base, instance=instance, lessons=lessons, staff=staff)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    executable = chromium_executable()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the tests save their screenshots: SCREENSHOTS_DIR, or a temporary folder."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def translations(lang: str) -> NullTranslations:
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(ROOT / "translations"), [lang])


class Visit:
    """A browser tab in one interface language, which checks every page it is shown."""

    def __init__(self, page: Page, lang: str, site: Site, screenshots: Path) -> None:
        self.page = page
        self.lang = lang
        self.site = site
        self.screenshots = screenshots
        self.checked: list[str] = []
        self._messages = translations(lang)

    def _(self, message: str, **values) -> str:
        """What the interface says for `message` in this visit's language."""
        text = self._messages.gettext(message)
        return text % values if values else text

    def n_(self, singular: str, plural: str, num: int) -> str:
        return self._messages.ngettext(singular, plural, num) % {"num": num}

    def speak(self, lang: str) -> None:
        """Go on in another interface language."""
        self.lang = lang
        self._messages = translations(lang)

    def open(self, path: str) -> None:
        self.page.goto(self.site.url(path))
        self.check()

    def check(self) -> None:
        """The page's language, and in each width no sideways scrolling and no WCAG 2.1
        A/AA violation found by axe-core."""
        page = self.page
        page.wait_for_load_state()
        where = page.url.removeprefix(self.site.base)
        assert page.evaluate("document.documentElement.lang") == self.lang, where
        for width in self.each_width():
            overflowing = page.evaluate(OVERFLOWING)
            assert not overflowing, f"{where} scrolls sideways at {width} width: {overflowing}"
            violations = run_axe(page)
            assert not violations, f"{where} at {width} width:\n" + json.dumps(
                violations, indent=1, ensure_ascii=False
            )
        self.checked.append(where)

    def shoot(self, name: str, anchor: str | None = None) -> None:
        """Save a screenshot of the viewport in each width, scrolled to `anchor` if given."""
        page = self.page
        for width in self.each_width():
            if anchor:
                page.locator(anchor).scroll_into_view_if_needed()
            else:
                page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=self.screenshots / f"{name}-{self.lang}-{width}.png")

    def each_width(self) -> Iterator[str]:
        """The tab at each of WIDTHS in turn, then back at the size it had."""
        original = self.page.viewport_size
        try:
            for width, size in WIDTHS.items():
                self.page.set_viewport_size(size)
                yield width
        finally:
            self.page.set_viewport_size(original)

    def header_link(self, name: str):
        """A link of the header's menu, which on a phone is opened first."""
        link = self.page.get_by_role("link", name=name)
        if not link.is_visible():
            self.page.locator(".site-menu > summary").click()
        return link

    def submit_form_with(self, button: str) -> None:
        self.page.get_by_role("button", name=button).click()
        self.check()


# The innermost elements that reach past the right edge of the page, if it scrolls sideways.
OVERFLOWING = """() => {
    const edge = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= edge) return [];
    const beyond = [...document.body.querySelectorAll("*")].filter(
        (element) => element.getBoundingClientRect().right > edge + 1);
    return beyond.filter((element) => !beyond.some((other) => other !== element
        && element.contains(other))).slice(0, 5).map((element) =>
        `${element.tagName.toLowerCase()}.${element.className} "${element.textContent.trim()
            .slice(0, 40)}"`);
}"""


def run_axe(page: Page) -> list[dict]:
    """axe-core's violations on the page, each with its rule, impact and first nodes.
    The script is evaluated, not added as a <script>, so the page's CSP stays in force."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                rule: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map((n) => [n.target.join(" "), n.failureSummary]),
            }));
        }""",
        WCAG_21_AA,
    )


def language_of(request) -> str:
    """The language a test is parametrised with (`lang`), else English."""
    callspec = getattr(request.node, "callspec", None)
    return callspec.params.get("lang", "en") if callspec else "en"


@pytest.fixture
def timezone_id() -> str | None:
    """The browser's time zone: the machine's, unless a test names another by parametrizing
    `timezone_id`."""
    return None


@pytest.fixture
def context(chromium, request, timezone_id) -> Iterator[BrowserContext]:
    """A fresh browser profile whose own language is the test's, as a learner's would be
    (it shapes what the browser itself shows, such as date fields)."""
    context = chromium.new_context(
        viewport=WIDTHS["desktop"],
        locale=language_of(request),
        timezone_id=timezone_id,
        accept_downloads=True,
    )
    yield context
    context.close()


@pytest.fixture
def visit(context, site, screenshots, request) -> Iterator[Visit]:
    """A tab in the test's language. Nothing it loads may come from another origin."""
    page = context.new_page()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda sent: (
            None if sent.url.startswith((site.base, "data:")) else elsewhere.append(sent.url)
        ),
    )
    tab = Visit(page, language_of(request), site, screenshots)
    yield tab
    assert not elsewhere, f"requests to other origins: {elsewhere}"
    if tab.checked:
        report(request, f"{len(tab.checked)} pages checked with axe-core in both widths")


SHIPPED_COURSE = load_course(LESSONS_DIR / "co-production")
