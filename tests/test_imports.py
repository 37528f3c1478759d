"""Importing the package has no side effects: no settings, no database, no logging set-up."""

import subprocess
import sys
import textwrap


def run_python(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def test_declaring_an_automation_needs_no_settings_and_no_database():
    result = run_python(
        """
        import logging
        from datetime import timedelta
        from automations import flow
        from automations.flow import this

        class Webinar(flow.Automation):
            start = flow.Execute(this.init)
            wait = flow.Execute(this.init).AfterWaitingFor(timedelta(hours=1))
            end = flow.End()

            def init(self, task):
                pass

        assert list(Webinar._meta.nodes) == ["start", "wait", "end"]
        assert logging.getLogger().handlers == []
        from django.conf import settings
        assert not settings.configured
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
