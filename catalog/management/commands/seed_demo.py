import uuid
from decimal import Decimal

from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from catalog import demo, domain
from catalog.models import Category, Product, ProductImage
from catalog.services import product_edit, product_id_for, shop_money
from shop.aggregates import CommandContext


class Command(BaseCommand):
    help = (
        "List the demo catalog through catalog commands, if the catalog is empty; create the "
        "shop's pages (contact, shipping and returns, privacy, terms) that are missing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-pictures",
            action="store_true",
            help="Skip the product pictures (tests that need only the catalog's rows).",
        )

    def handle(self, *args, **options) -> None:
        from shop.pages import seed_pages

        if seed_pages():
            self.stdout.write("Created the contact, shipping, privacy and terms pages.")
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
                self.list_product(category, name, price, stock, description, context)
            self.seed_extras(context)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(demo.CATEGORIES)} categories and {len(demo.PRODUCTS)} products."
            )
        )
        if not options["no_pictures"]:
            self.seed_pictures()

    @staticmethod
    def list_product(category, name, price, stock, description, context) -> None:
        """List a demo product with its option groups and variants, in one unit of work.

        Variant ids derive from the product's and their option values (the default one's is
        the product's), SKUs from the slug and the options.
        """
        slug = slugify(name)
        product_id = product_id_for(slug)
        groups, variants = demo.variants_of(category, name, price, stock)
        (_, first_price, first_stock, first_grams, first_code), *others = variants
        sku = slug.upper() + (f"-{first_code}" if first_code else "")
        commands: list[domain.Command] = [
            domain.ListProduct(
                name=name,
                slug=slug,
                category=category,
                description=description,
                price=shop_money(first_price),
                variant_id=product_id,
                sku=sku,
                weight_grams=first_grams,
            ),
            domain.AdjustStock(on_hand=first_stock, reason="opening stock"),
            *(domain.AddOptionGroup(name=group, values=values) for group, values in groups),
            *(
                domain.AddVariant(
                    variant_id=uuid.uuid5(product_id, "/".join(options)),
                    sku=f"{slug.upper()}-{code}",
                    price=shop_money(variant_price),
                    weight_grams=grams,
                    options=options,
                    on_hand=variant_stock,
                )
                for options, variant_price, variant_stock, grams, code in others
            ),
        ]
        product_edit(product_id=product_id, commands=commands, context=context)

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
