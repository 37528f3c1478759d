"""The node types an automation is built from."""

from .base import Node
from .execute import Execute, If
from .flow_control import End, Join, Repeat, Split
from .forms import Form, ModelForm
from .messaging import SendMessage

__all__ = [
    "End",
    "Execute",
    "Form",
    "If",
    "Join",
    "ModelForm",
    "Node",
    "Repeat",
    "SendMessage",
    "Split",
]
