"""Apply the retention periods; run it daily from a scheduler (cron, a systemd timer)."""

from django.core.management.base import BaseCommand

from privacy.services import retention_apply
from shop.aggregates import CommandContext


class Command(BaseCommand):
    help = (
        "Erase the personal data of guest orders older than SHOP_GUEST_ORDER_RETENTION "
        "(default 3 years; amounts stay), delete expired sessions, and delete log-in and "
        "coupon throttling records older than 30 days. Safe to run at any time, repeatedly."
    )

    def handle(self, *args, **options):
        done = retention_apply(context=CommandContext(actor="system:apply_retention"))
        self.stdout.write(
            f"Erased {done.guest_orders} guest order(s); deleted {done.sessions} expired "
            f"session(s) and {done.login_records} throttling record(s)."
        )
