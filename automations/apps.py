from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Automations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from . import checks  # noqa: F401  registers the system checks
        from . import settings as app_settings

        app_settings.check_group_and_permission_settings()
        # Import every app's automations.py, as the admin does with admin.py, so that
        # classes are checked, listed and connected to their signals at start-up.
        autodiscover_modules("automations")
