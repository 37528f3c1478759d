import pytest
from django.db import connection

from automations import clock


@pytest.fixture(autouse=True)
def _real_clock():
    """Every test starts (and ends) with the real clock installed."""
    clock.set_source(None)
    yield
    clock.set_source(None)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (runs in the PostgreSQL pass)")
