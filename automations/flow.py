"""The public API for declaring automations: ``from automations import flow``.

class WebinarWorkflow(flow.Automation):
    start = flow.Execute(this.init)
    remind = flow.Execute(this.send_reminder).AfterWaitingFor(timedelta(days=1))
    end = flow.End()
"""

from .automation import Automation, get_automations, on_signal, require_data_parameters
from .nodes import End, Execute, Form, If, Join, ModelForm, Node, Repeat, SendMessage, Split
from .references import This, ThisAttribute, this

__all__ = [
    "Automation",
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
    "This",
    "ThisAttribute",
    "get_automations",
    "on_signal",
    "require_data_parameters",
    "this",
]
