import os
from pathlib import Path

import pytest
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told it is safe (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ON_POSTGRES = connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    tests = Path(__file__).parent
    for item in items:
        path = Path(item.fspath)
        if path.is_relative_to(tests / "browser"):
            item.add_marker(pytest.mark.browser)
        if path.is_relative_to(tests / "concurrency"):
            item.add_marker(pytest.mark.postgres)
        if "browser" in item.keywords and not CHROMIUM.exists():
            item.add_marker(
                pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
            )
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
                )
            )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def _fresh_recent_states():
    """Each test starts with no remembered aggregate states (the database is new to it)."""
    from shop.snapshots import recent_states

    recent_states.clear()
    yield
    recent_states.clear()


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _shop_shipping(request):
    """Every test with a database has the demo's shipping methods and VAT rates, as a shop
    has its configuration (``shipping/demo.py``): EU Standard and Express, Standard
    everywhere else; Germany's 7 % and 19 % for every country. Tests change them as they
    need."""
    if request.node.get_closest_marker("django_db") is None and not (
        DB_FIXTURES & set(request.fixturenames)
    ):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from shipping.demo import seed_shipping

    seed_shipping()
    yield
