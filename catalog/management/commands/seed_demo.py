from decimal import Decimal

from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from catalog import demo
from catalog.models import Category, Product, ProductImage
from catalog.services import product_list, shop_money
from shop.aggregates import CommandContext
from shop.money import TaxClass


class Command(BaseCommand):
    help = (
        "List the demo catalog through catalog commands, if the catalog is empty; create the "
        "shop's pages (contact, shipping and returns, privacy, terms) that are missing, and "
        "the shipping methods and VAT rates when there are none."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-pictures",
            action="store_true",
            help="Skip the product pictures (tests that need only the catalog's rows).",
        )

    def handle(self, *args, **options) -> None:
        from shipping.demo import seed_shipping
        from shop.pages import seed_pages

        if seed_pages():
            self.stdout.write("Created the contact, shipping, privacy and terms pages.")
        if seed_shipping():
            self.stdout.write("Created the shipping methods and VAT rates.")
        if Product.objects.exists():
            self.stdout.write("The catalog already has products; nothing seeded.")
            if not options["no_pictures"]:
                self.seed_pictures()
            return
        context = CommandContext(actor="system:seed_demo")
        with transaction.atomic():
            for slug, name in demo.CATEGORIES.items():
                Category.objects.get_or_create(slug=slug, defaults={"name": name})
            for category, name, price, stock, description in demo.PRODUCTS:
                product_list(
                    name=name,
                    slug=slugify(name),
                    category=category,
                    description=description,
                    price=shop_money(price),
                    stock=stock,
                    context=context,
                    tax_class=demo.TAX_CLASSES.get(category, TaxClass.STANDARD),
                )
            self.seed_extras(context)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(demo.CATEGORIES)} categories and {len(demo.PRODUCTS)} products."
            )
        )
        if not options["no_pictures"]:
            self.seed_pictures()

    def seed_pictures(self) -> None:
        """Each demo product without a picture gets its drawing (catalog/demo_pictures)."""
        slugs = {slugify(name) for _, name, *_ in demo.PRODUCTS}
        bare = Product.objects.filter(slug__in=slugs).exclude(
            id__in=ProductImage.objects.values("product_id")
        )
        added = 0
        for product in bare:
            drawing = demo.PICTURES / f"{product.slug}.webp"
            if drawing.exists():
                with drawing.open("rb") as file:
                    ProductImage.objects.create(
                        product=product,
                        image=File(file, name=drawing.name),
                        alt=f"A drawing of {product.name}",
                    )
                added += 1
        if added:
            self.stdout.write(self.style.SUCCESS(f"Added {added} product pictures."))

    def seed_extras(self, context: CommandContext) -> None:
        """Hook for other apps' demo data (coupons)."""
        from carts.models import Coupon

        Coupon.objects.get_or_create(
            code="WELCOME10",
            defaults={"kind": Coupon.Kind.PERCENT, "value": Decimal(10), "minimum_subtotal": 0},
        )
