"""The finance department's view of things: budgets per cost centre."""

from decimal import Decimal

#: What each cost centre may still spend this year.
BUDGETS = {
    "IT": Decimal("5000.00"),
    "MARKETING": Decimal("40000.00"),
}


class UnknownCostCentre(LookupError):
    """A purchase names a cost centre that has no budget."""


def remaining_budget(cost_centre: str) -> Decimal:
    """What ``cost_centre`` may still spend; raises ``UnknownCostCentre`` if it has no budget."""
    try:
        return BUDGETS[cost_centre]
    except KeyError:
        raise UnknownCostCentre(f"no budget for cost centre {cost_centre!r}") from None
