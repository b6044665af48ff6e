"""On PostgreSQL, refuse UPDATE and DELETE on the event table in the database itself.

TRUNCATE stays possible (the test runner's flush uses it); row-level changes do not.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION shop_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'shop_event is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER shop_event_append_only
    BEFORE UPDATE OR DELETE ON shop_event
    FOR EACH ROW EXECUTE FUNCTION shop_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS shop_event_append_only ON shop_event;
DROP FUNCTION IF EXISTS shop_event_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
