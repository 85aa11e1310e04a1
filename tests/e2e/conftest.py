"""Fixtures for the browser tests: Debian's Chromium via pytest-playwright, one app server per module.

Never downloads a browser: pytest-playwright launches ``shutil.which("chromium")``.
Chinese glyphs need ``fonts-noto-cjk`` (``.ci/run`` installs both).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.streamlit_server import ARTIFACTS, CHROMIUM, TIMINGS, VIEWPORT, Server, start_server, stop_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM is not None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.skip(reason="Debian 'chromium' is not installed (see .ci/run)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="module")
def app_server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per test module. Depends on ``browser`` so Chromium is already up
    when the clock starts: the start-up time measured is the app's, not the browser's."""
    server = start_server(tmp_path_factory.mktemp("streamlit"))
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("e2e timings")
        for label, seconds in TIMINGS:
            terminalreporter.write_line(f"{label}: {seconds:.2f} s")
