import pytest
from django.db import connection

from tests.support.servers import ShopServer


def database_url() -> str:
    """The test database, as a URL another process can use."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def two_app_hosts(transactional_db):
    """Two gunicorn processes (two workers each) on different ports, one database."""
    servers = [ShopServer(database_url(), workers=2, threads=4) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
