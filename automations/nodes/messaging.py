"""``SendMessage``: talk to other automation instances from inside a flow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import ModifierError
from ..outcomes import Advance
from ..references import Value
from .base import Node, is_reference
from .execute import storable

if TYPE_CHECKING:
    from ..declarations import Resolver
    from ..runtime.context import StepContext


class SendMessage(Node):
    """Send ``message`` to ``target``: an automation id, an instance, a class (all its
    running instances) or the dotted path of a class. ``data`` (or extra keyword
    arguments) is handed to the receiver; it may be a callable taking the task.
    """

    def __init__(
        self,
        target: Any,
        message: str,
        token: Any = None,
        data: Any = None,
        description: str = "",
        **kwargs: Any,
    ):
        super().__init__(description=description)
        if not isinstance(message, str) or not message.isidentifier():
            raise ModifierError(
                f"SendMessage(): message must be the name of a receiver (receive_<name>), "
                f"got {message!r}"
            )
        if isinstance(target, bool) or not (
            isinstance(target, int | str | type)
            or is_reference(target)
            or callable(target)
            or hasattr(target, "send_message")
        ):
            raise ModifierError(
                "SendMessage(): target must be an automation id, instance, class, dotted path "
                f"or this-reference; got {type(target).__name__}: {target!r}"
            )
        self.target_raw = target
        self.message = message
        self.token = token
        self.data_raw = data
        self.extra = kwargs
        self.target = Value(target)
        self.payload = Value(data)

    def resolve_references(self, resolver: Resolver) -> None:
        super().resolve_references(resolver)
        if is_reference(self.target_raw):
            self.target = resolver.callable(self.target_raw, "SendMessage")
        if callable(self.data_raw) or is_reference(self.data_raw):
            self.payload = resolver.callable(self.data_raw, "SendMessage")
        elif self.extra or self.data_raw is not None:
            self.payload = Value({**(self.data_raw or {}), **self.extra})

    def run(self, ctx: StepContext) -> Advance:
        from ..runtime.messaging import deliver

        results = deliver(
            ctx.evaluate(self.target), self.message, self.token, ctx.evaluate(self.payload)
        )
        return Advance((self.next_name,), "OK", {"results": [storable(r) for r in results]})
