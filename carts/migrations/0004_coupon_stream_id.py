"""Coupons get a stream id of their own, so that a change of code keeps their redemptions.

Until now a coupon's stream id was derived from its code; existing coupons keep exactly that
stream (and so their redemptions). New coupons get a random one.
"""

import uuid

from django.db import migrations, models

# carts.coupons.COUPON_NAMESPACE, copied: a migration must not change when the app does.
COUPON_NAMESPACE = uuid.UUID("0b4e2f7c-52a4-4f1e-8f5e-3c0d7a9e6b21")


def keep_existing_streams(apps, schema_editor):
    Coupon = apps.get_model("carts", "Coupon")
    for coupon in Coupon.objects.all():
        coupon.stream_id = uuid.uuid5(COUPON_NAMESPACE, coupon.code.strip().upper())
        coupon.save(update_fields=["stream_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("carts", "0003_customer_cart"),
    ]

    operations = [
        migrations.AddField(
            model_name="coupon",
            name="stream_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(keep_existing_streams, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="coupon",
            name="stream_id",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text="The coupon's event stream (its redemptions); stays when the code changes.",
                unique=True,
            ),
        ),
    ]
