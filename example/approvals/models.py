from django.db import models


class PurchaseRequest(models.Model):
    """Something an employee wants to buy, and where its approval stands."""

    class Status(models.TextChoices):
        OPEN = "open", "open"
        IN_REVIEW = "in_review", "in review"
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"

    title = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=10, decimal_places=2, help_text="In euros.")
    cost_centre = models.CharField(max_length=20)
    requested_by = models.EmailField()
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)

    def __str__(self):
        return f"{self.title} ({self.amount} EUR)"
