"""automations-daemon: runs every waiting automation task exactly when it is due."""

from automations import __version__

__all__ = ["__version__"]
