"""The worker behind ``manage.py run_subscriptions``: every subscriber, the mailer, the relay.

Each job (a subscriber, ``mailer``, ``relay`` to RabbitMQ when ``BROKER_URL`` is set,
``cart-reminders``, ``unpaid-orders``: ``payments.services.expire_unpaid_orders`` once a
minute) runs in one worker at a time (``subscriptions.locks``); a worker tries
every few seconds to take the jobs nobody holds, so two workers share them and either takes
over what the other held when it dies. Three threads, each with its own database
connection: the subscribers (they share one safe high-water mark), the mailer and the
relay, so a slow SMTP server or broker never holds up the subscribers. Idle, the
subscribers and the relay poll every ``poll`` seconds (0.1), the mailer every second. A lost
database is waited out: the thread closes its connection, sleeps and tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection

from shop.highwater import HighWaterMark
from subscriptions import core, emails, locks, outbox, reminders

log = logging.getLogger(__name__)

CLAIM_EVERY = 2.0  # seconds between attempts to take jobs nobody holds
REMINDERS_EVERY = 60.0
PRUNE_EVERY = 3600.0  # seconds between two prunings of the relayed outbox messages
UNPAID_ORDERS_EVERY = 60.0
MAIL_POLL = 1.0  # seconds the mailer waits when idle: an email leaves within a second


def job_names() -> list[str]:
    names = [f"subscriber:{s.name}" for s in core.subscribers()]
    names += ["mailer", "cart-reminders", "unpaid-orders"]
    if settings.BROKER_URL:
        names.append("relay")
    return names


class Worker:
    def __init__(self, *, poll: float = 0.1, batch: int = core.BATCH_SIZE) -> None:
        self.poll = poll
        self.batch = batch
        self.stop = threading.Event()
        self.held: set[str] = set()
        self._locks = locks.for_database()
        self._threads: list[threading.Thread] = []
        # Where each subscriber's checkpoint was after its last batch here: checkpoints only
        # move forward, so one at or past the mark has nothing to read (no idle queries).
        self._positions: dict[str, int] = {}
        # Subscribers whose checkpoint row shows no error since this worker took them: no
        # query per round to clear one.
        self._clean: set[str] = set()
        # monotonic times: at once, then every …
        self._next_reminders = self._next_prune = self._next_unpaid = 0.0

    # --- jobs ---------------------------------------------------------------------------

    def run_subscribers(self, mark: HighWaterMark) -> bool:
        """One round over the subscribers this worker holds; True if any had work.

        No flush barrier first (the relay has one): handlers write only to the database,
        and a batch that handled events commits synchronously, so its commit, which comes
        after theirs in the WAL, is on disk only once every event it acted on is.
        """
        names = [s for s in core.subscribers() if f"subscriber:{s.name}" in self.held]
        if not names:
            return False
        up_to = mark.poll()
        busy = False
        for subscriber in names:
            if self._positions.get(subscriber.name, -1) >= up_to:
                continue
            try:
                while f"subscriber:{subscriber.name}" in self.held and not self.stop.is_set():
                    position = core.run_batch(subscriber, up_to=up_to, size=self.batch)
                    self._positions[subscriber.name] = position
                    if position >= up_to:
                        break
                    busy = True
                if subscriber.name not in self._clean:
                    core.clear_error(subscriber.name)
                    self._clean.add(subscriber.name)
            except core.TRANSIENT:
                raise
            except Exception as error:
                log.exception("subscriber %s failed", subscriber.name)
                core.record_error(subscriber.name, error)
                self._clean.discard(subscriber.name)
        return busy

    def run_mailer(self) -> bool:
        busy = False
        if "mailer" in self.held:
            busy = emails.send_due() > 0
        if "cart-reminders" in self.held and time.monotonic() >= self._next_reminders:
            reminders.enqueue_due()
            self._next_reminders = time.monotonic() + REMINDERS_EVERY
        if "unpaid-orders" in self.held and time.monotonic() >= self._next_unpaid:
            from payments.services import expire_unpaid_orders

            self._next_unpaid = time.monotonic() + UNPAID_ORDERS_EVERY
            expire_unpaid_orders()
        return busy

    def run_relay(self) -> bool:
        if "relay" not in self.held:
            return False
        if time.monotonic() >= self._next_prune:
            pruned = outbox.prune_published()
            if pruned:
                log.info("relay: deleted %d relayed outbox messages", pruned)
            self._next_prune = time.monotonic() + PRUNE_EVERY
        try:
            return outbox.relay_due() > 0
        except outbox.RelayUnavailable:
            self.stop.wait(2.0)
            return False

    # --- the loop -----------------------------------------------------------------------

    def _loop(self, name: str, step: Callable[[], bool], idle: float) -> None:
        while not self.stop.is_set():
            try:
                busy = step()
            except core.TRANSIENT as error:
                log.warning("%s: database unavailable (%s); retrying", name, error)
                connection.close()
                self.stop.wait(1.0)
                continue
            except Exception:
                log.exception("%s failed; retrying", name)
                self.stop.wait(1.0)
                continue
            finally:
                close_old_connections()
            if not busy:
                self.stop.wait(idle)
        connection.close()

    def claim(self) -> None:
        if self.held and not self._locks.alive():
            log.warning("lost the job locks; giving up %s", sorted(self.held))
            self.held.clear()
        for job in job_names():
            if job in self.held:
                continue
            try:
                if self._locks.try_acquire(job):
                    log.info("running %s", job)
                    self.held.add(job)
                    if job.startswith("subscriber:"):  # another worker may have left an error
                        self._clean.discard(job.removeprefix("subscriber:"))
            except Exception as error:
                log.warning("could not take %s: %s", job, error)
                self._locks.close()
                self.held.clear()
                return

    def start(self) -> None:
        self._next_reminders = self._next_prune = self._next_unpaid = 0.0
        mark = HighWaterMark()
        steps = {
            "subscribers": (lambda: self.run_subscribers(mark), self.poll),
            "mailer": (self.run_mailer, max(self.poll, MAIL_POLL)),
            "relay": (self.run_relay, self.poll),
        }
        self.claim()
        for name, (step, idle) in steps.items():
            thread = threading.Thread(target=self._loop, args=(name, step, idle), name=name)
            thread.start()
            self._threads.append(thread)

    def run(self) -> None:
        """Run until ``stop`` is set (SIGTERM, SIGINT)."""
        self.start()
        try:
            while not self.stop.wait(CLAIM_EVERY):
                self.claim()
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self._locks.close()
        self.held.clear()
