"""Personal data in events: encrypted per data subject, erased by destroying the key.

The kernel (shop/personal.py), the order declarations, and the privacy app's erasure,
export and retention, through the services, the pages and the management commands.
"""

import json
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from carts.models import CouponFailures
from orders.models import OrderLine, OrderSummary
from privacy import services
from privacy.domain import Reason, subject_stream
from shop import eventstore, personal, projections, registry
from shop.models import DataKey, Event, Snapshot
from shop.registry import ERASED
from shop.snapshots import Recent, recent_states
from subscriptions.models import Email
from tests.factories import PASSWORD, SYSTEM, ProductFactory, add_to_cart, sign_up
from tests.integration.test_checkout import checkout_form
from tests.journeys import staff_user
from tests.payments import pay
from tests.subscribing import drain

pytestmark = pytest.mark.django_db


def unique_person() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {
        "email": f"zq{tag}@example.org",
        "full_name": f"Quillon Xaverius {tag}",
        "address": f"{tag} Wisteria Lane",
        "city": "Ljubljana",
        "postal_code": f"P{tag[:6]}",
        "country": "Slovenia",
    }


@pytest.fixture
def tea():
    return ProductFactory(name="Gyokuro", price="12.00", stock=50)


def place_order(client, product, person, quantity=1) -> OrderSummary:
    assert add_to_cart(client, product, quantity).status_code in (200, 302)
    response = client.post("/checkout/", {**person, **checkout_form(client)})
    assert response.status_code == 302, response.content[:500]
    return OrderSummary.objects.order_by("-placed_at").first()


def stored(order_id) -> str:
    row = Event.objects.get(stream_id=order_id, event_type="OrderPlaced")
    return json.dumps(row.data)


def customer(client, person, username=None):
    username = username or f"user{uuid.uuid4().hex[:8]}"
    assert sign_up(client, username, email=person["email"]).status_code == 302
    return User.objects.get(username=username)


# --- Sealing ------------------------------------------------------------------------------------


def test_the_personal_fields_of_an_order_are_stored_encrypted_with_the_customers_key(client, tea):
    person = unique_person()
    user = customer(client, person)
    order = place_order(client, tea, person)
    text = stored(order.order_id)
    for field in ("email", "full_name", "address", "postal_code"):
        assert person[field] not in text
    assert f'"{registry.SEALED}user:{user.pk}~' in text
    assert '"country": "SI"' in text  # Slovenia's code: not personal alone, and VAT needs it
    event = eventstore.load(order.order_id)[0].event
    assert event.customer.email == person["email"]
    assert event.address.full_name == person["full_name"]
    assert (order.email, order.full_name) == (person["email"], person["full_name"])
    key = DataKey.objects.get(subject=f"user:{user.pk}")
    assert key.wrapped is not None and len(bytes(key.wrapped)) == 12 + 32 + 16


def test_a_guest_order_has_a_key_of_its_own(client, tea):
    first = place_order(client, tea, unique_person())
    second = place_order(client, tea, unique_person())
    assert f"order:{first.order_id}" in stored(first.order_id)
    assert (
        DataKey.objects.filter(
            subject__in=[f"order:{first.order_id}", f"order:{second.order_id}"]
        ).count()
        == 2
    )


def test_no_aggregate_state_holds_personal_data(client, tea):
    """Snapshots and recent states keep states: none holds a personal value in plain text.

    The unit of work folds events as stored (sealed); and even folded from the decrypted
    events, as the staff timeline does, no state keeps a personal value.
    """
    person = unique_person()
    customer(client, person)
    order = place_order(client, tea, person)
    assert pay(order.order_id).paid
    from shop.aggregates import decider_for
    from shop.unitofwork import load_state

    plain = [v for k, v in person.items() if k != "country"]
    streams = Event.objects.values_list("stream_type", "stream_id").distinct()
    assert len(streams) >= 3
    for stream_type, stream_id in streams:
        decider = decider_for(stream_type)
        loaded = repr(load_state(decider, stream_id).state)
        folded = repr(
            decider.fold(decider.initial_state, [r.event for r in eventstore.load(stream_id)])
        )
        assert not [v for v in plain if v in loaded or v in folded], stream_type


def test_without_the_master_key_a_data_key_cannot_be_opened(client, tea):
    order = place_order(client, tea, unique_person())
    with override_settings(SHOP_DATA_KEY=personal.new_master_key()):
        with pytest.raises(personal.DataKeyError, match="SHOP_DATA_KEY"):
            eventstore.load(order.order_id)


def test_a_malformed_master_key_is_refused():
    with override_settings(SHOP_DATA_KEY="too-short"):
        with pytest.raises(personal.ImproperlyConfigured, match="32 random bytes"):
            personal.master_keys()


def test_production_refuses_to_start_without_a_master_key():
    from subprocess import CalledProcessError

    from tests.support.servers import shop_setting

    with pytest.raises(CalledProcessError) as refused:
        shop_setting("settings.SHOP_DATA_KEY", SHOP_DATA_KEY=None, DEBUG="0")
    assert "SHOP_DATA_KEY is not set" in refused.value.stderr
    assert shop_setting("len(settings.SHOP_DATA_KEY)", SHOP_DATA_KEY="x" * 44) == "44"


# --- Rotating the master key --------------------------------------------------------------------


def test_the_master_key_rotates_without_touching_an_event(client, tea):
    person = unique_person()
    customer(client, person)
    order = place_order(client, tea, person)
    old = settings.SHOP_DATA_KEY
    new = personal.new_master_key()
    events_before = list(Event.objects.order_by("position").values_list("position", "data"))
    with override_settings(SHOP_DATA_KEY=f"{new},{old}"):
        out = StringIO()
        call_command("rotate_data_key", stdout=out)
        assert "Re-wrapped 1 data key(s)" in out.getvalue()
        call_command("rotate_data_key", stdout=out)
        assert "Re-wrapped 0 data key(s)" in out.getvalue()
    with override_settings(SHOP_DATA_KEY=new):  # the old key is gone for good
        assert eventstore.load(order.order_id)[0].event.customer.email == person["email"]
    assert list(Event.objects.order_by("position").values_list("position", "data")) == events_before
    with override_settings(SHOP_DATA_KEY=old), pytest.raises(personal.DataKeyError):
        eventstore.load(order.order_id)


def test_rotate_data_key_prints_a_fresh_key():
    out = StringIO()
    call_command("rotate_data_key", "--new-key", stdout=out)
    key = out.getvalue().strip()
    assert len(key) == 44 and key != settings.SHOP_DATA_KEY
    with override_settings(SHOP_DATA_KEY=key):
        assert len(personal.master_keys()) == 1


# --- Erasing a customer -------------------------------------------------------------------------


def erased_everywhere(order: OrderSummary, person: dict) -> None:
    order.refresh_from_db()
    assert (order.email, order.full_name, order.address, order.city, order.postal_code) == (
        ERASED,
    ) * 5
    assert order.country == "SI"  # the country chosen (Slovenia) is kept by its code
    assert order.total > 0 and OrderLine.objects.filter(order=order).exists()
    placed = eventstore.load(order.order_id)[0].event
    assert placed.customer.email == ERASED and placed.address.full_name == ERASED
    assert placed.total.amount == order.total and placed.lines


def test_a_customer_deletes_their_account(client, tea):
    person = unique_person()
    user = customer(client, person)
    first = place_order(client, tea, person, quantity=2)
    second = place_order(client, tea, person)
    for order in (first, second):  # paid: each gets its confirmation
        assert pay(order.order_id).paid
    drain(send=False)
    assert Email.objects.filter(to=person["email"]).count() == 2
    session_key = client.session.session_key
    AccessAttempt.objects.create(
        username=user.username, ip_address="10.0.0.1", failures_since_start=1
    )
    AccessLog.objects.create(username=user.username, ip_address="10.0.0.1")

    response = client.post("/accounts/data/delete/", {"password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    assert not AccessLog.objects.filter(username=user.username).exists()
    assert not Email.objects.exists()
    for order in (first, second):
        erased_everywhere(order, person)
    assert DataKey.objects.get(subject=f"user:{user.pk}").wrapped is None
    erasure = Event.objects.get(event_type="PersonalDataErased")
    assert erasure.stream_id == subject_stream(f"user:{user.pk}")
    text = json.dumps(erasure.data) + json.dumps(erasure.metadata)
    assert not [v for k, v in person.items() if v in text]
    assert erasure.data["reason"] == Reason.CUSTOMER
    assert set(erasure.data["streams"]) >= {str(first.order_id), str(second.order_id)}
    home = client.get("/")
    assert "Your account is deleted" in home.content.decode()
    assert not home.wsgi_request.user.is_authenticated


def test_a_wrong_password_deletes_nothing(client, tea):
    person = unique_person()
    user = customer(client, person)
    order = place_order(client, tea, person)
    events = Event.objects.count()
    response = client.post("/accounts/data/delete/", {"password": "not-my-password"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "That is not your password" in page and 'aria-invalid="true"' in page
    assert 'action="/accounts/data/delete/"' in page
    assert User.objects.filter(pk=user.pk).exists()
    order.refresh_from_db()
    assert order.email == person["email"]
    assert Event.objects.count() == events
    assert client.post("/accounts/data/delete/", {}).status_code == 422


def test_delete_my_account_needs_a_login_and_a_post(client):
    assert client.get("/accounts/data/").status_code == 302
    assert client.post("/accounts/data/delete/", {"password": "x"}).status_code == 302
    sign_up(client, "wanda")
    assert client.get("/accounts/data/delete/").status_code == 405
    page = client.get("/accounts/data/").content.decode()
    assert "Delete my account" in page and "What we keep" in page and "amounts" in page


def test_an_erased_order_keeps_working_for_decisions_rebuilds_and_staff(client, tea):
    person = unique_person()
    user = customer(client, person)
    order = place_order(client, tea, person)
    services.customer_erase(user=user, context=SYSTEM, reason=Reason.STAFF)
    assert pay(order.order_id).paid  # decisions still fold
    order.refresh_from_db()
    assert order.status == "paid" and order.email == ERASED
    drift, _ = projections.check(projections.registered())
    assert drift == []
    out = StringIO()
    call_command("rebuild_projections", "--check", stdout=out)
    assert "DRIFT" not in out.getvalue()
    projections.rebuild()
    order.refresh_from_db()
    assert order.email == ERASED and order.status == "paid"
    staff = staff_user(
        "peeker", permissions=[("shop", "view_event"), ("shop", "view_personal_data")]
    )
    client.force_login(staff)
    timeline = client.get(f"/admin/shop/event/stream/{order.order_id}/")
    assert timeline.status_code == 200 and ERASED in timeline.content.decode()
    assert client.get("/admin/shop/event/insight/").status_code == 200


def test_a_rebuilds_keys_loaded_at_its_start_miss_no_key_made_later(client, tea):
    """A rebuild loads every data key at once (``reading(every_key=True)``): an order placed
    after that still reads in plain text, and an erased customer's order as erased."""
    gone, later = unique_person(), unique_person()
    user = customer(client, gone)
    erased = place_order(client, tea, gone)
    services.customer_erase(user=user, context=SYSTEM, reason=Reason.STAFF)
    client.logout()
    with transaction.atomic(), personal.reading(every_key=True):
        placed = place_order(client, tea, later)  # its key is made after the loading
        assert f"order:{placed.order_id}" not in personal._reading_keys()
        event = eventstore.load(placed.order_id)[0].event
        assert (event.customer.email, event.address.full_name) == (
            later["email"],
            later["full_name"],
        )
        event = eventstore.load(erased.order_id)[0].event
        assert (event.customer.email, event.address.address) == (ERASED, ERASED)
    projections.rebuild()
    placed.refresh_from_db()
    assert placed.email == later["email"]
    assert OrderSummary.objects.get(order_id=erased.order_id).email == ERASED


def test_a_rebuild_loads_the_data_keys_only_when_it_replays_personal_data(client, tea):
    """Orders hold personal data, carts none: a rebuild of the carts reads no data key, one of
    the orders reads them all in one query."""
    from django.test.utils import CaptureQueriesContext

    place_order(client, tea, unique_person())
    by_name = {p.name: p for p in projections.registered()}
    table = DataKey._meta.db_table
    with CaptureQueriesContext(connection) as carts:
        projections.rebuild([by_name["carts"]])
    with CaptureQueriesContext(connection) as orders:
        projections.rebuild([by_name["orders"]])
    assert not [q["sql"] for q in carts if table in q["sql"]]
    assert len([q["sql"] for q in orders if table in q["sql"]]) == 1


def test_erasure_drops_the_streams_snapshots_and_recent_states(client, tea):
    person = unique_person()
    user = customer(client, person)
    order = place_order(client, tea, person)
    Snapshot.objects.create(
        stream_id=order.order_id, stream_type="order", version=1, shape="x", state={}
    )
    recent_states.remember(order.order_id, Recent(1, 1, "state"))
    services.customer_erase(user=user, context=SYSTEM, reason=Reason.STAFF)
    assert not Snapshot.objects.filter(stream_id=order.order_id).exists()
    assert recent_states.get(order.order_id, str) is None


def test_a_second_erasure_is_refused_and_changes_nothing(client, tea):
    person = unique_person()
    user = customer(client, person)
    place_order(client, tea, person)
    services.customer_erase(user=user, context=SYSTEM, reason=Reason.STAFF)
    events = Event.objects.count()
    with pytest.raises(services.AlreadyErased):
        services.customer_erase(user=user, context=SYSTEM, reason=Reason.STAFF)
    with pytest.raises(services.NothingToErase):
        services.erase_by_staff(identifier=person["email"], context=SYSTEM)
    assert Event.objects.count() == events


def test_a_claimed_guest_order_is_erased_with_its_customer(client, tea):
    person = unique_person()
    guest_order = place_order(client, tea, person)  # as a guest, then signs up
    user = customer(client, person)
    guest_order.refresh_from_db()
    assert guest_order.customer_id == user.pk
    services.customer_erase(user=user, context=SYSTEM, reason=Reason.CUSTOMER)
    erased_everywhere(guest_order, person)
    assert DataKey.objects.get(subject=f"order:{guest_order.order_id}").wrapped is None


# --- Staff erasure ------------------------------------------------------------------------------


@pytest.fixture
def eraser(client):
    user = staff_user(
        "eraser",
        permissions=[("shop", "view_event"), ("shop", "erase_personal_data")],
    )
    return user


def test_staff_erase_a_guests_email_from_the_admin(client, tea, eraser):
    person = unique_person()
    order = place_order(client, tea, person)
    other = place_order(client, tea, unique_person())
    client.force_login(eraser)
    page = client.get("/admin/shop/event/personal-data/")
    assert page.status_code == 200 and "Erase personal data" in page.content.decode()
    response = client.post(
        "/admin/shop/event/personal-data/",
        {"action": "erase", "erase-identifier": person["email"].upper(), "erase-confirm": "on"},
    )
    assert response.status_code == 302
    erased_everywhere(order, person)
    other.refresh_from_db()
    assert other.email != ERASED
    event = Event.objects.get(event_type="PersonalDataErased")
    assert event.data["subject"] == f"order:{order.order_id}"
    assert event.data["reason"] == Reason.STAFF
    assert "eraser" in json.dumps(event.metadata) or str(eraser.pk) in event.metadata["actor"]
    again = client.post(
        "/admin/shop/event/personal-data/",
        {"action": "erase", "erase-identifier": person["email"], "erase-confirm": "on"},
    )
    assert again.status_code == 404
    assert "No customer account and no guest order" in again.content.decode()
    assert Event.objects.filter(event_type="PersonalDataErased").count() == 1


def test_staff_erase_a_customer_by_user_name(client, tea, eraser):
    person = unique_person()
    user = customer(client, person, username="ferdinand")
    order = place_order(client, tea, person)
    client.logout()
    client.force_login(eraser)
    response = client.post(
        "/admin/shop/event/personal-data/",
        {"action": "erase", "erase-identifier": "ferdinand", "erase-confirm": "on"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    erased_everywhere(order, person)


def test_staff_erasure_refuses_bad_input_on_its_page(client, tea, eraser):
    client.force_login(eraser)
    unknown = client.post(
        "/admin/shop/event/personal-data/",
        {"action": "erase", "erase-identifier": "nobody@example.org", "erase-confirm": "on"},
    )
    assert unknown.status_code == 404
    unconfirmed = client.post(
        "/admin/shop/event/personal-data/", {"action": "erase", "erase-identifier": "x@example.org"}
    )
    assert unconfirmed.status_code == 422 and "Tick this box" in unconfirmed.content.decode()
    assert not Event.objects.filter(event_type="PersonalDataErased").exists()


def test_staff_without_the_permission_cannot_erase_or_see_personal_data(client, tea):
    person = unique_person()
    order = place_order(client, tea, person)
    plain = staff_user(
        "plain", permissions=[("shop", "view_event"), ("orders", "view_ordersummary")]
    )
    client.force_login(plain)
    assert client.get("/admin/shop/event/personal-data/").status_code == 403
    assert (
        client.post(
            "/admin/shop/event/personal-data/",
            {"action": "erase", "erase-identifier": person["email"], "erase-confirm": "on"},
        ).status_code
        == 403
    )
    event = Event.objects.get(stream_id=order.order_id)
    for url in (
        f"/admin/shop/event/{event.pk}/change/",
        f"/admin/shop/event/stream/{order.order_id}/",
        f"/admin/orders/ordersummary/{order.order_id}/change/",
        "/admin/orders/ordersummary/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert person["email"] not in text and person["full_name"] not in text, url
        assert person["address"] not in text, url
    assert personal.MASK in client.get(f"/admin/shop/event/{event.pk}/change/").content.decode()
    searched = client.get("/admin/orders/ordersummary/", {"q": person["email"]})
    assert order.number not in searched.content.decode()
    seer = staff_user(
        "seer",
        permissions=[
            ("shop", "view_event"),
            ("shop", "view_personal_data"),
            ("orders", "view_ordersummary"),
        ],
    )
    client.force_login(seer)
    for url in (
        f"/admin/shop/event/{event.pk}/change/",
        f"/admin/shop/event/stream/{order.order_id}/",
    ):
        assert person["email"] in client.get(url).content.decode(), url


# --- Export -------------------------------------------------------------------------------------


def test_download_my_data_is_one_json_file_decrypted(client, tea):
    person = unique_person()
    user = customer(client, person)
    order = place_order(client, tea, person, quantity=3)
    add_to_cart(client, tea, 1)  # an open cart too
    response = client.get("/accounts/data/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["username"] == user.username
    assert data["profile"]["email"] == person["email"]
    assert [o["order_id"] for o in data["orders"]] == [str(order.order_id)]
    assert data["orders"][0]["full_name"] == person["full_name"]
    assert data["orders"][0]["lines"][0]["quantity"] == 3
    assert len(data["carts"]) == 2
    placed = [e for e in data["events"] if e["event_type"] == "OrderPlaced"]
    assert placed[0]["data"]["customer"]["email"] == person["email"]
    assert placed[0]["data"]["address"]["address"] == person["address"]
    assert registry.SEALED not in response.content.decode()
    assert {e["event_type"] for e in data["events"]} >= {"ItemAdded", "CartCheckedOut"}


# --- Retention ----------------------------------------------------------------------------------


def test_retention_erases_old_guest_orders_and_old_records(client, tea):
    from django.test import Client

    guest = Client()  # another browser: its orders stay a guest's when `client` signs up
    old_guest = place_order(guest, tea, unique_person())
    young_guest = place_order(guest, tea, unique_person())
    person = unique_person()
    customer(client, person)
    old_customer = place_order(client, tea, person)
    years_ago = timezone.now() - timedelta(days=3 * 365 + 1)
    OrderSummary.objects.filter(order_id__in=[old_guest.order_id, old_customer.order_id]).update(
        placed_at=years_ago
    )
    Session.objects.create(session_key="x" * 32, session_data="e30:", expire_date=years_ago)
    old_try = AccessAttempt.objects.create(
        username="a", ip_address="10.0.0.2", failures_since_start=1
    )
    AccessAttempt.objects.filter(pk=old_try.pk).update(
        attempt_time=timezone.now() - timedelta(days=31)
    )
    AccessAttempt.objects.create(username="b", ip_address="10.0.0.3", failures_since_start=1)
    CouponFailures.objects.create(
        key="address:10.0.0.4", since=timezone.now() - timedelta(days=40), failures=3
    )

    out = StringIO()
    call_command("apply_retention", stdout=out)

    assert "Erased 1 guest order(s)" in out.getvalue()
    old_guest.refresh_from_db()
    assert old_guest.email == ERASED and old_guest.total > 0
    for kept in (young_guest, old_customer):
        kept.refresh_from_db()
        assert kept.email != ERASED
    assert not Session.objects.filter(session_key="x" * 32).exists()
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["b"]
    assert not CouponFailures.objects.exists()
    erasure = Event.objects.get(event_type="PersonalDataErased")
    assert erasure.data["reason"] == Reason.RETENTION
    call_command("apply_retention", stdout=out)  # again: nothing more
    assert Event.objects.filter(event_type="PersonalDataErased").count() == 1


def test_retention_period_is_the_shops(client, tea):
    order = place_order(client, tea, unique_person())
    OrderSummary.objects.filter(order_id=order.order_id).update(
        placed_at=timezone.now() - timedelta(days=40)
    )
    with override_settings(SHOP_GUEST_ORDER_RETENTION=timedelta(days=30)):
        done = services.retention_apply(context=SYSTEM)
    assert done.guest_orders == 1


# --- Events stored before encryption ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_seal_personal_data_encrypts_only_the_plain_fields_of_old_events(client, tea):
    person = unique_person()
    with override_settings(SHOP_ENCRYPT_PERSONAL_DATA=False):
        old = place_order(client, tea, person)
    assert person["email"] in stored(old.order_id)
    new = place_order(client, tea, unique_person())
    untouched = {
        row.position: (row.data, row.metadata, row.recorded_at, row.version)
        for row in Event.objects.exclude(stream_id=old.order_id, event_type="OrderPlaced")
    }
    before = Event.objects.get(stream_id=old.order_id, event_type="OrderPlaced")
    new_text = stored(new.order_id)

    out = StringIO()
    call_command("seal_personal_data", stdout=out)

    assert "Sealed the personal data of 1 event(s)." in out.getvalue()
    assert f"event #{before.position} (OrderPlaced): personal data sealed" in out.getvalue()
    after = Event.objects.get(position=before.position)
    text = json.dumps(after.data)
    assert person["email"] not in text and person["full_name"] not in text
    assert after.data["total"] == before.data["total"]
    assert (after.metadata, after.recorded_at, after.version) == (
        before.metadata,
        before.recorded_at,
        before.version,
    )
    assert stored(new.order_id) == new_text
    for row in Event.objects.filter(position__in=untouched):
        assert (row.data, row.metadata, row.recorded_at, row.version) == untouched[row.position]
    assert eventstore.load(old.order_id)[0].event.customer.email == person["email"]
    call_command("seal_personal_data", stdout=out)
    assert "Sealed the personal data of 0 event(s)." in out.getvalue()
    # And it is now erasable like any other.
    with transaction.atomic():
        services.guest_order_erase(
            order=OrderSummary.objects.get(order_id=old.order_id),
            reason=Reason.STAFF,
            context=SYSTEM,
        )
    assert eventstore.load(old.order_id)[0].event.customer.email == ERASED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_trigger_lets_only_the_sealing_through(tea, client):
    from django.db import DatabaseError

    order = place_order(client, tea, unique_person())
    position = Event.objects.get(stream_id=order.order_id, event_type="OrderPlaced").position
    table = Event._meta.db_table
    for statement in (
        f"UPDATE {table} SET data = data WHERE position = %s",
        f"DELETE FROM {table} WHERE position = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(statement, [position])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SELECT set_config('shop.sealing_personal_data', 'on', true)")
        cursor.execute(
            f"UPDATE {table} SET metadata = '{{}}'::jsonb WHERE position = %s", [position]
        )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SELECT set_config('shop.sealing_personal_data', 'on', true)")
        cursor.execute(f"DELETE FROM {table} WHERE position = %s", [position])
    with transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SELECT set_config('shop.sealing_personal_data', 'on', true)")
        cursor.execute(f"UPDATE {table} SET data = data WHERE position = %s", [position])
        assert cursor.rowcount == 1


def test_the_staff_erasure_form_survives_hostile_fields(client, tea, eraser):
    from hypothesis import given
    from hypothesis import strategies as st

    from tests.integration.test_fuzz import FUZZ, HOSTILE

    person = unique_person()
    order = place_order(client, tea, person)
    client.force_login(eraser)

    @FUZZ
    @given(
        identifier=HOSTILE,
        confirm=st.one_of(HOSTILE, st.just("on"), st.none()),
        action=st.one_of(st.just("erase"), st.just("export"), HOSTILE),
        extra=st.dictionaries(st.sampled_from(["next", "csrfmiddlewaretoken", "id"]), HOSTILE),
    )
    def check(identifier, confirm, action, extra):
        data = {**extra, "action": action, "erase-identifier": identifier}
        if confirm is not None:
            data["erase-confirm"] = confirm
        before = Event.objects.count()
        response = client.post("/admin/shop/event/personal-data/", data)
        assert response.status_code in (302, 403, 404, 422), (data, response.status_code)
        if response.status_code != 302:
            assert Event.objects.count() == before
        if response.status_code in (404, 422):
            assert 'name="erase-identifier"' in response.content.decode()

    check()
    order.refresh_from_db()
    assert order.email == person["email"]  # no hostile value named this guest


def test_staff_export_a_persons_data_and_apply_retention_from_the_admin(client, tea, eraser):
    from django.test import Client

    person = unique_person()
    guest = Client()
    order = place_order(guest, tea, person)
    username = customer(client, unique_person() | {"email": person["email"]}).username
    officer = staff_user(
        "officer",
        permissions=[
            ("shop", "view_event"),
            ("shop", "view_personal_data"),
            ("shop", "erase_personal_data"),
        ],
    )
    client.force_login(officer)
    url = "/admin/shop/event/personal-data/"
    response = client.post(url, {"action": "export", "export-identifier": person["email"]})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [c["profile"]["username"] for c in data["customers"]] == [username]
    assert data["guest_orders"][0]["full_name"] == person["full_name"]
    assert data["guest_events"][0]["data"]["address"]["address"] == person["address"]
    unknown = client.post(url, {"action": "export", "export-identifier": "no@example.org"})
    assert unknown.status_code == 404 and "No customer account" in unknown.content.decode()
    events = Event.objects.count()
    assert client.post(url, {"action": "launch"}).status_code == 422
    OrderSummary.objects.filter(order_id=order.order_id).update(
        placed_at=timezone.now() - timedelta(days=4 * 365)
    )
    done = client.post(url, {"action": "retention"}, follow=True)
    assert "1 guest order(s) erased" in done.content.decode()
    order.refresh_from_db()
    assert order.email == ERASED
    assert Event.objects.count() == events + 1
    client.force_login(eraser)  # may erase, may not see personal data
    assert client.post(url, {"action": "export", "export-identifier": username}).status_code == 403
    assert 'name="export-identifier"' not in client.get(url).content.decode()
