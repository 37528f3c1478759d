"""Approving purchases: two reviews side by side, the board for large amounts."""

from datetime import timedelta
from decimal import Decimal

from automations import flow
from automations.flow import this

from . import finance
from .models import PurchaseRequest

#: Purchases above this amount also need the board's vote.
BOARD_LIMIT = Decimal("10000.00")
#: How long the lawyers take (days in real life).
LEGAL_REVIEW_TIME = timedelta(seconds=2)
#: When the board meets, counted from when its meeting is planned.
BOARD_MEETS_AFTER = timedelta(seconds=4)


class PurchaseApproval(flow.Automation):
    """Legal and finance review a purchase request in parallel; large ones go to the board.

    Start it with ``PurchaseApproval(purchase=<a saved PurchaseRequest>)``.
    """

    class Meta:
        verbose_name = "Purchase approval"
        verbose_name_plural = "Purchase approvals"

    purchase = PurchaseRequest

    start = flow.Execute(this.open_review)
    reviews = flow.Split().Next(this.legal_review).Next(this.finance_review)

    legal_review = (
        flow.Execute(this.review_contract).AfterWaitingFor(LEGAL_REVIEW_TIME).Next(this.reviewed)
    )

    finance_review = (
        flow.Execute(this.check_budget).OnError(this.budget_unknown).Next(this.reviewed)
    )
    budget_unknown = flow.Execute(this.refer_to_controller)

    reviewed = flow.Join()
    route = flow.If(this.needs_board).Then(this.board_vote).Else(this.decide)
    board_vote = flow.Execute(this.note_board_vote).AsSoonAs(this.board_has_voted)
    decide = flow.If(this.approvable).Then(this.approve).Else(this.reject)
    end = flow.End()

    def open_review(self, task):
        self.purchase.status = PurchaseRequest.Status.IN_REVIEW
        self.purchase.save(update_fields=["status"])
        return f"reviewing {self.purchase}"

    def review_contract(self, task):
        self.data["legal"] = "cleared"
        self.save()
        return "no legal objections"

    def check_budget(self, task):
        """Compare the amount with the cost centre's budget (raises for an unknown one)."""
        remaining = finance.remaining_budget(self.purchase.cost_centre)
        if self.purchase.amount <= remaining:
            self.data["finance"] = "within budget"
        else:
            self.data["finance"] = f"over budget ({remaining} EUR left)"
        self.save()
        return self.data["finance"]

    def refer_to_controller(self, task):
        """The error handler of ``finance_review``: note why there is no budget."""
        self.data["finance"] = f"referred to the controller: {task.previous.message}"
        self.save()
        return "referred to the controller"

    def needs_board(self, task):
        return self.purchase.amount > BOARD_LIMIT

    def board_has_voted(self, task):
        return "board" in self.data

    def note_board_vote(self, task):
        return f"board: {self.data['board']}"

    def receive_board_vote(self, token, data):
        """The board's vote, sent by a ``BoardMeeting`` to every running approval."""
        if self.purchase.amount <= BOARD_LIMIT or "board" in self.data:
            return "not for the board"
        approved = self.purchase.amount <= Decimal(data["approve_up_to"])
        self.data["board"] = "approved" if approved else "rejected"
        self.save()
        return self.data["board"]

    def approvable(self, task):
        return (
            self.data.get("legal") == "cleared"
            and self.data.get("finance") == "within budget"
            and self.data.get("board", "approved") == "approved"
        )

    def approve(self, task):
        return self._conclude(PurchaseRequest.Status.APPROVED)

    def reject(self, task):
        return self._conclude(PurchaseRequest.Status.REJECTED)

    def _conclude(self, status):
        self.purchase.status = status
        self.purchase.save(update_fields=["status"])
        self.data["outcome"] = status.value
        self.save()
        return f"{self.purchase.title}: {status.label}"

    def summary(self) -> str:
        """One line on the request and its outcome."""
        reasons = ", ".join(
            f"{key} {self.data[key]}" for key in ("legal", "finance", "board") if key in self.data
        )
        return f"{self.purchase}: {self.purchase.get_status_display()} ({reasons})"


class BoardMeeting(flow.Automation):
    """The board meets once and votes on every purchase that waits for it."""

    class Meta:
        verbose_name = "Board meeting"

    meet = flow.SendMessage(
        PurchaseApproval, "board_vote", data={"approve_up_to": "50000.00"}
    ).AfterWaitingFor(BOARD_MEETS_AFTER)
    end = flow.End()

    def summary(self) -> str:
        return "the board has met"
