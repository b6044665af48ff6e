"""On PostgreSQL, trigram indexes for catalog search, so a search reads only the matches.

Search filters with ``icontains``, which Django writes as ``UPPER(column::text) LIKE
UPPER(%s)``: a btree cannot serve ``LIKE '%tea%'``, a trigram GIN index on that very
expression can. ``pg_trgm`` ships with PostgreSQL and is a trusted extension (13+): the
database's owner may create it. SQLite searches its (small, local) table as before.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS product_name_trgm_idx
    ON catalog_product USING gin (UPPER(name::text) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS product_description_trgm_idx
    ON catalog_product USING gin (UPPER(description::text) gin_trgm_ops);
"""

# The extension stays: other objects in the database may use it by then.
DROP = """
DROP INDEX IF EXISTS product_name_trgm_idx;
DROP INDEX IF EXISTS product_description_trgm_idx;
"""


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
