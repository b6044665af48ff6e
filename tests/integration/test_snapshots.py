import uuid

import pytest

from carts import domain
from carts.services import CART
from shop import eventstore, snapshots
from shop.aggregates import CommandContext, execute, load_state
from shop.models import Snapshot
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
        state={"by_product": "not a mapping of lines"},
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
    line = domain.Line(product_id=products[1].id, quantity=2, unit_price=products[1].unit_price)
    merge = domain.MergeCart(
        source_cart_id=uuid.uuid4(), lines=(line,), available={products[1].id: 10}
    )
    execute(CART, cart_id, merge, CONTEXT)
    loaded = load_state(CART, cart_id)
    assert Snapshot.objects.get(stream_id=cart_id).version == 2
    assert loaded.state == replay(cart_id)[0]
    assert loaded.state.merged_from
