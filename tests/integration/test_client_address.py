"""Whose address the login throttle counts: direct, and behind one trusted proxy.

Real gunicorn processes, a real reverse proxy (``tests/support/proxy.py``), and clients on
different loopback addresses (127.0.0.2 and 127.0.0.3), each forging X-Forwarded-For. On
SQLite the server gets a database file of its own; on PostgreSQL it shares the test
database.
"""

import http.client
import re
import shutil
import urllib.parse

import pytest

from tests.conftest import ON_POSTGRES
from tests.support.proxy import ForwardingHttpProxy
from tests.support.servers import ShopServer, database_url, manage

# Transactional: what the server processes commit is flushed after each test.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ATTACKER, VICTIM = "127.0.0.2", "127.0.0.3"


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory):
    if ON_POSTGRES:
        return None
    path = tmp_path_factory.mktemp("shop") / "migrated.sqlite3"
    manage(f"sqlite:///{path}", "migrate", "--noinput")
    return path


@pytest.fixture
def server_database(tmp_path, migrated_sqlite):
    if ON_POSTGRES:
        return database_url()
    shutil.copy(migrated_sqlite, tmp_path / "shop.sqlite3")
    return f"sqlite:///{tmp_path / 'shop.sqlite3'}"


def log_in(base_url: str, source: str, username: str, *, forged: str | None = None) -> int:
    """A wrong password for ``username`` from the address ``source``: the status."""
    target = urllib.parse.urlsplit(base_url)

    def send(method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(
            target.hostname, target.port, timeout=30, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return answer, answer.read().decode()
        finally:
            connection.close()

    forged_header = {"X-Forwarded-For": forged} if forged else {}
    answer, _ = send("GET", "/accounts/login/", headers=forged_header)
    token = re.search(r"csrftoken=([^;]+)", answer.getheader("Set-Cookie")).group(1)
    body = urllib.parse.urlencode({"username": username, "password": "wrong guess"})
    answer, _ = send(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            **forged_header,
            "Cookie": f"csrftoken={token}",
            "X-CSRFToken": token,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return answer.status


def attack_then_try_as_victim(base_url: str, username: str) -> tuple[list[int], int]:
    """Five wrong passwords for ``username`` from the attacker, each claiming another
    address in X-Forwarded-For; then one wrong password from the victim's own address."""
    attacker = [
        log_in(base_url, ATTACKER, username, forged=f"203.0.113.{n}, 198.51.100.{n}")
        for n in range(1, 6)
    ]
    return attacker, log_in(base_url, VICTIM, username)


def test_direct_the_connection_address_counts_and_the_header_is_ignored(server_database):
    with ShopServer(server_database, workers=1, threads=2) as server:
        attacker, victim = attack_then_try_as_victim(server.url, "ada")
    assert attacker == [200, 200, 200, 200, 429]  # locked, however it forged the header
    assert victim == 200  # the same name from another address is not locked out


def test_behind_one_trusted_proxy_its_header_counts_and_forgeries_do_not(server_database):
    with (
        ShopServer(server_database, workers=1, threads=2, SHOP_TRUSTED_PROXIES="1") as server,
        ForwardingHttpProxy(server.url) as proxy,
    ):
        attacker, victim = attack_then_try_as_victim(proxy.url, "grace")
    # Every request reaches the app from the proxy's address (127.0.0.1): counted by it,
    # the victim would be locked out with the attacker.
    assert attacker == [200, 200, 200, 200, 429]
    assert victim == 200
