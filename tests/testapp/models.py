from django.db import models


class Webinar(models.Model):
    title = models.CharField(max_length=100)
    starts = models.DateTimeField(null=True, blank=True)


class Ledger(models.Model):
    """Rows written by test automations, to count a step's database effects."""

    automation_id = models.BigIntegerField()
    node = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)


class Document(models.Model):
    title = models.CharField(max_length=100)
    approved = models.BooleanField(default=False)
