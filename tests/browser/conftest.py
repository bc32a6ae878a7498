"""The browser harness every page test reuses: Debian's Chromium driven by Playwright, one browser per
session and a fresh context (cookies, storage) per test, against pytest-django's live server.

Helpers to import in any browser test::

    from tests.browser.conftest import assert_accessible, login_as

- ``login_as(page, live_server, member)`` logs in through the real login form.
- ``assert_accessible(page)`` fails the test on any axe-core violation, a repeated id, or a page without
  exactly one h1. axe runs inside the page, so use it with ``page``, not ``page_without_js``.

Fixtures: ``browser`` (session), ``page`` and ``page_without_js`` (a fresh context each, failing the test if
the Content-Security-Policy blocked anything), and ``second_page``/``second_page_without_js`` for a second person.

Browser tests need the rows the test writes to be visible to the live server's thread, so they run in a
transactional database: pytest-django switches ``db`` to transactional whenever ``live_server`` is requested,
and the modules say so explicitly with ``pytest.mark.django_db(transaction=True)``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from playwright.sync_api import Browser, Page, sync_playwright

from ostrom.communities.tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking switches Chromium keeps trying to reach Google's services, which on an offline
# machine floods the log with refused connections and slows start-up.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Pages render in well under a second; a generous ceiling still fails fast when something hangs.
TIMEOUT_MILLISECONDS = 10_000
VIEWPORT = {"width": 1280, "height": 900}

_axe = Axe()
DUPLICATE_IDS_SCRIPT = """() => {
  const counts = {};
  for (const element of document.querySelectorAll("[id]")) counts[element.id] = (counts[element.id] || 0) + 1;
  return Object.keys(counts).filter((id) => counts[id] > 1);
}"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run: starting it costs more than most tests."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests drive Debian's Chromium at {CHROMIUM}, which is missing. "
            "Install it with: apt-get install -y chromium (make test does this when run as root).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def _browser_page(browser: Browser, **options) -> Iterator[Page]:
    # The pages' Content-Security-Policy stays enforced: axe is injected through the DevTools protocol,
    # which CSP does not govern. Anything the policy blocks (an inline script or style) fails the test,
    # because it is a feature that silently does not work in production.
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", viewport=VIEWPORT, **options)
    context.set_default_timeout(TIMEOUT_MILLISECONDS)
    blocked: list[str] = []
    context.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield context.new_page()
    context.close()
    assert not blocked, "The Content-Security-Policy blocked something on the page:\n" + "\n".join(blocked)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context, so no cookie or session leaks between tests."""
    with _browser_page(browser) as fresh_page:
        yield fresh_page


@pytest.fixture
def page_without_js(browser: Browser) -> Iterator[Page]:
    """A page with JavaScript turned off, to prove every form works without it."""
    with _browser_page(browser, java_script_enabled=False) as fresh_page:
        fresh_page.javascript_disabled = True  # read by assert_accessible
        yield fresh_page


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    """A second person's browser (its own cookies), for journeys between two people."""
    with _browser_page(browser) as fresh_page:
        yield fresh_page


@pytest.fixture
def second_page_without_js(browser: Browser) -> Iterator[Page]:
    with _browser_page(browser, java_script_enabled=False) as fresh_page:
        fresh_page.javascript_disabled = True
        yield fresh_page


@pytest.fixture(autouse=True)
def _no_past_login_failures() -> None:
    # The database cache is not a model table, so transactional tests do not empty it; start each test
    # without the login failures an earlier one recorded from the same address.
    cache.clear()


def login_as(page: Page, live_server, member, identifier: str | None = None) -> None:
    """Log in through the real login form as a member (or user), by email unless ``identifier`` says otherwise."""
    user = getattr(member, "user", member)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address or phone number").fill(identifier or user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    assert page.get_by_role("button", name="Log out").is_visible(), f"Logging in as {user} failed"


def _describe(violation: dict) -> str:
    targets = "\n".join(f"      {', '.join(map(str, node['target']))}" for node in violation["nodes"])
    return f"  {violation['id']} ({violation['impact']}): {violation['help']}\n{targets}"


def assert_accessible(page: Page) -> None:
    """Fail with every axe-core violation on the page (rule, impact, help, selectors); also unless every id
    is unique and the page has exactly one h1, as our layout promises."""
    if getattr(page, "javascript_disabled", False):
        # Chromium never answers an evaluation in a page without JavaScript: fail now instead of hanging.
        pytest.fail("axe runs inside the page: check accessibility with the `page` fixture, not `page_without_js`")
    violations = _axe.run(page).response["violations"]
    if violations:
        report = "\n".join(_describe(v) for v in violations)
        pytest.fail(f"axe found {len(violations)} accessibility violation(s) on {page.url}:\n{report}", pytrace=False)
    # axe-core retired its duplicate-id rule, but a repeated id still ties a label or an error-summary link
    # to the wrong field.
    duplicates = page.evaluate(DUPLICATE_IDS_SCRIPT)
    assert not duplicates, f"{page.url} repeats these ids: {duplicates}"
    headings = page.locator("h1").all_inner_texts()
    assert len(headings) == 1, f"{page.url} should have exactly one h1, found {len(headings)}: {headings}"
