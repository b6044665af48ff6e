from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_safe

from catalog import search
from catalog.forms import CatalogFilterForm
from catalog.models import Category, Product

PAGE_SIZE = 12
RELATED = 4  # related products shown on a product page


@dataclass(frozen=True, slots=True)
class FilterRefused:
    """A filter of the catalog's query string that cannot be run: the page leaves it out and
    shows ``message`` beside its ``field``; the view answers ``status`` (422 invalid, 404
    unknown)."""

    field: str  # "q" (the search box) or "category" (the category list)
    message: str
    status: int


def catalog_context(params: QueryDict) -> dict:
    """What the catalog page shows for a query string (home, a category, a search).

    A filter that cannot be run (a category slug with odd characters, an unknown category,
    a NUL in the search) is left out; ``filter_error`` says which and why."""
    filters = CatalogFilterForm.from_query(params)
    refused = None
    if not filters.is_valid():
        field, errors = next(iter(filters.errors.items()))
        refused = FilterRefused(field, errors[0], 422)
    products = (
        Product.objects.filter(is_listed=True).select_related("category").prefetch_related("images")
    )
    categories = list(Category.objects.all())
    active = filters.cleaned_data.get("category", "")
    active_category = next((c for c in categories if c.slug == active), None)
    if active and active_category is None:
        refused = refused or FilterRefused("category", "There is no such category.", 404)
    if active_category:
        products = products.filter(category_id=active_category.slug)
    query = filters.cleaned_data.get("q", "")
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
        "active_category": active_category,
        "query": query,
        "filter_error": refused,
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
    context = catalog_context(request.GET)
    status = context["filter_error"].status if context["filter_error"] else 200
    return render(request, "catalog/product_list.html", context, status=status)


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
        return "catalog/product_list.html", catalog_context(QueryDict(target.query))
    return None
