"""A dashboard row's fields and the columns they are read from stay one list."""

from __future__ import annotations

from app.services.resource_list import LISTED_COLUMNS, ListedResource


def test_every_field_of_a_listed_resource_has_its_column_and_no_column_is_left_over():
    assert tuple(LISTED_COLUMNS) == ListedResource._fields
