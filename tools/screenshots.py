"""Take the README's screenshots of a running shop in Chromium: a phone and a desktop.

    .venv/bin/python tools/screenshots.py http://127.0.0.1:8000

Run it against the demo (``make run``: the seeded catalog with its pictures). Writes
docs/screenshot-phone.png (the cart on a 390 px phone, after adding two products) and
docs/screenshot-desktop.png (the catalog at 1,280 px).
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM = "/usr/bin/chromium"


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        desktop.goto(base + "/")
        desktop.wait_for_load_state("networkidle")
        desktop.screenshot(path=DOCS / "screenshot-desktop.png")

        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        for slug in ("kenya-aa", "jasmine-pearls"):
            phone.goto(f"{base}/products/{slug}/")
            with phone.expect_response("**/cart/add/"):
                phone.get_by_role("button", name="Add to cart").click()
        phone.goto(base + "/cart/")
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=DOCS / "screenshot-phone.png")
        browser.close()
    for name in ("screenshot-desktop.png", "screenshot-phone.png"):
        print(DOCS / name, (DOCS / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
