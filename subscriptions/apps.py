from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from shop import personal
        from subscriptions import emails, outbox

        emails.register_subscribers()
        personal.register_eraser("emails", emails.erase_personal)
        outbox.connect()
