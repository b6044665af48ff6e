"""Staff edit a product's option groups and variants in the admin; every save is commands.

Adding groups and variants, changing a variant's price, stock, SKU, weight and options; a
save that changes nothing records nothing; bad input at every field is an error beside it
(422) that stores nothing, fuzzed; a stock figure made stale by a checkout is refused."""

import uuid
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carts.services import cart_add_item
from catalog.models import ProductVariant
from orders.domain import Address, Customer
from orders.services import order_checkout
from shop.models import Event
from tests.factories import SYSTEM, ProductFactory, coffee_with_variants
from tests.support.fuzz import JSONISH, NUMBERS, WORDS

pytestmark = pytest.mark.django_db


def url(product) -> str:
    return f"/admin/catalog/product/{product.id}/variants/"


def shown(client, product) -> dict:
    """The page's form as the admin shows it: every field's value, hidden ones too."""
    response = client.get(url(product))
    assert response.status_code == 200
    page = response.context["page"]
    data = {}
    for form in page.forms():
        for field in form:
            value = field.value()
            data[field.html_name] = "" if value is None else str(value)
    return data


def events_of(product) -> list[str]:
    return list(
        Event.objects.filter(stream_id=product.id)
        .order_by("version")
        .values_list("event_type", flat=True)
    )


def no_drift() -> bool:
    out = StringIO()
    call_command("rebuild_projections", "--check", stdout=out)
    return "No drift" in out.getvalue()


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser("boss", password="boss-password-1")
    client.force_login(user)
    return user


@pytest.fixture
def tea():
    return ProductFactory(name="Assam Breakfast", price="6.40", stock=20)


def test_staff_add_two_option_groups_then_a_variant(client, superuser, tea):
    data = shown(client, tea)
    data.update(
        {
            "group-0-name": "Size",
            "group-0-values": "50 g, 100 g",
            "group-1-name": "Leaf",
            "group-1-values": "Whole, Broken",
        }
    )
    response = client.post(url(tea), data)
    assert response.status_code == 302
    assert events_of(tea)[-4:] == [
        "OptionGroupAdded",
        "VariantChanged",
        "OptionGroupAdded",
        "VariantChanged",
    ]
    default = ProductVariant.objects.get(id=tea.id)
    assert default.label == "50 g, Whole"
    data = shown(client, tea)
    data.update(
        {
            "new-sku": "ASSAM-100-BR",
            "new-price": "11.50",
            "new-stock": "7",
            "new-weight_grams": "115",
            "new-option-1": "100 g",
            "new-option-2": "Broken",
        }
    )
    assert client.post(url(tea), data).status_code == 302
    added = ProductVariant.objects.get(sku="ASSAM-100-BR")
    assert (added.price, added.stock, added.weight_grams, added.label) == (
        pytest.approx(11.5),
        7,
        115,
        "100 g, Broken",
    )
    assert events_of(tea)[-2:] == ["VariantAdded", "StockAdjusted"]
    page = client.get(tea.get_absolute_url()).content.decode()
    assert '<label for="option-2-' in page and ">Leaf</label>" in page
    assert no_drift()


def test_a_save_that_changes_nothing_records_nothing(client, superuser):
    coffee = coffee_with_variants(sold=[("250 g", "Filter"), ("500 g", "Filter")])
    before = Event.objects.count()
    response = client.post(url(coffee), shown(client, coffee), follow=True)
    assert "Nothing changed, so nothing was recorded." in response.content.decode()
    assert Event.objects.count() == before


def test_a_variants_price_stock_sku_weight_and_options_change(client, superuser):
    coffee = coffee_with_variants(sold=[("250 g", "Filter"), ("500 g", "Filter")])
    variant = ProductVariant.objects.get(sku="BC-500G-FILTER")
    prefix = f"v-{variant.id}"
    data = shown(client, coffee)
    data.update(
        {
            f"{prefix}-price": "18.40",
            f"{prefix}-stock": "3",
            f"{prefix}-sku": "BC-500-ES",
            f"{prefix}-weight_grams": "520",
            f"{prefix}-option-2": "Espresso",
        }
    )
    assert client.post(url(coffee), data).status_code == 302
    variant.refresh_from_db()
    assert (str(variant.price), variant.stock, variant.sku, variant.weight_grams) == (
        "18.40",
        3,
        "BC-500-ES",
        520,
    )
    assert variant.label == "500 g, Espresso"
    assert events_of(coffee)[-3:] == ["VariantChanged", "ProductPriceChanged", "StockAdjusted"]
    assert no_drift()


BAD = [
    ("price", "-1", "A price must be positive."),
    ("price", "abc", "Enter a number."),
    ("price", "", "A variant needs a price."),
    ("stock", "-4", "Stock cannot be negative."),
    ("stock", "many", "Enter a whole number."),
    ("weight_grams", "-5", "A weight is a whole number of grams from 0 to 1,000,000."),
    ("weight_grams", '{"g": 1}', "Enter a whole number."),
    ("sku", "BC-250G-FILTER", "Another variant of this product has the SKU BC-250G-FILTER."),
    ("sku", "", "A SKU is 1 to 64 letters"),
    ("sku", "<b>x</b>", "A SKU is 1 to 64 letters"),
    ("option-1", "2 kg", "Choose one of the Size values."),
    ("option-1", "250 g", "Another variant (BC-250G-FILTER) is sold as 250 g, Filter already."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD)
@pytest.mark.parametrize("row", ["existing", "new"])
def test_bad_input_is_an_error_beside_the_field_and_stores_nothing(
    client, superuser, field, value, message, row
):
    coffee = coffee_with_variants(sold=[("250 g", "Filter"), ("500 g", "Filter")])
    data = shown(client, coffee)
    if row == "existing":
        prefix = f"v-{ProductVariant.objects.get(sku='BC-500G-FILTER').id}"
    else:
        prefix = "new"
        data.update(
            {
                "new-sku": "BC-1KG-FILTER",
                "new-price": "25.80",
                "new-stock": "2",
                "new-weight_grams": "1000",
                "new-option-1": "1 kg",
                "new-option-2": "Filter",
            }
        )
        if field == "sku" and value == "":
            message = "A variant needs a SKU."
    data[f"{prefix}-{field}"] = value
    before = Event.objects.count()
    response = client.post(url(coffee), data)
    assert response.status_code == 422
    page = response.context["page"]
    form = next(form for form in page.forms() if form.prefix == prefix)
    errors = " ".join(form.errors.get(field, [])) or " ".join(form.non_field_errors())
    assert message in errors, form.errors
    assert "Nothing was saved" in response.content.decode()
    assert Event.objects.count() == before


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("", "Size needs at least one value"),
        ("250 g, 250 G", "Size has a value twice."),
        ("250 g, 1 kg", "A variant is sold as 500 g: change or remove that variant first."),
    ],
)
def test_bad_option_values_are_refused(client, superuser, values, message):
    coffee = coffee_with_variants(sold=[("250 g", "Filter"), ("500 g", "Filter")])
    data = {**shown(client, coffee), "group-0-values": values}
    before = Event.objects.count()
    response = client.post(url(coffee), data)
    assert response.status_code == 422
    assert message in " ".join(response.context["page"].groups[0].errors["values"])
    assert Event.objects.count() == before


def test_a_stock_figure_a_checkout_made_stale_is_refused_not_written_over(client, superuser):
    coffee = coffee_with_variants(sold=[("250 g", "Filter"), ("500 g", "Filter")], stock=10)
    variant = ProductVariant.objects.get(sku="BC-500G-FILTER")
    prefix = f"v-{variant.id}"
    data = shown(client, coffee)  # staff open the page: 10 on hand
    cart_id = uuid.uuid4()
    cart_add_item(cart_id=cart_id, product=coffee, variant=variant, quantity=4, context=SYSTEM)
    order_checkout(  # meanwhile a shopper buys 4
        cart_id=cart_id,
        command_id=uuid.uuid4(),
        customer=Customer(email="ada@example.com"),
        address=Address(
            full_name="Ada", address="1 Road", city="Town", postal_code="1", country="UK"
        ),
        context=SYSTEM,
    )
    data[f"{prefix}-stock"] = "12"  # staff counted 2 more than they saw
    before = Event.objects.count()
    response = client.post(url(coffee), data)
    assert response.status_code == 422
    form = next(f for f in response.context["page"].forms() if f.prefix == prefix)
    assert form.errors["stock"] == [
        "The stock changed to 6 since this form was opened (an order or another save): "
        "check the figure and save again."
    ]
    assert Event.objects.count() == before
    assert ProductVariant.objects.get(id=variant.id).stock == 6
    assert f'name="{prefix}-stock_shown" value="6"' in response.content.decode()
    # Saving again from the page as shown now goes through.
    data[f"{prefix}-stock_shown"] = "6"
    data[f"{prefix}-stock"] = "8"
    assert client.post(url(coffee), data).status_code == 302
    assert ProductVariant.objects.get(id=variant.id).stock == 8
    # The product's own change form refuses a stale figure too.
    change = f"/admin/catalog/product/{coffee.id}/change/"
    form = client.get(change).context["adminform"].form
    default = ProductVariant.objects.get(id=coffee.id)
    assert form.initial["stock_shown"] == default.stock
    posted = {
        "name": coffee.name,
        "category": "coffee",
        "description": coffee.description,
        "price": str(default.price),
        "tax_class": coffee.tax_class,
        "stock": "1",
        "stock_shown": str(default.stock + 3),
        "is_listed": "on",
    }
    response = client.post(change, posted)
    assert response.status_code == 200
    assert "The stock changed to" in " ".join(response.context["adminform"].form.errors["stock"])
    assert ProductVariant.objects.get(id=coffee.id).stock == default.stock
    assert no_drift()


def test_staff_without_the_change_permission_cannot_open_the_page(client):
    coffee = coffee_with_variants(sold=[("250 g", "Filter")])
    viewer = User.objects.create_user("viewer", password="viewer-password-1", is_staff=True)
    client.force_login(viewer)
    assert client.get(url(coffee)).status_code == 403
    assert client.post(url(coffee), {"new-sku": "X"}).status_code == 403


VALUE = st.one_of(WORDS, NUMBERS, JSONISH, st.just(""), st.just("500 g"), st.just("Filter"))
ROW = ["sku", "price", "stock", "weight_grams", "stock_shown", "option-1", "option-2"]
FUZZED = [
    *(f"new-{name}" for name in ROW),
    *(f"OLD-{name}" for name in ROW),
    "group-0-name",
    "group-0-values",
    "group-2-name",
    "group-2-values",
]


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.dictionaries(st.sampled_from(FUZZED), VALUE, min_size=1, max_size=4))
def test_fuzzed_variant_forms_never_fail_and_store_only_what_they_accept(client, changes):
    if not User.objects.filter(username="fuzz").exists():
        User.objects.create_superuser("fuzz", password="fuzz-password-1")
    client.force_login(User.objects.get(username="fuzz"))
    coffee = coffee_with_variants(
        f"Fuzz {uuid.uuid4().hex[:8]}", sold=[("250 g", "Filter"), ("500 g", "Filter")]
    )
    old = ProductVariant.objects.get(product=coffee, sku="BC-500G-FILTER")
    data = shown(client, coffee)
    for name, value in changes.items():
        data[name.replace("OLD", f"v-{old.id}")] = value
    before = Event.objects.count()
    response = client.post(url(coffee), data)
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert any(form.errors for form in response.context["page"].forms())
        assert Event.objects.count() == before
    assert no_drift()
