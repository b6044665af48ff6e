"""The staff insight page (the insight app), beside the event log in the admin."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from shop.models import Event

pytestmark = pytest.mark.django_db


def _old_cart(product, *, hours_ago: int, quantity=2):
    cart_id = uuid.uuid4()
    Event.objects.bulk_create(
        [
            Event(
                stream_type="cart",
                stream_id=cart_id,
                version=1,
                event_type="ItemAdded",
                schema_version=2,
                data={
                    "product_id": str(product.id),
                    "quantity": quantity,
                    "unit_price": {"amount": "9.50", "currency": "EUR"},
                },
                metadata={"actor": "guest:old"},
                recorded_at=timezone.now() - timedelta(hours=hours_ago),
            )
        ]
    )
    return cart_id


def test_insight_counts_the_funnel_abandoned_carts_and_removals(client, staff, cart, products):
    kept = products[0]
    old = _old_cart(kept, hours_ago=30)
    recent = _old_cart(kept, hours_ago=2)
    response = client.get("/admin/shop/event/insight/")
    funnel = {bar["label"]: bar["n"] for bar in response.context["funnel"]["bars"]}
    assert funnel == {"Carts started": 3, "Items added": 3, "Checked out": 1}
    abandoned = response.context["abandoned"]
    assert [c["stream_id"] for c in abandoned["carts"]] == [old]
    assert abandoned["carts"][0]["value"] == "19.00 EUR"
    removed_bars = response.context["removed"]["bars"]
    assert [(b["label"], b["n"]) for b in removed_bars] == [("Sencha", 1)]
    page = response.content.decode()
    assert "<svg" in page and "style=" not in page
    assert str(recent) not in page
    wider = client.get("/admin/shop/event/insight/", {"hours": 1}).context["abandoned"]
    assert {c["stream_id"] for c in wider["carts"]} == {old, recent}
    per_day = response.context["per_day"]
    today = per_day["columns"][-1]
    assert today["total"] == Event.objects.filter(recorded_at__date=timezone.localdate()).count()
