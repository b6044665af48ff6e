from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.forms import CatalogFilterForm
from catalog.models import Category, Product
from shop.web import refuse

PAGE_SIZE = 12


@require_GET
def home(request):
    filters = CatalogFilterForm.from_query(request.GET)
    if not filters.is_valid():
        message = next(iter(filters.errors.values()))[0]
        return refuse(request, f"That search could not be run: {message}", status=400)
    products = Product.objects.filter(is_listed=True).select_related("category")
    categories = list(Category.objects.all())
    active = filters.cleaned_data["category"]
    if active:
        products = products.filter(category_id=active)
    query = filters.cleaned_data["q"]
    if query:
        products = products.filter(Q(name__icontains=query) | Q(description__icontains=query))
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "categories": categories,
        "active_category": next((c for c in categories if c.slug == active), None),
        "query": query,
    }
    return render(request, "catalog/product_list.html", context)


@require_GET
def product(request, slug):
    product = get_object_or_404(Product.objects.select_related("category"), slug=slug)
    return render(request, "catalog/product_detail.html", {"product": product})
