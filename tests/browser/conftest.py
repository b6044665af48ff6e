import pytest

from tests.support.browser import csp_violations_of


@pytest.fixture
def csp_violations(page):
    """Every Content-Security-Policy complaint the page logs; a flow should end with none."""
    return csp_violations_of(page)
