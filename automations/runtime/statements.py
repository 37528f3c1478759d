"""The SQL of a step's hot path, written once per database connection.

Every step runs these few statements, so they are kept lean: one statement locks
the instance and reads the task, one (PostgreSQL) or two (other databases) record
the step and create the next task. Values go through the model fields, so they are
stored and read exactly as the ORM would.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

from ..models import AutomationModel, AutomationTaskModel


class StepStatements:
    """Prepared SQL and value converters for one database alias."""

    def __init__(self, using: str):
        self.using = using
        connection = connections[using]
        self.vendor = connection.vendor
        qn = connection.ops.quote_name
        self.task_fields = list(AutomationTaskModel._meta.concrete_fields)
        self.automation_fields = list(AutomationModel._meta.concrete_fields)
        self.task_table = qn(AutomationTaskModel._meta.db_table)
        self.automation_table = qn(AutomationModel._meta.db_table)
        self.fields_by_name = {field.attname: field for field in self.task_fields}
        columns = [f"t.{qn(field.column)}" for field in self.task_fields]
        columns += [f"a.{qn(field.column)}" for field in self.automation_fields]
        lock = (
            f"SELECT {', '.join(columns)} FROM {self.task_table} t "
            f"INNER JOIN {self.automation_table} a ON a.{qn('id')} = t.{qn('automation_id')} "
            f"WHERE t.{qn('id')} = %s AND t.{qn('automation_id')} = %s "
            f"AND t.{qn('finished')} IS NULL"
        )
        features = connection.features
        self.row_locks = features.has_select_for_update
        if self.row_locks:
            # Automation first: every writer of an instance locks its row before its tasks.
            of = " OF a, t" if features.has_select_for_update_of else ""
            lock += f" FOR UPDATE{of}"
        self.lock_sql = lock
        self.lock_skip_sql = (
            lock + " SKIP LOCKED" if features.has_select_for_update_skip_locked else lock
        )
        self.task_converters = [
            self._converters(connection, field, "t") for field in self.task_fields
        ]
        self.automation_converters = [
            self._converters(connection, field, "a") for field in self.automation_fields
        ]
        self.returning = features.can_return_columns_from_insert
        self.writable_cte = connection.vendor == "postgresql"
        self.finish_columns = (
            "finished",
            "message",
            "result",
            "wake_at",
            "wait_reason",
            "requires_interaction",
        )
        self.finish_sql = (
            f"UPDATE {self.task_table} SET "
            + ", ".join(f"{qn(self._column(name))} = %s" for name in self.finish_columns)
            + f" WHERE {qn('id')} = %s"
        )
        self.insert_columns = [field.attname for field in self.task_fields if not field.primary_key]
        self.insert_sql = (
            f"INSERT INTO {self.task_table} ("
            + ", ".join(qn(self._column(name)) for name in self.insert_columns)
            + ") VALUES ("
            + ", ".join(["%s"] * len(self.insert_columns))
            + ")"
            + (f" RETURNING {qn('id')}" if self.returning else "")
        )
        self.end_sql = (
            f"UPDATE {self.automation_table} SET {qn('finished')} = %s, "
            f"{qn('singleton_key')} = NULL, {qn('updated')} = %s WHERE {qn('id')} = %s"
        )

    def _column(self, attname: str) -> str:
        return self.fields_by_name[attname].column

    @staticmethod
    def _converters(connection, field, alias: str) -> tuple:
        col = field.get_col(alias)
        return col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)

    @staticmethod
    def _convert(connection, values, converters) -> list:
        converted = []
        for value, (col, field_converters) in zip(values, converters, strict=True):
            for converter in field_converters:
                value = converter(value, col, connection)
            converted.append(value)
        return converted

    def _prep(self, connection, attname: str, value: Any) -> Any:
        return self.fields_by_name[attname].get_db_prep_save(value, connection)

    # Statements ---------------------------------------------------------------------

    def lock_open_task(
        self, automation_id: int, task_id: int, *, skip_locked: bool = False
    ) -> AutomationTaskModel | None:
        """The open task and its automation, both locked (automation first), or ``None``."""
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(
                self.lock_skip_sql if skip_locked else self.lock_sql, [task_id, automation_id]
            )
            row = cursor.fetchone()
        if row is None:
            return None
        split = len(self.task_fields)
        task = AutomationTaskModel.from_db(
            self.using, None, self._convert(connection, row[:split], self.task_converters)
        )
        automation = AutomationModel.from_db(
            self.using, None, self._convert(connection, row[split:], self.automation_converters)
        )
        task.automation = automation
        return task

    def _finish_params(self, connection, task_id: int, fields: dict[str, Any]) -> list[Any]:
        return [self._prep(connection, name, fields[name]) for name in self.finish_columns] + [
            task_id
        ]

    def _insert_params(self, connection, task: AutomationTaskModel) -> list[Any]:
        return [self._prep(connection, name, getattr(task, name)) for name in self.insert_columns]

    def finish(self, task_id: int, fields: dict[str, Any]) -> None:
        """Record a finished task."""
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.finish_sql, self._finish_params(connection, task_id, fields))

    def finish_and_insert(
        self,
        task_id: int,
        fields: dict[str, Any],
        new_task: AutomationTaskModel,
        end_automation: tuple[int, Any] | None = None,
    ) -> int:
        """Record a finished task and insert the next one (optionally ending the automation).

        PostgreSQL does it in one statement; elsewhere it takes two or three.
        """
        connection = connections[self.using]
        finish = self._finish_params(connection, task_id, fields)
        insert = self._insert_params(connection, new_task)
        end = None
        if end_automation is not None:
            automation_id, now = end_automation
            prep_now = AutomationModel._meta.get_field("updated").get_db_prep_save(now, connection)
            end = [True, prep_now, automation_id]
        with connection.cursor() as cursor:
            if self.writable_cte:
                sql = f"WITH finished AS ({self.finish_sql})"
                params = finish
                if end is not None:
                    sql += f", ended AS ({self.end_sql})"
                    params = params + end
                cursor.execute(f"{sql} {self.insert_sql}", params + insert)
            else:
                cursor.execute(self.finish_sql, finish)
                if end is not None:
                    cursor.execute(self.end_sql, end)
                cursor.execute(self.insert_sql, insert)
            new_id = cursor.fetchone()[0] if self.returning else cursor.lastrowid
        new_task.pk = new_id
        new_task._state.adding = False
        new_task._state.db = self.using
        return new_id


_cache: dict[str, StepStatements] = {}


def statements(using: str) -> StepStatements:
    """The prepared statements for database ``using`` (built on first use)."""
    prepared = _cache.get(using)
    if prepared is None:
        prepared = _cache[using] = StepStatements(using)
    return prepared
