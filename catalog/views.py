from urllib.parse import urlsplit

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_safe

from catalog import search
from catalog.forms import CatalogFilterForm
from catalog.models import Category, Product
from shop.web import refuse

PAGE_SIZE = 12
RELATED = 4  # related products shown on a product page


class BadFilter(Exception):
    """The catalog's query string cannot be run; the message says why."""


def catalog_context(params: QueryDict) -> dict:
    """What the catalog page shows for a query string (home, a category, a search)."""
    filters = CatalogFilterForm.from_query(params)
    if not filters.is_valid():
        raise BadFilter(next(iter(filters.errors.values()))[0])
    products = (
        Product.objects.filter(is_listed=True).select_related("category").prefetch_related("images")
    )
    categories = list(Category.objects.all())
    active = filters.cleaned_data["category"]
    if active:
        products = products.filter(category_id=active)
    query = filters.cleaned_data["q"]
    listed = products
    if query:
        products = search.search(products, query, categories)
    page = Paginator(products, PAGE_SIZE).get_page(params.get("page"))
    closest = []
    if query and page.paginator.count == 0:
        page.object_list = products.none()  # nothing to read: the page costs no query
        closest = search.closest(listed, query)  # a typo still finds something
    return {
        "page": page,
        "closest": closest,
        "categories": categories,
        "active_category": next((c for c in categories if c.slug == active), None),
        "query": query,
    }


def product_context(product: Product) -> dict:
    """What a product page shows: the product and a few others from its category."""
    related = []
    if product.category_id:
        related = list(
            Product.objects.filter(category_id=product.category_id, is_listed=True)
            .exclude(id=product.id)
            .prefetch_related("images")
            .order_by("name")[:RELATED]
        )
    return {"product": product, "related": related}


@require_safe
def home(request):
    try:
        context = catalog_context(request.GET)
    except BadFilter as error:
        return refuse(request, f"That search could not be run: {error}", status=400)
    return render(request, "catalog/product_list.html", context)


@require_safe
def product(request, slug):
    products = Product.objects.select_related("category").prefetch_related("images")
    product = get_object_or_404(products, slug=slug)
    return render(request, "catalog/product_detail.html", product_context(product))


def page_at(path: str) -> tuple[str, dict] | None:
    """The catalog page at a local ``path`` (template and context), to show it again with a
    message: a refused add to cart answers with the page the shopper was on."""
    target = urlsplit(path)
    try:
        match = resolve(target.path)
    except Resolver404:
        return None
    if match.view_name == "catalog:product":
        products = Product.objects.select_related("category").prefetch_related("images")
        shown = products.filter(slug=match.kwargs["slug"]).first()
        return ("catalog/product_detail.html", product_context(shown)) if shown else None
    if match.view_name == "catalog:home":
        try:
            return "catalog/product_list.html", catalog_context(QueryDict(target.query))
        except BadFilter:
            return None
    return None
