"""Fixtures: a fresh in-memory connection and the repository's test data."""

from pathlib import Path

import pytest

import quiver

TESTDATA = Path(__file__).resolve().parents[3] / "testdata"


@pytest.fixture
def con():
    connection = quiver.connect()
    yield connection
    connection.close()


@pytest.fixture
def testdata() -> Path:
    return TESTDATA
