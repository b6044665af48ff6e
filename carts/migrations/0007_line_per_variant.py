import django.db.models.deletion
from django.db import migrations, models


def lines_name_default_variants(apps, schema_editor):
    """Lines stored before variants are of their product's default variant (its id is the
    product's), as a replay of their events gives them."""
    CartLine = apps.get_model("carts", "CartLine")
    CartLine.objects.update(variant_id=models.F("product_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("carts", "0006_coupon_failures"),
        ("catalog", "0004_variants"),
    ]

    operations = [
        migrations.AddField(
            model_name="cartline",
            name="variant",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                help_text="The variant (a line per variant; the default one's id is the product's).",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="catalog.productvariant",
            ),
        ),
        migrations.RunPython(lines_name_default_variants, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cartline",
            name="variant",
            field=models.ForeignKey(
                db_constraint=False,
                help_text="The variant (a line per variant; the default one's id is the product's).",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="catalog.productvariant",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="cartline",
            name="cartline_cart_product_unique",
        ),
        migrations.AddConstraint(
            model_name="cartline",
            constraint=models.UniqueConstraint(
                fields=("cart", "variant"), name="cartline_cart_variant_unique"
            ),
        ),
    ]
