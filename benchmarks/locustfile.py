"""Mixed shoppers for the soak test (benchmarks/soak.py runs locust on this file headless).

Each simulated shopper keeps one session (cookies) and knows its own cart, so every command
it sends should succeed: it changes a quantity only to a different one, removes and undoes
only what it has, applies the coupon once per cart, and checks out a cart that has lines.
It talks to the app servers in turn, as shoppers behind a load balancer do.

soak.py passes a JSON file (``--soak-config``): the servers, the products, and where to
write the report at the end: answers by status, and per action the successful answers
(which soak.py compares with the events stored) and locust's response times.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter

from locust import HttpUser, between, events, task

CONFIG: dict = {}
SEARCHES = ["tea", "coffee", "kenya", "bench", "product 01", "grinder", "oolong", "xyz"]
COUPON = "WELCOME10"

statuses: Counter[str] = Counter()  # "add 200", "checkout 302", "browse 0" (no answer)
successes: Counter[str] = Counter()
_hosts: itertools.cycle | None = None


@events.init_command_line_parser.add_listener
def soak_options(parser):
    parser.add_argument("--soak-config", default="", help="soak.py's JSON file")


@events.init.add_listener
def read_config(environment, **kwargs):
    global _hosts
    path = environment.parsed_options.soak_config if environment.parsed_options else ""
    if path:
        with open(path) as f:
            CONFIG.update(json.load(f))
        _hosts = itertools.cycle(CONFIG["hosts"])


@events.request.add_listener
def count_status(name, response, exception, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    statuses[f"{name} {status}"] += 1


@events.quitting.add_listener
def write_report(environment, **kwargs):
    path = CONFIG.get("report")
    if not path:
        return
    actions = {
        name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
        }
        for (name, _method), entry in environment.stats.entries.items()
    }
    total = environment.stats.total
    with open(path, "w") as f:
        json.dump(
            {
                "statuses": statuses,
                "successes": successes,
                "actions": actions,
                "requests": total.num_requests,
                "rps": total.total_rps,
            },
            f,
        )


def hidden(html: str, name: str) -> str | None:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else None


def checked(html: str, name: str) -> str | None:
    """The value of the checked radio button ``name`` (the shipping method chosen)."""
    match = re.search(rf'name="{name}" id="[^"]*" value="([^"]*)" checked', html)
    return match.group(1) if match else None


class Shopper(HttpUser):
    wait_time = between(0.3, 1.5)
    host = "http://127.0.0.1"  # each shopper sends full URLs to its own server

    def on_start(self):
        self.base = next(_hosts)
        self.lines: dict[str, int] = {}
        self.coupon = False
        self.undo: tuple[str, int, str] | None = None  # (product, quantity, removal)
        self.get("/", "browse")

    # --- plumbing ---------------------------------------------------------------------------

    def get(self, path, name):
        with self.client.get(self.base + path, name=name, catch_response=True) as response:
            return self._judge(response, name)

    def post(self, path, data, name, *, htmx=True):
        headers = {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}
        if htmx:
            headers["HX-Request"] = "true"
        with self.client.post(
            self.base + path,
            data=data,
            headers=headers,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            return self._judge(response, name)

    def _judge(self, response, name):
        if 200 <= response.status_code < 400:
            response.success()
            successes[name] += 1
            return response
        response.failure(f"{response.status_code}")
        return None

    # --- what shoppers do -------------------------------------------------------------------

    @task(6)
    def browse(self):
        self.get(f"/?page={random.randint(1, 5)}", "browse")
        self.get(f"/products/{random.choice(CONFIG['slugs'])}/", "product")

    @task(3)
    def search(self):
        self.get(f"/?q={random.choice(SEARCHES)}", "search")

    @task(5)
    def add(self):
        product = random.choice(CONFIG["products"])
        quantity = random.randint(1, 3)
        if self.lines.get(product, 0) + quantity > 99:
            return
        data = {"product": product, "quantity": quantity, "next": "/"}
        if self.post("/cart/add/", data, "add"):
            self.lines[product] = self.lines.get(product, 0) + quantity

    @task(2)
    def change(self):
        if not self.lines:
            return
        product = random.choice(list(self.lines))
        quantity = random.choice([q for q in range(1, 6) if q != self.lines[product]])
        if self.post("/cart/change/", {"product": product, "quantity": quantity}, "change"):
            self.lines[product] = quantity

    @task(2)
    def remove(self):
        if not self.lines:
            return
        product = random.choice(list(self.lines))
        response = self.post("/cart/remove/", {"product": product}, "remove")
        if response:
            removal = hidden(response.text, "removal")
            self.undo = (product, self.lines.pop(product), removal) if removal else None

    @task(1)
    def undo_removal(self):
        if self.undo is None or self.undo[0] in self.lines:
            return
        product, quantity, removal = self.undo
        self.undo = None
        if self.post("/cart/undo/", {"removal": removal}, "undo"):
            self.lines[product] = quantity

    @task(1)
    def coupon(self):
        if not self.lines or self.coupon:
            return
        if self.post("/cart/coupon/", {"code": COUPON}, "coupon"):
            self.coupon = True

    @task(1)
    def checkout(self):
        if not self.lines:
            return
        page = self.get("/checkout/", "checkout page")
        if page is None or page.status_code != 200:
            return
        address = {
            "email": "soak@example.com",
            "full_name": "Soak Shopper",
            "address": "1 Load Street",
            "city": "Testville",
            "postal_code": "12345",
            "country": "NL",
        }
        hidden_fields = {name: hidden(page.text, name) for name in ("command_id", "expected_total")}
        # The second step: the methods that ship to the address; the first is chosen.
        step = self.post(
            "/checkout/",
            {**address, **hidden_fields, "step": "shipping"},
            "checkout shipping",
            htmx=False,
        )
        if step is None:
            return
        data = {
            **address,
            "command_id": hidden(step.text, "command_id"),
            "expected_total": hidden(step.text, "expected_total"),
            "shipping_method": checked(step.text, "shipping_method"),
        }
        if self.post("/checkout/", data, "checkout", htmx=False):
            self.lines, self.coupon, self.undo = {}, False, None
