import pytest


@pytest.fixture
def csp_violations(page):
    """Every Content-Security-Policy complaint the page logs; a flow should end with none."""
    seen = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen
