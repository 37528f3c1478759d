"""Workloads for ``make bench``, written against the documented API only.

The same module runs on django-automations and on the original 0.9.4.1, so both are
measured on identical automations.
"""
