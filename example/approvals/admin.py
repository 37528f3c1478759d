from django.contrib import admin

from .models import PurchaseRequest


@admin.register(PurchaseRequest)
class PurchaseRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "amount", "cost_centre", "requested_by", "status"]
    list_filter = ["status", "cost_centre"]
