"""Benchmark plumbing: a throwaway PostgreSQL database, gunicorn servers, and `wrk` runs.

Everything started here is stopped by its own process group id; every wrk run is
bounded by a duration (and a subprocess timeout on top), so nothing can hang.
"""
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager

import psycopg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "bench")
LUA_DIR = os.path.join(BENCH_DIR, "wrk")
VENV_BIN = os.path.dirname(sys.executable)
PG_ADMIN_URL = os.environ.get(
    "GIFTSHOP_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# The two gunicorn settings every figure is measured on.
WORKER_CONFIGS = {
    "2 sync": ["--workers", "2", "--worker-class", "sync"],
    "2×4 gthread": ["--workers", "2", "--worker-class", "gthread", "--threads", "4"],
}


def libpq_url(sqlalchemy_url: str) -> str:
    """psycopg wants `postgresql://`, SQLAlchemy wants `postgresql+psycopg://`."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def machine_info() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(libpq_url(PG_ADMIN_URL)) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        pg_settings = ", ".join(
            f"{name} {conn.execute(f'SHOW {name}').fetchone()[0]}"
            for name in ("fsync", "synchronous_commit", "shared_buffers"))
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "postgresql": pg,
        "pg_settings": pg_settings,
        "python": platform.python_version(),
        "wrk": ((wrk.stdout or wrk.stderr or "?").splitlines() or ["?"])[0].split(" Copyright")[0],
        "kernel": platform.release(),
    }


@contextmanager
def scratch_database():
    """A PostgreSQL database of its own for this run, dropped afterwards (yields its URL)."""
    name = f"giftshop_bench_{uuid.uuid4().hex[:10]}"
    admin = libpq_url(PG_ADMIN_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _listening_socket() -> socket.socket:
    """Bound on 127.0.0.1, port 0: gunicorn inherits it, so no port can be stolen."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Server:
    """One gunicorn (own process group) serving `app_spec` on a free loopback port."""

    def __init__(self, app_spec: str, worker_args: list[str], env: dict, log_path: str):
        self.app_spec, self.worker_args, self.env, self.log_path = (
            app_spec, worker_args, env, log_path)
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.url = ""

    def start(self, ready_path: str = "/", timeout: float = 60) -> "Server":
        self.sock = _listening_socket()
        fd = self.sock.fileno()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        cmd = [os.path.join(VENV_BIN, "gunicorn"), *self.worker_args, "--bind", f"fd://{fd}",
               "--backlog", "2048", "--timeout", "60", "--graceful-timeout", "5",
               "--error-logfile", self.log_path, "--log-level", "warning", self.app_spec]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **self.env}, pass_fds=(fd,),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app_spec} exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=5) as resp:
                    resp.read()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn {self.app_spec} did not answer in {timeout}s")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            pgid = self.proc.pid  # start_new_session: the group id is gunicorn's own pid
            os.killpg(pgid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def run_wrk(url: str, script: str, *, connections: int, duration: float,
            env: dict | None = None, stop_on_signal: bool = False) -> dict:
    """One wrk run (one thread, `connections` keep-alive clients) → the Lua script's figures.

    With `stop_on_signal`, the script prints BENCH_STOP after its request budget and
    the run is interrupted there (SIGINT, which makes wrk report); `duration` is then
    only the upper bound.
    """
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{int(duration)}s", "--timeout", "30s",
           "--latency", "-s", os.path.join(LUA_DIR, script), url]
    proc = subprocess.Popen(
        cmd, env={**os.environ, "BENCH_LUA_DIR": LUA_DIR, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    out_lines = []
    deadline = time.monotonic() + duration + 60
    try:
        for line in proc.stdout:  # wrk ends by itself at `duration`
            out_lines.append(line)
            if stop_on_signal and line.startswith("BENCH_STOP"):
                proc.send_signal(signal.SIGINT)
            if time.monotonic() > deadline:
                break
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    stderr = proc.stderr.read()
    result = None
    for line in out_lines:
        if line.startswith("BENCH_JSON "):
            result = json.loads(line[len("BENCH_JSON "):])
    if result is None:
        raise RuntimeError(f"wrk gave no figures (rc={proc.returncode}): "
                           f"{''.join(out_lines)[-2000:]} {stderr[-2000:]}")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def http_get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
