import pytest

from tests.support.servers import ShopServer, database_url


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
