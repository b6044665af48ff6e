"""10. What encrypting personal data costs: checkout and replay, encryption on beside off.

Checkout: guest checkouts (a new data key each, five fields sealed) in process, committed,
with ``SHOP_ENCRYPT_PERSONAL_DATA`` on and off in turns.

Replay: ``rebuild_projections`` over the million-event log of the replay benchmark, whose
``OrderPlaced`` events ``fill_shoppers`` writes in plain text (as events stored before
encryption are). Rounds of a rebuild over that log ("off"), then ``seal_personal_data``
seals them (a key per guest order, as checkout makes them: the worst case), then rounds
over the sealed log ("on"); each rebuild beside a plain ORM read of the same rows in the
same round. It runs last: the log stays sealed.
"""

from __future__ import annotations

import statistics
import time
import uuid

from benchmarks.harness import ROUNDS, bench_context, record


def bench_checkout_encryption(products) -> None:
    """Committed guest checkouts of a one-line cart, encryption on and off in turns (each
    cart filled beforehand, untimed): the whole command, its commit included."""
    from django.conf import settings

    from carts import domain as cart_domain
    from carts.services import CART
    from orders import domain as order_domain
    from orders.services import order_checkout
    from shop.unitofwork import execute

    print("10. checkout, personal data encrypted vs not (in process)")
    product = products[7]
    add = cart_domain.AddItem(
        product_id=product.id, quantity=1, unit_price=product.unit_price, available=10**6
    )
    customer = order_domain.Customer(email="bench@example.com", user_id=None, actor="guest:b")
    address = order_domain.Address(
        full_name="Bench Shopper",
        address="1 Road",
        city="Town",
        postal_code="1000",
        country="Portugal",
    )

    def checkout(encrypt: bool) -> float:
        cart_id = uuid.uuid4()
        execute(CART, cart_id, add, bench_context())
        settings.SHOP_ENCRYPT_PERSONAL_DATA = encrypt
        start = time.perf_counter()
        order_checkout(
            cart_id=cart_id,
            command_id=uuid.uuid4(),
            customer=customer,
            address=address,
            context=bench_context(),
        )
        return time.perf_counter() - start

    samples: dict[bool, list[float]] = {True: [], False: []}
    try:
        for n in range(320):  # in turns, so the machine's drift hits both alike
            for encrypt in (True, False):
                seconds = checkout(encrypt)
                if n >= 20:  # the first ones warm up
                    samples[encrypt].append(seconds)
    finally:
        settings.SHOP_ENCRYPT_PERSONAL_DATA = True
    on, off = statistics.median(samples[True]), statistics.median(samples[False])
    ratio = on / off
    record(
        "10. personal data",
        "a guest's checkout in process, committed (a new data key, five fields sealed): "
        "encryption on vs off, 300 each in turns",
        f"{on * 1000:.2f} ms",
        f"{off * 1000:.2f} ms",
        f"{ratio:.2f}× ({(ratio - 1) * 100:+.0f}%)",
        "≤ 1.1×",
        ratio <= 1.1,
    )


def _rounds(events: int) -> tuple[list[float], list[float]]:
    """Events/s of a rebuild and of a plain ORM read of the same rows, in turns."""
    from shop import projections
    from shop.models import Event

    rebuild, plain = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _row in Event.objects.order_by("position").iterator(chunk_size=2000):
            pass
        plain.append(events / (time.perf_counter() - start))
        start = time.perf_counter()
        projections.rebuild(projections.registered())
        rebuild.append(events / (time.perf_counter() - start))
    return rebuild, plain


def bench_replay_encryption() -> None:
    """Each rebuild is compared with the plain read of its own round (the machine's load
    drifts between the rounds before sealing and those after); the cost of decrypting is
    how much that ratio drops once the log is sealed."""
    from benchmarks.inprocess import REPLAY_EVENTS, fill_shoppers
    from shop import personal, projections
    from shop.models import Event

    print("10. replay, personal data encrypted vs not")
    events = fill_shoppers(REPLAY_EVENTS)
    placed = Event.objects.filter(event_type="OrderPlaced").count()
    projections.rebuild(projections.registered())  # the rows exist: every round replaces them
    off, plain_off = _rounds(events)
    start = time.perf_counter()
    sealed = personal.seal_stored()
    sealing = time.perf_counter() - start
    on, plain_on = _rounds(events)
    for name, values in (("off", off), ("plain", plain_off), ("on", on), ("plain", plain_on)):
        print(f"  rounds, events/s, {name}: " + ", ".join(f"{r:,.0f}" for r in values))
    off_ratio = statistics.median(r / p for r, p in zip(off, plain_off, strict=True))
    on_ratio = statistics.median(r / p for r, p in zip(on, plain_on, strict=True))
    sealing_rate = f"{sealed / sealing:,.0f} events/s" if sealed else "sealed before"
    record(
        "10. personal data",
        f"rebuild_projections, events/s over {events:,} events, {placed:,} of them "
        "OrderPlaced each with its own guest's key: sealed (on) vs in plain text (off), each "
        f"against a plain ORM read in the same round (seal_personal_data: {sealing_rate})",
        f"{statistics.median(on):,.0f} ({on_ratio:.2f}× plain read)",
        f"{statistics.median(off):,.0f} ({off_ratio:.2f}× plain read)",
        f"{on_ratio / off_ratio:.2f}× ({(on_ratio / off_ratio - 1) * 100:+.0f}%)",
        "on ≥ 0.5× a plain read",
        on_ratio >= 0.5,
    )
