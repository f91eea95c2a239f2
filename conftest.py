"""Suite-wide fixtures: isolated media folder, a reset clock, and Playwright on Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests create many users; production keeps the strong default hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests read English messages unless they ask for Chinese (Accept-Language / translation.override).
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the hot-read cache is per process)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _reset_clock():
    from fenxiao.core import clock

    clock.reset()
    yield
    clock.reset()


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or os.environ.get("FENXIAO_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM} (CI installs it: apt-get install chromium)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def phone_context(browser):
    """A browser context shaped like a 390×844 phone."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    yield context
    context.close()


def save_screenshot(page, name: str, docs_copy: bool = False, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/ (and, for the README, into docs/img/ when asked and
    ``FENXIAO_UPDATE_DOCS_IMG=1``: a plain test run never changes tracked files)."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    page.screenshot(path=str(target), full_page=full_page)
    if docs_copy:
        copy_to_docs(target, name)
    return target


def copy_to_docs(source: Path, name: str) -> None:
    """Copy a picture a test made into docs/img/ when ``FENXIAO_UPDATE_DOCS_IMG=1``."""
    if os.environ.get("FENXIAO_UPDATE_DOCS_IMG") != "1":
        return
    docs_img = Path(__file__).resolve().parent / "docs" / "img"
    docs_img.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, docs_img / name)


def sign_in(page, base_url: str, user, next_url: str = "/") -> None:
    """Sign ``user`` in through the real sign-in page (factories' DEFAULT_PASSWORD)."""
    from fenxiao.accounts.tests.factories import DEFAULT_PASSWORD

    page.goto(f"{base_url}/accounts/signin/?next={next_url}")
    page.fill("input[name=identifier]", user.phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
