from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from privacy import admin, domain  # noqa: F401  (admin: the staff page)
        from privacy.services import DATA_SUBJECT
        from shop import aggregates, registry

        registry.register(domain.STREAM_TYPE, domain.EVENTS)
        aggregates.register_decider(DATA_SUBJECT)
