"""The one exception to the append-only trigger: sealing personal data stored in plain text.

Events stored before personal data was encrypted hold it in plain text. ``manage.py
seal_personal_data`` encrypts those fields in place; on PostgreSQL the trigger lets that
UPDATE through only when the transaction set ``shop.sealing_personal_data`` to ``on``,
only when nothing but ``data`` changes, and it logs every row it lets through. Every other
UPDATE and every DELETE is refused, as before.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION shop_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND current_setting('shop.sealing_personal_data', true) = 'on'
        AND NEW.position = OLD.position
        AND NEW.stream_type = OLD.stream_type
        AND NEW.stream_id = OLD.stream_id
        AND NEW.version = OLD.version
        AND NEW.event_type = OLD.event_type
        AND NEW.schema_version = OLD.schema_version
        AND NEW.metadata = OLD.metadata
        AND NEW.recorded_at = OLD.recorded_at
    THEN
        RAISE LOG 'shop_event %: personal data sealed (manage.py seal_personal_data)',
            OLD.position;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'shop_event is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""

PLAIN = """
CREATE OR REPLACE FUNCTION shop_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'shop_event is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def allow_sealing(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def refuse_all(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PLAIN, params=None)


class Migration(migrations.Migration):
    dependencies = [("shop", "0007_data_key")]

    operations = [migrations.RunPython(allow_sealing, refuse_all)]
