"""On PostgreSQL, an insert into the event log takes its transaction id before its positions.

A statement-level trigger runs before the statement's rows are built, so before the identity
column hands out their positions. ``shop.highwater`` relies on it: every position was taken
by a transaction whose id was assigned earlier. The append path does not change.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION shop_event_take_xid() RETURNS trigger AS $$
BEGIN
    PERFORM pg_current_xact_id();
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER shop_event_take_xid
    BEFORE INSERT ON shop_event
    FOR EACH STATEMENT EXECUTE FUNCTION shop_event_take_xid();
"""

DROP = """
DROP TRIGGER IF EXISTS shop_event_take_xid ON shop_event;
DROP FUNCTION IF EXISTS shop_event_take_xid();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("shop", "0005_drop_event_type_idx")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
