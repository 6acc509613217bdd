"""A real ``mlflow server`` on loopback for the tests (its fixture, ``server``, is in
``tests/conftest.py``)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.lab.conftest import free_port


class MlflowServer:
    """``mlflow server`` on a loopback port with its own sqlite store, started and stopped by
    its PID (the server and its uvicorn worker run in their own process group)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "mlflow.db"
        self.artifacts = root / "artifacts"
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        log = (self.root / "server.log").open("ab")
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri",
             f"sqlite:///{self.db}", "--artifacts-destination", str(self.artifacts), "--host",
             "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited:\n{self.log_tail()}")
            try:
                requests.get(self.uri + "/health", timeout=2).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"mlflow server not healthy after {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        pid, self.proc = self.proc.pid, None
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.listening():
            time.sleep(0.1)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        if self.listening():
            os.killpg(pid, signal.SIGKILL)

    def listening(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def log_tail(self) -> str:
        return (self.root / "server.log").read_text(errors="replace")[-3000:]
