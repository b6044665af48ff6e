"""``manage.py expire_unpaid_orders``: cancel orders unpaid for SHOP_UNPAID_ORDER_TIMEOUT
(30 minutes), releasing their stock and coupons, and finish payments and refunds a crash
interrupted. Idempotent: run it every minute from a scheduler (cron, a systemd timer);
``manage.py run_subscriptions`` also runs it once a minute."""

from django.core.management.base import BaseCommand

from payments.services import expire_unpaid_orders


class Command(BaseCommand):
    help = (
        "Cancel orders left unpaid for SHOP_UNPAID_ORDER_TIMEOUT (stock and coupons go back), "
        "and finish payments and refunds a crash interrupted."
    )

    def handle(self, *args, **options) -> None:
        sweep = expire_unpaid_orders()
        self.stdout.write(
            f"Cancelled {sweep.cancelled} unpaid order(s); resumed {sweep.resumed} capture(s), "
            f"gave up {sweep.abandoned} unanswered payment(s), refunded {sweep.refunded}."
        )
