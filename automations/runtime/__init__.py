"""Running automations: transactions, locking, steps and sweeps.

The daemon, ``manage.py automation_step``, web requests and messages all go through
the functions here.
"""
