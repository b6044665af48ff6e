import uuid

import pytest
from django.db import transaction

from carts import domain
from carts.services import CART
from shop import eventstore, snapshots
from shop.aggregates import CommandContext
from shop.models import Snapshot
from shop.unitofwork import execute, load_state
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
CONTEXT = CommandContext(actor="system:tests")


@pytest.fixture
def products():
    return [ProductFactory(stock=1000) for _ in range(3)]


def fill_cart(cart_id, products, commands: int):
    for n in range(commands):
        product = products[n % len(products)]
        command = domain.AddItem(
            product_id=product.id, quantity=1, unit_price=product.unit_price, available=1000
        )
        execute(CART, cart_id, command, CONTEXT)


def replay(cart_id):
    events = [e.event for e in eventstore.load(cart_id)]
    return CART.fold(CART.initial_state, events), len(events)


def test_snapshot_plus_newer_events_equals_a_full_replay(settings, products):
    settings.SHOP_SNAPSHOT_EVERY = 5
    cart_id = uuid.uuid4()
    fill_cart(cart_id, products, 12)
    snapshot = Snapshot.objects.get(stream_id=cart_id)
    assert snapshot.version == 10
    loaded = load_state(CART, cart_id)
    state, version = replay(cart_id)
    assert (loaded.state, loaded.version) == (state, version) == (loaded.state, 12)
    assert loaded.state.item_count == 12


def test_loading_reads_only_the_events_after_the_snapshot(
    settings, products, django_assert_num_queries
):
    settings.SHOP_SNAPSHOT_EVERY = 5
    cart_id = uuid.uuid4()
    fill_cart(cart_id, products, 10)
    with django_assert_num_queries(1):  # the snapshot and the events after it, together
        loaded = load_state(CART, cart_id)
    assert loaded.version == 10


def test_a_snapshot_of_another_shape_is_ignored(settings, products):
    settings.SHOP_SNAPSHOT_EVERY = 1000
    cart_id = uuid.uuid4()
    fill_cart(cart_id, products, 3)
    Snapshot.objects.create(
        stream_id=cart_id,
        stream_type="cart",
        version=3,
        shape="written-by-an-older-cart-class",
        state={"items": "an old layout"},
    )
    loaded = load_state(CART, cart_id)
    assert loaded.state == replay(cart_id)[0]
    assert loaded.state.item_count == 3


def test_an_unreadable_snapshot_of_the_right_shape_is_ignored(settings, products):
    settings.SHOP_SNAPSHOT_EVERY = 1000
    cart_id = uuid.uuid4()
    fill_cart(cart_id, products, 2)
    Snapshot.objects.create(
        stream_id=cart_id,
        stream_type="cart",
        version=2,
        shape=snapshots.shape_of(domain.Cart),
        state={"by_variant": "not a mapping of lines"},
    )
    assert load_state(CART, cart_id).state == replay(cart_id)[0]


def test_snapshots_off_stores_none(settings, products):
    settings.SHOP_SNAPSHOT_EVERY = 0
    cart_id = uuid.uuid4()
    fill_cart(cart_id, products, 6)
    assert not Snapshot.objects.exists()
    assert load_state(CART, cart_id).state.item_count == 6


def test_the_shape_changes_when_the_state_class_changes():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Cart:  # same name, one field fewer
        lines: tuple = ()

    assert snapshots.shape_of(Cart) != snapshots.shape_of(domain.Cart)


def test_merged_and_checked_out_state_round_trips(settings, products):
    settings.SHOP_SNAPSHOT_EVERY = 2
    cart_id = uuid.uuid4()
    fill_cart(cart_id, products, 1)
    line = domain.Line(
        product_id=products[1].id,
        variant_id=products[1].id,
        quantity=2,
        unit_price=products[1].unit_price,
    )
    merge = domain.MergeCart(
        source_cart_id=uuid.uuid4(), lines=(line,), available={products[1].id: 10}
    )
    execute(CART, cart_id, merge, CONTEXT)
    loaded = load_state(CART, cart_id)
    assert Snapshot.objects.get(stream_id=cart_id).version == 2
    assert loaded.state == replay(cart_id)[0]
    assert loaded.state.merged_from


# --- Recent states: the state this process's last command committed ----------------------


def append_elsewhere(cart_id, product, quantity=1):
    """Another process adds to the cart: the event is in the log, not in our recent states."""
    with transaction.atomic():
        loaded = load_state(CART, cart_id)
        added = domain.ItemAdded(
            product_id=product.id,
            variant_id=product.id,
            quantity=quantity,
            unit_price=product.unit_price,
        )
        eventstore.append(
            stream_type="cart", stream_id=cart_id, events=[added], expected_version=loaded.version
        )


def test_a_committed_command_is_remembered_and_the_next_load_reads_only_newer_events(
    settings, products, django_capture_on_commit_callbacks
):
    settings.SHOP_SNAPSHOT_EVERY = 1000
    cart_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        fill_cart(cart_id, products, 3)
    recent = snapshots.recent_states.get(cart_id, domain.Cart)
    assert recent.version == 3 and recent.state == replay(cart_id)[0]
    append_elsewhere(cart_id, products[2], quantity=4)

    loaded = load_state(CART, cart_id)
    assert loaded.folded == 1  # started from what it remembered: only event 4 was read
    assert (loaded.state, loaded.version) == (replay(cart_id)[0], 4)


def test_recent_states_serve_loads_with_snapshots_off(
    settings, products, django_capture_on_commit_callbacks
):
    """The two caches are independent: turning snapshots off keeps the recent states."""
    settings.SHOP_SNAPSHOT_EVERY = 0
    cart_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        fill_cart(cart_id, products, 5)
    assert snapshots.recent_states.get(cart_id, domain.Cart).version == 5
    loaded = load_state(CART, cart_id)
    assert loaded.folded == 0 and loaded.state == replay(cart_id)[0]
    settings.SHOP_RECENT_STATES = 0  # and with both off, the log alone
    loaded = load_state(CART, cart_id)
    assert loaded.folded == 5 and loaded.state == replay(cart_id)[0]


def test_snapshots_off_ignores_a_stored_snapshot(settings, products):
    settings.SHOP_SNAPSHOT_EVERY = 2
    cart_id = uuid.uuid4()
    fill_cart(cart_id, products, 3)
    snapshots.recent_states.clear()
    assert load_state(CART, cart_id).folded == 1
    settings.SHOP_SNAPSHOT_EVERY = 0
    assert load_state(CART, cart_id).folded == 3


def test_a_rolled_back_command_is_not_remembered(settings, products):
    cart_id = uuid.uuid4()
    with pytest.raises(RuntimeError), transaction.atomic():
        fill_cart(cart_id, products, 2)
        raise RuntimeError("the request failed after the command")
    assert snapshots.recent_states.get(cart_id, domain.Cart) is None


def test_a_remembered_state_the_log_does_not_confirm_is_forgotten(settings, products):
    settings.SHOP_SNAPSHOT_EVERY = 1000
    cart_id = uuid.uuid4()
    fill_cart(cart_id, products, 2)
    last = eventstore.load(cart_id)[-1]
    wrong = domain.INITIAL.with_added(products[0].id, products[0].id, 99, products[0].unit_price)
    for version, position in ((2, last.position + 1000), (5, last.position)):
        # Same version at another position (the database was emptied and refilled), or a
        # version the log does not reach: either way not this log's state.
        snapshots.recent_states.remember(cart_id, snapshots.Recent(version, position, wrong))
        loaded = load_state(CART, cart_id)
        assert loaded.state == replay(cart_id)[0] and loaded.version == 2
        assert snapshots.recent_states.get(cart_id, domain.Cart) is None


def test_a_newer_snapshot_wins_over_an_older_recent_state(
    settings, products, django_capture_on_commit_callbacks
):
    settings.SHOP_SNAPSHOT_EVERY = 4
    cart_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        fill_cart(cart_id, products, 1)
    for _ in range(5):
        append_elsewhere(cart_id, products[1])
    snapshots.write("cart", cart_id, replay(cart_id)[0], 6)  # another process's snapshot
    loaded = load_state(CART, cart_id)
    assert loaded.version == 6 and loaded.folded == 0
    assert loaded.state == replay(cart_id)[0]


def test_the_oldest_states_make_room_and_zero_remembers_none(settings):
    settings.SHOP_RECENT_STATES = 2
    states = snapshots.RecentStates()
    streams = [uuid.uuid4() for _ in range(3)]
    for n, stream in enumerate(streams, start=1):
        states.remember(stream, snapshots.Recent(n, n, domain.INITIAL))
    assert states.get(streams[0], domain.Cart) is None
    assert states.get(streams[2], domain.Cart).version == 3
    settings.SHOP_RECENT_STATES = 0
    states.remember(streams[0], snapshots.Recent(1, 1, domain.INITIAL))
    assert states.get(streams[0], domain.Cart) is None
