"""Dashboard start-up (issue #2 bar: ranking visible within 10 s of start).

Starts ``streamlit run app.py`` on a free localhost port, opens it in headless Chromium and
prints the seconds from spawning the server to the ranking (title, table and both charts)
being drawn, for a few fresh servers. Run: python benchmarks/bench_startup.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.streamlit_server import start_server, stop_server  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        for k in range(args.repeats):
            server = start_server(Path(tempfile.mkdtemp(prefix="bench_startup_")))
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.goto(server.url)
                page.wait_for_selector("[data-testid=stDataFrame]", timeout=60_000)
                page.wait_for_selector(".js-plotly-plot .bars, .js-plotly-plot .plot", timeout=60_000)
                page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)
                times.append(time.perf_counter() - server.started)
                page.close()
            finally:
                stop_server(server)
        browser.close()
    print("server spawn -> ranking drawn: " + ", ".join(f"{t:.2f} s" for t in times)
          + f"; median {statistics.median(times):.2f} s (goal < 10 s)")


if __name__ == "__main__":
    main()
