"""URLs of django-automations: ``path("automations/", include("automations.urls"))``."""

from django.urls import path

from . import views

app_name = "automations"

urlpatterns = [
    path("", views.TaskListView.as_view(), name="task_list"),
    path("<int:task_id>/", views.TaskView.as_view(), name="task"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/errors/", views.ErrorListView.as_view(), name="errors"),
    path(
        "dashboard/class/<str:automation_class>/",
        views.AutomationClassView.as_view(),
        name="automation_class",
    ),
    path("dashboard/<int:automation_id>/", views.HistoryView.as_view(), name="history"),
    path(
        "dashboard/<int:automation_id>/traceback/<int:task_id>/",
        views.TracebackView.as_view(),
        name="traceback",
    ),
]
