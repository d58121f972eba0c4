"""The schema comes from Alembic, matches the models, and is the same on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL

from bot.migrate import alembic_config, current_revision, head_revision, upgrade
from bot.models import Base
from tests.dbs import engine_for, scratch_database


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"


def test_migrated_database_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_upgrade_twice_is_a_no_op(empty_database: URL) -> None:
    eng = engine_for(empty_database)
    try:
        upgrade(eng)
        first = _schema(eng)
        upgrade(eng)
        assert _schema(eng) == first
    finally:
        eng.dispose()


def test_downgrade_to_base_and_back(empty_database: URL) -> None:
    eng = engine_for(empty_database)
    try:
        upgrade(eng)
        with eng.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
        upgrade(eng)
        assert current_revision(eng) == head_revision()
    finally:
        eng.dispose()


def test_sqlite_and_postgresql_get_the_same_schema(tmp_path: Path) -> None:
    schemas = []
    for backend in ("sqlite", "postgresql"):
        with scratch_database(backend, tmp_path) as url:
            eng = engine_for(url)
            upgrade(eng)
            schemas.append(_schema(eng))
            eng.dispose()
    sqlite, postgres = schemas
    assert sqlite == postgres


def test_revisions_form_one_line_and_import_no_app_code() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, "migrations branched: merge the heads"
    for rev in script.walk_revisions():
        source = Path(rev.path).read_text()
        assert "import bot" not in source and "from bot" not in source, rev.path


def _schema(eng: Engine) -> dict[str, object]:
    """Tables, columns (name, generic type, nullability), keys and indexes, backend-neutral."""
    insp = inspect(eng)
    out: dict[str, object] = {}
    for table in sorted(insp.get_table_names()):
        out[table] = {
            "columns": [
                (c["name"], _generic(c["type"]), c["nullable"]) for c in insp.get_columns(table)
            ],
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)
            ),
            "fks": sorted(
                (
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    (f.get("options") or {}).get("ondelete"),
                )
                for f in insp.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]))
                for i in insp.get_indexes(table)
                if not i.get("unique")
            ),
        }
    return out


def _generic(type_: object) -> str:
    name = type(type_).__name__.upper()
    aliases = {"TIMESTAMP": "DATETIME", "VARCHAR": "STRING", "TEXT": "TEXT", "JSONB": "JSON"}
    length = getattr(type_, "length", None)
    name = aliases.get(name, name)
    return f"{name}({length})" if length else name
