from django.db import models


class BasketLine(models.Model):
    """What a conventional shop stores for a cart: one mutable row per line."""

    basket_id = models.UUIDField(db_index=True)
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, db_constraint=False)
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["basket_id", "product"], name="basket_line_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"
