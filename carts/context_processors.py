from django.utils.functional import SimpleLazyObject

from carts.session import cart_item_count


def cart_badge(request):
    """``cart_count`` for the header's cart link, queried only when a page shows it."""
    return {"cart_count": SimpleLazyObject(lambda: cart_item_count(request))}
