"""``manage.py run_subscriptions``: run every subscriber, the mailer and the relay."""

import signal

from django.core.management.base import BaseCommand

from subscriptions.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the subscribers (order emails, cart reminders), send due emails and, with "
        "BROKER_URL set, relay integration events to RabbitMQ. Start as many as you like: "
        "each job runs in one worker at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--poll", type=float, default=0.1, help="Seconds to wait when idle (0.1)."
        )
        parser.add_argument(
            "--batch", type=int, default=500, help="Events per subscriber transaction (500)."
        )

    def handle(self, *args, poll, batch, **options):
        worker = Worker(poll=poll, batch=batch)

        def stop(signum, frame):
            worker.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("run_subscriptions: started")
        worker.run()
        self.stdout.write("run_subscriptions: stopped")
