"""Real app servers for tests: gunicorn processes on loopback ports, and a plain HTTP client.

Each server is its own process with its own database connections, as separate app hosts
would be. Used by the cross-process and fault tests.
"""

from __future__ import annotations

import base64
import copy
import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
# One key for every app host, as in a real deployment: sessions and CSRF tokens signed by
# one process must be readable by the others.
SECRET_KEY = secrets.token_urlsafe(40)
# Likewise one master key for personal data (the test run's own, when it set one).
DATA_KEY = os.environ.get("SHOP_DATA_KEY") or base64.urlsafe_b64encode(os.urandom(32)).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The test database, as a URL another process can use."""
    from django.db import connection

    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "PYTEST_ADDOPTS"}
    }
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        SHOP_DATA_KEY=os.environ.get("SHOP_DATA_KEY") or DATA_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SHOP_HTTPS="0",
        SHOP_PLAIN_STATIC="1",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",  # no SMTP here
    )
    env.update(extra)
    return env


def shop_setting(expression: str, **env: str | None) -> str:
    """What ``expression`` prints when ``shop.settings`` loads in a fresh process.

    The process gets the test database's environment, changed by ``env`` (``None`` leaves a
    variable out), so a test sees what a deployment with those variables would get.
    """
    environment = server_env(database_url(), DJANGO_SETTINGS_MODULE="shop.settings")
    for key, value in env.items():
        environment.pop(key, None)
        if value is not None:
            environment[key] = value
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({expression})"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def manage(database_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=server_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class ShopServer:
    """``gunicorn shop.wsgi`` on a free loopback port."""

    def __init__(self, database_url: str, *, workers: int = 2, threads: int = 4, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            str(GUNICORN),
            "shop.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        ]
        self.env = server_env(database_url, **env)
        self.process: subprocess.Popen | None = None
        # A file, not a pipe: nobody reads a pipe while the server runs, and a server that
        # logs more than the pipe holds (64 KiB) would block on its next line.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)

    def start_without_waiting(self) -> ShopServer:
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=True,
        )
        return self

    def logged(self) -> str:
        """What the server has written to stderr so far.

        Read with ``pread``, which leaves the file's offset alone: the server writes through
        the same offset, and moving it back would make its next lines overwrite the first.
        """
        fd = self.log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def wait_until_listening(self, wait: float = 30) -> None:
        """Until the port accepts connections (whatever the app then answers)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"nothing listens on {self.url}")

    def start(self, wait: float = 30) -> ShopServer:
        self.start_without_waiting()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.logged()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.url} in {wait} s")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> ShopServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]


class ShopClient:
    """One shopper: its own cookies (session, CSRF), talking HTTP to a server."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

    def tab(self, base_url: str | None = None) -> ShopClient:
        """The same shopper (same cookies, same session) in another tab, maybe another host."""
        other = ShopClient(base_url or self.base_url, self.timeout)
        for cookie in self.cookies:
            other.cookies.set_cookie(copy.copy(cookie))
        return other

    def _send(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), dict(error.headers))

    def get(self, path: str) -> Answer:
        return self._send(urllib.request.Request(self.base_url + path))

    @property
    def csrf_token(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken":
                return cookie.value
        self.get("/")
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def post(self, path: str, data: dict, *, htmx: bool = False, base_url: str | None = None):
        headers = {"X-CSRFToken": self.csrf_token}
        if htmx:
            headers["HX-Request"] = "true"
        request = urllib.request.Request(
            (base_url or self.base_url) + path,
            data=urllib.parse.urlencode(data).encode(),
            headers=headers,
            method="POST",
        )
        return self._send(request)

    def hidden(self, page: str, name: str) -> str:
        match = re.search(rf'name="{name}" value="([^"]*)"', page)
        assert match, f"no hidden {name} field"
        return match.group(1)

    def checked(self, page: str, name: str) -> str:
        """The value of the checked radio button ``name`` (the shipping method chosen)."""
        match = re.search(rf'name="{name}" id="[^"]*" value="([^"]*)" checked', page)
        assert match, f"no checked {name} radio button"
        return match.group(1)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
