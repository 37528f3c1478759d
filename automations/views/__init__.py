"""Views for people in the loop: task forms and lists, and the operator's pages.

``automations.urls`` maps them under the namespace ``automations``.
"""

from .history import HistoryView
from .monitor import AutomationClassView, DashboardView, ErrorListView, TracebackView
from .tasks import TaskListView, TaskView

__all__ = [
    "AutomationClassView",
    "DashboardView",
    "ErrorListView",
    "HistoryView",
    "TaskListView",
    "TaskView",
    "TracebackView",
]
