"""Errors: the classes and the shell's messages."""

import pytest

import quiver


def test_error_classes_and_messages(con):
    with pytest.raises(quiver.ParserException, match="Parser Error"):
        con.sql("SELEC 1")
    with pytest.raises(quiver.BinderException) as caught:
        con.sql("SELECT nope FROM range(3)")
    message = str(caught.value)
    assert message.startswith("Binder Error:")
    assert "LINE 1: SELECT nope FROM range(3)" in message
    with pytest.raises(quiver.ExecutionException, match="division by zero|Division by zero"):
        con.sql("SELECT 1 // 0").fetchall()
    with pytest.raises(quiver.IOException):
        con.sql("SELECT * FROM read_parquet('/no/such/file.parquet')").fetchall()
    with pytest.raises(quiver.NotImplementedException):
        con.sql("SELECT TOP 1 * FROM range(3)")


def test_errors_are_db_api_errors(con):
    with pytest.raises(quiver.ProgrammingError):
        con.sql("SELECT * FROM missing_table")
    with pytest.raises(quiver.DatabaseError):
        con.sql("SELECT CAST('q' AS INTEGER)").fetchall()
