"""The tag library's name in django-automations 0.9: ``{% load atm_tags %}`` still works."""

from .automations_tags import register

__all__ = ["register"]
