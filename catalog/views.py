from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_safe

from catalog import search
from catalog.forms import CatalogFilterForm
from catalog.models import Category, Product, ProductVariant, with_price_range

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
    products = with_price_range(
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


def chosen_options(params: QueryDict, groups: int) -> tuple[str, ...] | None:
    """The option values in a query string (``option-1``, ``option-2``, ...), if any."""
    names = [f"option-{n}" for n in range(1, groups + 1)]
    if not any(name in params for name in names):
        return None
    return tuple(params.get(name, "")[:200] for name in names)


def product_context(
    product: Product, chosen: tuple[str, ...] | None = None, *, related: bool = True
) -> dict:
    """What a product page shows: the product, its option groups (one ``<select>`` each),
    the variant the chosen options name (none chosen: the default one; None: a combination
    not sold), and a few other products from its category."""
    groups = list(product.option_groups.all())
    variants = list(ProductVariant.objects.filter(product_id=product.id))
    for variant in variants:
        variant.product = product
    if chosen is None or len(chosen) != len(groups):
        variant = next((v for v in variants if v.id == product.id), None)
        variant = variant or (variants[0] if variants else None)
    else:
        variant = next((v for v in variants if tuple(v.options) == chosen), None)
    selected = chosen if variant is None and chosen else (variant.options if variant else ())
    choices = [(group, selected[i] if i < len(selected) else "") for i, group in enumerate(groups)]
    others = []
    if related and product.category_id:
        others = list(
            with_price_range(
                Product.objects.filter(category_id=product.category_id, is_listed=True)
            )
            .exclude(id=product.id)
            .prefetch_related("images")
            .order_by("name")[:RELATED]
        )
    return {
        "product": product,
        "related": others,
        "choices": choices,
        "variant": variant,
        "chosen": chosen,
        "detail": True,
    }


@require_safe
def home(request):
    context = catalog_context(request.GET)
    status = context["filter_error"].status if context["filter_error"] else 200
    return render(request, "catalog/product_list.html", context, status=status)


@require_safe
def product(request, slug):
    """A product page; its options in the query string (``?option-1=500 g&option-2=Filter``)
    choose the variant whose price and stock it shows. htmx asks for the buy box alone."""
    products = Product.objects.select_related("category").prefetch_related(
        "images", "option_groups"
    )
    product = get_object_or_404(products, slug=slug)
    chosen = chosen_options(request.GET, len(product.option_groups.all()))
    if request.htmx and chosen is not None:
        context = product_context(product, chosen, related=False)
        context["next_path"] = product.get_absolute_url()
        return render(request, "catalog/_add_form.html", context)
    return render(request, "catalog/product_detail.html", product_context(product, chosen))


def page_at(path: str, chosen: tuple[str, ...] | None = None) -> tuple[str, dict] | None:
    """The catalog page at a local ``path`` (template and context), to show it again with a
    message: a refused add to cart answers with the page the shopper was on."""
    target = urlsplit(path)
    try:
        match = resolve(target.path)
    except Resolver404:
        return None
    if match.view_name == "catalog:product":
        products = Product.objects.select_related("category").prefetch_related(
            "images", "option_groups"
        )
        shown = products.filter(slug=match.kwargs["slug"]).first()
        if shown is None:
            return None
        return "catalog/product_detail.html", product_context(shown, chosen)
    if match.view_name == "catalog:home":
        return "catalog/product_list.html", catalog_context(QueryDict(target.query))
    return None
