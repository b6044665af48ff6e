"""Rebuild every registered projection from the event log, or check them for drift."""

import time

from django.core.management.base import BaseCommand, CommandError

from shop import projections
from shop.models import Event

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Rebuild every projection from the event log, in position order. With --check, "
        "rebuild into a transaction that is rolled back and report every row that differs "
        "from the stored projections (exit 1 on any drift)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="report drift, change nothing; exit 1 on drift"
        )
        parser.add_argument(
            "--projection",
            action="append",
            dest="names",
            metavar="NAME",
            help="only this projection (repeatable); default: all",
        )
        parser.add_argument("--chunk-size", type=int, default=projections.CHUNK_SIZE)

    def handle(self, *args, check=False, names=None, chunk_size=projections.CHUNK_SIZE, **opts):
        known = {p.name: p for p in projections.registered()}
        unknown = sorted(set(names or ()) - known.keys())
        if unknown:
            raise CommandError(
                f"unknown projection(s): {', '.join(unknown)}; known: {sorted(known)}"
            )
        chosen = [known[name] for name in names] if names else list(known.values())
        total = Event.objects.count()
        self.stdout.write(
            f"{'Checking' if check else 'Rebuilding'} {', '.join(p.name for p in chosen)} "
            f"from {total} events"
        )
        started = time.perf_counter()
        progress = self._progress(total)
        if check:
            drift, count = projections.check(chosen, chunk_size=chunk_size, progress=progress)
        else:
            drift, count = [], projections.rebuild(chosen, chunk_size=chunk_size, progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write("")
        rate = count / elapsed if elapsed > 0 else float(count)
        self.stdout.write(f"{count} events in {elapsed:.2f} s ({rate:,.0f} events/s)")
        if not check:
            self.stdout.write(self.style.SUCCESS("Projections rebuilt."))
            return
        for row in drift:
            self.stdout.write(f"DRIFT {row}")
        if drift:
            raise CommandError(f"{len(drift)} row(s) differ from the log.", returncode=1)
        self.stdout.write(self.style.SUCCESS("No drift: the projections match the log."))

    def _progress(self, total: int):
        def show(done: int) -> None:
            filled = BAR_WIDTH * done // total if total else BAR_WIDTH
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stdout.write(f"\r[{bar}] {done}/{total}", ending="")
            self.stdout.flush()

        return show
