"""Start and stop ``streamlit run app.py`` for the browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VIEWPORT = {"width": 1600, "height": 1000}

#: (label, seconds) measured by the tests; printed in pytest's terminal summary.
TIMINGS: list[tuple[str, float]] = []

#: Selector of a finished script run (Streamlit's own e2e suite waits for the same).
APP_IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


@dataclass
class Server:
    url: str
    started: float  # time.perf_counter() just before the process was spawned
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"streamlit did not become healthy within {timeout} s:\n{server.log.read_text()}")


def start_server(tmp_dir: Path) -> Server:
    """Spawn ``streamlit run app.py`` on a free localhost port and wait for /_stcore/health."""
    port = _free_port()
    log = tmp_dir / f"streamlit-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--global.developmentMode", "false",
    ]
    # Each server gets its own store: browser tests never write into the repository's data/.
    env = {**os.environ, "SME_RISK_STORE": str(tmp_dir / f"store-{port}.duckdb")}
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", started, process, log)
    try:
        _wait_healthy(server)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
