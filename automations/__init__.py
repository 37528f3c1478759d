"""Business processes for Django, declared as Python classes and run just in time."""

__version__ = "1.0.0a1"
