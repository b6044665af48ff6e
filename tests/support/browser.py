"""Helpers for the Playwright tests."""


def csp_violations_of(page) -> list[str]:
    """Every Content-Security-Policy complaint ``page`` logs from now on (the list grows)."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen
