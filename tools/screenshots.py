"""Take the README's screenshots of the demo shop in Chromium: a phone and a desktop.

    .venv/bin/python tools/screenshots.py                        # serves the demo itself
    .venv/bin/python tools/screenshots.py http://127.0.0.1:8000  # a shop already running

Without an address it serves the seeded demo catalog (its pictures included) as
tools/lighthouse.py does: a fresh SQLite database in a temporary folder, gunicorn on a free
port with production settings. With one, point it at the demo (``make run``). Writes
docs/screenshot-phone.png (the cart on a 390 px phone, after adding two products) and
docs/screenshot-desktop.png (the catalog at 1,280 px); ``--out`` names another folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.support.servers import ShopServer  # noqa: E402
from tools.lighthouse import manage, production  # noqa: E402

DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"


def take(base: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        desktop.goto(base + "/")
        desktop.wait_for_load_state("networkidle")
        desktop.screenshot(path=out / "screenshot-desktop.png")

        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        for slug in ("kenya-aa", "jasmine-pearls"):
            phone.goto(f"{base}/products/{slug}/")
            with phone.expect_response("**/cart/add/"):
                phone.get_by_role("button", name="Add to cart").click()
        phone.goto(base + "/cart/")
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=out / "screenshot-phone.png")
        browser.close()
    for name in ("screenshot-desktop.png", "screenshot-phone.png"):
        print(out / name, (out / name).stat().st_size, "bytes")


def serve_demo_and_take(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database, media = f"sqlite:///{tmp}/screenshots.sqlite3", f"{tmp}/media"
        manage(database, media, "migrate", "--noinput")
        manage(database, media, "seed_demo")
        manage(database, media, "collectstatic", "--noinput", "--clear")
        with ShopServer(database, workers=1, threads=2, **production(database, media)) as server:
            take(server.url, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="a running shop (default: serve the demo)")
    parser.add_argument("--out", type=Path, default=DOCS, help=f"the folder (default {DOCS})")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.url:
        take(args.url.rstrip("/"), args.out)
    else:
        serve_demo_and_take(args.out)


if __name__ == "__main__":
    main()
