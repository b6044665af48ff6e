"""Encrypt the personal data that events stored before encryption hold in plain text."""

import logging

from django.core.management.base import BaseCommand

from shop import personal

log = logging.getLogger("shop.personal")


class Command(BaseCommand):
    help = (
        "Encrypt, with each data subject's key, the declared personal fields of events "
        "stored before personal data was encrypted. The one sanctioned rewrite of stored "
        "events: only those fields, only where they hold plain text; every event it changes "
        "is logged (and, on PostgreSQL, by the append-only trigger). Run it once after "
        "upgrading; running it again changes nothing."
    )

    def handle(self, *args, **options):
        def note(line: str) -> None:
            log.warning(line)
            self.stdout.write(line)

        sealed = personal.seal_stored(log=note)
        self.stdout.write(f"Sealed the personal data of {sealed} event(s).")
