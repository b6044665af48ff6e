"""Wrap every data key with a new master key, without touching a single event."""

from django.core.management.base import BaseCommand

from shop import personal


class Command(BaseCommand):
    help = (
        "Rotate the master key: set SHOP_DATA_KEY to 'NEW,OLD' (the new key first; every "
        "process then reads with both and wraps new keys with NEW), run this command, which "
        "re-wraps every data key with NEW, then set SHOP_DATA_KEY to 'NEW' alone. Events "
        "are not touched. Prints a fresh key with --new-key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key", action="store_true", help="print a fresh master key and stop"
        )

    def handle(self, *args, new_key=False, **options):
        if new_key:
            self.stdout.write(personal.new_master_key())
            return
        changed = personal.rotate_master_key()
        self.stdout.write(
            f"Re-wrapped {changed} data key(s) with master key {personal.master_keys()[0].id}."
        )
