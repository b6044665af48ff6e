from django.db import migrations, models


def lines_name_default_variants(apps, schema_editor):
    """Lines of orders placed before variants are of the product's default variant (its id
    is the product's), as a replay of their events gives them."""
    OrderLine = apps.get_model("orders", "OrderLine")
    OrderLine.objects.update(variant_id=models.F("product_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_guest_orders_by_shopper"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="variant_id",
            field=models.UUIDField(
                null=True,
                help_text="The variant sold (orders placed before variants: the product's id).",
            ),
        ),
        migrations.RunPython(lines_name_default_variants, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="orderline",
            name="variant_id",
            field=models.UUIDField(
                help_text="The variant sold (orders placed before variants: the product's id)."
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="sku",
            field=models.CharField(blank=True, max_length=64, verbose_name="SKU"),
        ),
        migrations.AddField(
            model_name="orderline",
            name="variant_label",
            field=models.CharField(
                blank=True, help_text='The variant\'s options: "500 g, Filter".', max_length=200
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="weight_grams",
            field=models.PositiveIntegerField(
                default=0, help_text="One unit's weight in grams at checkout (0: not recorded)."
            ),
        ),
        migrations.RemoveConstraint(
            model_name="orderline",
            name="orderline_order_product_unique",
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.UniqueConstraint(
                fields=("order", "variant_id"), name="orderline_order_variant_unique"
            ),
        ),
    ]
