"""Lighthouse (mobile) on the shop as it is deployed: gunicorn, production settings.

    .venv/bin/python tools/lighthouse.py              # SQLite in a temporary folder
    .venv/bin/python tools/lighthouse.py --database-url postgres://postgres@127.0.0.1/lh
    .venv/bin/python tools/lighthouse.py --readme     # also writes the scores to README.md

Installs lighthouse@12.8.2 from the npm registry into tools/.lighthouse/ (gitignored; 12.x
runs on Node 20), migrates and seeds a fresh database (PostgreSQL: the named database is
dropped and created again), collects the static files (whitenoise, compressed, hashed
names), serves the shop with gunicorn (DEBUG off), puts two products in a cart, and runs
Lighthouse's four categories on home, a product page, the cart (with items) and checkout
through Debian's Chromium. The cart and checkout carry the shopper's session cookie.
Prints a table; exits 1 when a score is below the target (95).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.servers import ShopClient, ShopServer, server_env  # noqa: E402

VERSION = "12.8.2"
FOLDER = ROOT / "tools" / ".lighthouse"
BINARY = FOLDER / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"  # Debian's; --chrome names another
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET = 95
ATTEMPTS = 3
PAGES = {
    "home": "/",
    "product page": "/products/kenya-aa/",
    "cart (2 lines)": "/cart/",
    "checkout": "/checkout/",
}
SHOPPER_PAGES = {"cart (2 lines)", "checkout"}


def install() -> None:
    installed = FOLDER / "node_modules" / "lighthouse" / "package.json"
    if installed.exists() and json.loads(installed.read_text())["version"] == VERSION:
        return
    FOLDER.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--save-exact",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(FOLDER),
            f"lighthouse@{VERSION}",
        ],
        check=True,
    )


def recreate_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# Production settings, with the static files collected and compressed, and Django serving
# the product pictures (a deployment puts them behind its proxy or on object storage).
def production(database_url: str, media: str) -> dict[str, str]:
    return {"SHOP_PLAIN_STATIC": "0", "SHOP_SERVE_MEDIA": "on", "MEDIA_ROOT": media}


def manage(database_url: str, media: str, *args: str) -> None:
    env = server_env(database_url, **production(database_url, media))
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def audit(url: str, cookie: str | None, out: Path, chrome: str) -> dict[str, int]:
    command = [
        str(BINARY),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    for attempt in range(1, ATTEMPTS + 1):
        # On a busy machine Lighthouse now and then fails to record the trace (NO_NAVSTART):
        # that is no score, so it runs again.
        done = subprocess.run(command, env={**os.environ, "CHROME_PATH": chrome})
        if done.returncode == 0:
            break
        if attempt == ATTEMPTS:
            raise SystemExit(f"lighthouse failed {ATTEMPTS} times on {url}")
    report = json.loads(out.read_text())
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            result = report["audits"][ref["id"]]
            if ref["weight"] and result["score"] is not None and result["score"] < 1:
                print(f"  {name}: {ref['id']} ({result['title']}): {result['score']}")
    # What costs no points today but is worth a look: a failed check outside the scores
    # (an unsized picture, a console message, a missing source map, …).
    weighted = {
        ref["id"]
        for c in CATEGORIES
        for ref in report["categories"][c]["auditRefs"]
        if ref["weight"]
    }
    for audit_id, result in report["audits"].items():
        failed = result["scoreDisplayMode"] == "binary" and result["score"] == 0
        if failed and audit_id not in weighted:
            print(f"  unscored: {audit_id} ({result['title']})")
    return {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}


def table(scores: dict[str, dict[str, int]], database: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"Lighthouse {VERSION} (mobile), {when} UTC, gunicorn with production settings on "
        f"{database}; target ≥ {TARGET} in each category.",
        "",
        "| page | performance | accessibility | best practices | SEO |",
        "|---|---|---|---|---|",
    ]
    for page, got in scores.items():
        lines.append(f"| {page} | " + " | ".join(str(got[c]) for c in CATEGORIES) + " |")
    return "\n".join(lines) + "\n"


def write_readme(text: str) -> None:
    readme = ROOT / "README.md"
    start, end = "<!-- lighthouse:start -->", "<!-- lighthouse:end -->"
    content = readme.read_text()
    before, rest = content.split(start, 1)
    readme.write_text(before + start + "\n" + text + end + rest.split(end, 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (dropped and created again)")
    parser.add_argument("--readme", action="store_true", help="write the scores to README.md")
    parser.add_argument("--chrome", default=CHROME, help=f"the browser (default {CHROME})")
    parser.add_argument(
        "--reports", type=Path, help="keep Lighthouse's JSON reports in this folder"
    )
    args = parser.parse_args()

    install()
    if args.reports:
        args.reports.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        database = args.database_url or f"sqlite:///{tmp}/lighthouse.sqlite3"
        if args.database_url:
            recreate_postgres(args.database_url)
        media = f"{tmp}/media"
        manage(database, media, "migrate", "--noinput")
        manage(database, media, "seed_demo")
        manage(database, media, "collectstatic", "--noinput", "--clear")
        scores = {}
        env = production(database, media)
        with ShopServer(database, workers=2, threads=2, **env) as server:
            shopper = ShopClient(server.url)
            for slug in ("kenya-aa", "assam-breakfast"):
                page = shopper.get(f"/products/{slug}/").body
                product = shopper.hidden(page, "product")
                answer = shopper.post("/cart/add/", {"product": product, "quantity": 1})
                assert answer.status in (200, 302), answer.body[:300]
            cookie = "; ".join(f"{c.name}={c.value}" for c in shopper.cookies)
            for name, path in PAGES.items():
                out = (args.reports or Path(tmp)) / f"{name.split()[0]}.json"
                scores[name] = audit(
                    server.url + path, cookie if name in SHOPPER_PAGES else None, out, args.chrome
                )
                print(f"{name}: {scores[name]}", flush=True)
    text = table(scores, "PostgreSQL" if args.database_url else "SQLite")
    print()
    print(text)
    if args.readme:
        write_readme(text)
    return 0 if all(s >= TARGET for got in scores.values() for s in got.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
