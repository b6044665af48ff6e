from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Event store"

    def ready(self) -> None:
        from shop import personal, registry

        # Sealed personal values are decrypted (or read as "[erased]") whenever an event is.
        registry.set_reveal(personal.reveal, personal.reveal_text)
