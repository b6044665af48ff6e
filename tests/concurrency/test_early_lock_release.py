"""With DB_RELEASE_LOCKS_EARLY=on, a command on a stream releases the stream's lock before its
commit is flushed, and still returns only once the commit is on disk (shop/postgres/base.py).
Off by default: a plain commit."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from carts import domain
from carts.models import CartLine
from carts.services import CART
from shop import aggregates, eventstore, unitofwork
from shop.money import Money
from shop.postgres.base import COMMIT_THEN_FLUSH
from tests.support.servers import shop_setting

pytestmark = pytest.mark.django_db(transaction=True)
CONTEXT = aggregates.CommandContext(actor="system:test")


def add(cart_id: uuid.UUID, product_id: uuid.UUID) -> aggregates.Outcome:
    command = domain.AddItem(
        product_id=product_id, quantity=1, unit_price=Money("4.00", "EUR"), available=99
    )
    return unitofwork.execute(CART, cart_id, command, CONTEXT)


def wal(position: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (pg_current_wal_{position}_lsn() - '0/0'::pg_lsn)::bigint")
        return cursor.fetchone()[0]


def commit_statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "COMMIT" in q["sql"]]


@pytest.fixture
def early_release():
    """Opt in, as DB_RELEASE_LOCKS_EARLY=on does."""
    before = connection.settings_dict.get("RELEASE_LOCKS_EARLY")
    connection.settings_dict["RELEASE_LOCKS_EARLY"] = True
    yield
    connection.settings_dict["RELEASE_LOCKS_EARLY"] = before


def test_off_by_default_a_command_commits_plainly():
    assert not connection.settings_dict.get("RELEASE_LOCKS_EARLY")
    with CaptureQueriesContext(connection) as captured:
        add(uuid.uuid4(), uuid.uuid4())
    assert commit_statements(captured) == ["COMMIT"]


def test_a_command_commits_with_an_early_lock_release(early_release):
    with CaptureQueriesContext(connection) as captured:
        add(uuid.uuid4(), uuid.uuid4())
    assert commit_statements(captured) == [COMMIT_THEN_FLUSH]


def test_a_transaction_without_a_stream_lock_commits_plainly(early_release):
    cart_id = uuid.uuid4()
    add(cart_id, uuid.uuid4())
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        unitofwork.load_state(CART, cart_id)  # no lock
    assert commit_statements(captured) == ["COMMIT"]


def test_a_rolled_back_transaction_leaves_the_next_commit_plain(early_release):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        unitofwork.load_state(CART, uuid.uuid4(), lock=True)
        raise Abandoned
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        unitofwork.load_state(CART, uuid.uuid4())
    assert commit_statements(captured) == ["COMMIT"]


def test_a_command_returns_only_once_its_commit_is_on_disk(early_release):
    """The WAL is flushed past each command's writes by the time the command returns.

    Without the flush after the early COMMIT, the WAL writer would flush those commits
    only some milliseconds later: the control at the end shows this check would see it.
    """
    cart_id = uuid.uuid4()
    for _ in range(20):
        with transaction.atomic():
            loaded = unitofwork.load_state(CART, cart_id, lock=True)
            eventstore.append(
                stream_type="cart",
                stream_id=cart_id,
                events=[
                    domain.ItemAdded(
                        product_id=(one := uuid.uuid4()),
                        variant_id=one,
                        quantity=1,
                        unit_price=Money("4.00", "EUR"),
                    )
                ],
                expected_version=loaded.version,
            )
            written = wal("insert")  # the commit record comes after this
        assert wal("flush") >= written

    unflushed = 0
    for _ in range(20):  # the control: a commit that nobody waits for
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            CartLine.objects.filter(cart_id=cart_id).update(quantity=2)
            written = wal("insert")
        unflushed += wal("flush") < written
    assert unflushed > 0


def test_a_commit_that_fails_stores_nothing_and_the_connection_goes_on(early_release):
    """A deferred check fails at COMMIT: the early release's transaction rolls back whole."""
    cart_id = uuid.uuid4()
    add(cart_id, uuid.uuid4())
    with pytest.raises(IntegrityError), transaction.atomic():
        unitofwork.load_state(CART, cart_id, lock=True)
        # The line's cart has no summary: its deferred foreign key fails at COMMIT.
        CartLine.objects.create(
            cart_id=uuid.uuid4(), product_id=uuid.uuid4(), quantity=1, unit_price=1, currency="EUR"
        )
    assert add(cart_id, uuid.uuid4()).version == 2
    assert CartLine.objects.filter(cart_id=cart_id).count() == 2


@pytest.mark.parametrize(("value", "expected"), [(None, "False"), ("on", "True"), ("off", "False")])
def test_db_release_locks_early_sets_the_backend_up(value, expected):
    shown = shop_setting(
        "settings.DATABASES['default']['ENGINE'], "
        "settings.DATABASES['default']['RELEASE_LOCKS_EARLY']",
        DB_RELEASE_LOCKS_EARLY=value,
    )
    assert shown == f"shop.postgres {expected}"
