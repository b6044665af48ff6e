"""Pages load cleanly in Chromium: no failed request and nothing in the console, under the
Permissions-Policy header (a feature Chromium does not know would be logged). Headless
Chromium asks for no favicon: tests/integration/test_hardening.py checks that one."""

import pytest

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_shopper_pages_log_nothing_and_every_request_succeeds(live_server, page):
    product = ProductFactory(name="Kenya AA")
    logged, failed = [], []
    page.on("console", lambda message: logged.append(f"{message.type}: {message.text}"))
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    for path in ("/", product.get_absolute_url(), "/cart/", "/accounts/login/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    assert failed == []
    assert logged == []
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')") is False
    assert page.evaluate("document.featurePolicy.allowsFeature('geolocation')") is False
