"""The proof: a dump of the whole database, before and after a customer's erasure.

Before, the customer's email, name and street appear in plain text only in the tables meant
to hold them (the user row, the order's read model, the emails to send); in the event log
they are sealed. After, they appear nowhere: not in the log, not in any table.
"""

import re
import shutil
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection

from shop.models import Event
from shop.registry import SEALED
from tests.factories import PASSWORD, ProductFactory, add_to_cart, sign_up
from tests.integration.test_checkout import checkout_form
from tests.subscribing import drain

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads what is committed

# Where a customer's personal data may be in plain text while they have an account.
MEANT_FOR_IT = {"auth_user", "orders_ordersummary", "subscriptions_email"}


def pg_dump_binary() -> str:
    for candidate in (
        shutil.which("pg_dump"),
        *sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin/pg_dump")), reverse=True),
    ):
        if candidate:
            return candidate
    pytest.fail("pg_dump is needed to dump the PostgreSQL database")


def dump() -> dict[str, str]:
    """The whole database as text, by table (schema and everything else under "")."""
    tables: dict[str, list[str]] = defaultdict(list)
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        text = subprocess.run(
            [
                pg_dump_binary(),
                "-h",
                s["HOST"] or "127.0.0.1",
                "-p",
                str(s["PORT"] or 5432),
                "-U",
                s["USER"],
                "--no-owner",
                s["NAME"],
            ],
            capture_output=True,
            text=True,
            check=True,
            env={"PGPASSWORD": s.get("PASSWORD") or ""},
        ).stdout
        table = ""
        for line in text.splitlines():
            if match := re.match(r"COPY public\.(\w+) ", line):
                table = match[1]
            elif line == "\\.":
                table = ""
            tables[table].append(line)
    else:
        for line in connection.connection.iterdump():
            match = re.match(r'INSERT INTO "(\w+)"', line)
            tables[match[1] if match else ""].append(line)
    return {table: "\n".join(lines) for table, lines in tables.items()}


def where(value: str, tables: dict[str, str]) -> set[str]:
    return {table for table, text in tables.items() if value in text}


def test_after_erasure_no_dump_of_the_database_holds_the_customers_data(client):
    tag = uuid.uuid4().hex[:12]
    email = f"erin{tag}@example.org"
    name = f"Erin Vasquez-Thornbury {tag}"
    street = f"{tag} Hollyhock Crescent"
    tea = ProductFactory(name="Dump Tea", price="7.25", stock=20)
    assert sign_up(client, f"erin{tag}", email=email).status_code == 302
    for quantity in (1, 2):
        add_to_cart(client, tea, quantity)
        person = {
            "email": email,
            "full_name": name,
            "address": street,
            "city": "Tallinn",
            "postal_code": "10111",
            "country": "Estonia",
        }
        assert client.post("/checkout/", {**person, **checkout_form(client)}).status_code == 302
    drain(send=True)

    before = dump()
    for value in (email, name, street):
        found = where(value, before)
        assert found, value
        assert found <= MEANT_FOR_IT, (value, found - MEANT_FOR_IT)
    event_table = Event._meta.db_table
    assert before[event_table].count(SEALED) >= 2 * 5  # two orders, five sealed fields each

    response = client.post("/accounts/data/delete/", {"password": PASSWORD})
    assert response.status_code == 302

    after = dump()
    for value in (email, name, street, f"erin{tag}"):
        assert not where(value, after), (value, where(value, after))
    assert "[erased]" in after["orders_ordersummary"]
    assert "PersonalDataErased" in after[event_table]
    assert "7.25" in after["orders_orderline"]  # the amounts stay
