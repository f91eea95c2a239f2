"""Journal entries and lines are append-only at the database level, as the audit log is
(``core/migrations/0002_audit_log.py``): the ORM already refuses (``ImmutableModel``), and these
triggers refuse raw SQL too.  PostgreSQL refuses UPDATE and DELETE; SQLite refuses UPDATE (DELETE
stays possible there because Django's test flush empties tables with DELETE; PostgreSQL's flush
uses TRUNCATE, which row triggers do not see).  A correction is a new entry
(``ledger.services.reverse_entry``)."""

from django.db import migrations

TABLES = ("ledger_journalentry", "ledger_journalline")
MESSAGE = "ledger journal rows are append-only: post a correcting entry"


def append_only(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(
            "CREATE FUNCTION ledger_journal_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;"
        )
    for table in TABLES:
        if postgres:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_journal_append_only();"
            )
        else:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
            )


def drop_append_only(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for table in TABLES:
        if postgres:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
    if postgres:
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_journal_append_only();")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_account_uniqueness"),
    ]

    operations = [migrations.RunPython(append_only, drop_append_only)]
