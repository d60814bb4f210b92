"""The data register covers the database: a column that can hold personal data cannot be
added without saying in the register what it is, why, and what erasure does to it."""

from __future__ import annotations

import app.models  # noqa: F401  (the tables the register must cover)
from app.content import load_register
from app.extensions import db
from app.labels import WITHHELD
from config import TestConfig

REGISTER = load_register(TestConfig.DATA_REGISTER)


def registered_columns() -> dict[str, set[str]]:
    """Each registered table with the columns the register accounts for: those it lists,
    the subject column tying rows to a person, and the row id."""
    covered: dict[str, set[str]] = {}
    for category in REGISTER.categories:
        for storage in category.storage:
            row_id = {"id"} & set(db.metadata.tables[storage.table].columns.keys())
            covered.setdefault(storage.table, row_id).update({storage.subject, *storage.columns})
    return covered


def storages():
    return [storage for category in REGISTER.categories for storage in category.storage]


def test_every_table_is_in_the_register_or_declared_free_of_personal_data():
    covered = registered_columns()
    tables = set(db.metadata.tables) | {"alembic_version"}
    unaccounted = sorted(tables - covered.keys() - REGISTER.not_personal.keys())
    assert unaccounted == [], "add these tables to app/data_register.yml"


def test_every_column_of_a_registered_table_is_in_the_register():
    missing = [
        f"{table}.{column.name}"
        for table, columns in registered_columns().items()
        for column in db.metadata.tables[table].columns
        if column.name not in columns
    ]
    assert missing == [], "describe these columns in app/data_register.yml"


def test_the_register_names_only_tables_and_columns_that_exist():
    for table, columns in registered_columns().items():
        assert table in db.metadata.tables, table
        assert columns <= set(db.metadata.tables[table].columns.keys()), table
    for category in REGISTER.categories:
        for storage in category.storage:
            if storage.via:
                via_table, via_column = storage.via
                assert via_column in db.metadata.tables[via_table].columns, storage
            if storage.retention_from:
                assert storage.retention_from in db.metadata.tables[storage.table].columns
            if storage.holds:
                assert storage.holds in db.metadata.tables["users"].columns, storage
            for column in storage.rows_where:
                assert column in db.metadata.tables[storage.table].columns, storage
            for shown in storage.shown_with:
                assert shown.column in db.metadata.tables[storage.table].columns, shown
                assert shown.target in db.metadata.tables[shown.table].columns, shown


def test_every_column_stored_but_not_shown_has_a_translated_name():
    """The data page names them, so the person knows they are kept."""
    hidden = {name for storage in storages() for name in storage.hidden}
    assert sorted(hidden - WITHHELD.keys()) == []


def test_what_the_export_shows_beside_a_number_is_no_stored_name():
    for storage in storages():
        for shown in storage.shown_with:
            assert shown.name not in db.metadata.tables[storage.table].columns, shown


def test_a_reference_to_an_account_is_written_as_the_audit_log_writes_it():
    from app.services.privacy import user_ref

    references = [
        storage.reference
        for category in REGISTER.categories
        for storage in category.storage
        if storage.reference
    ]
    assert references, "the register finds entries about an account by its reference"
    assert all(reference.format(id=7) == user_ref(7) for reference in references)
