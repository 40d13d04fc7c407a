"""PostgreSQL array literals for the batch statements: every element as PostgreSQL's array input reads it."""

from datetime import UTC, datetime

from radius.pgarrays import array_literal


def test_text_is_quoted_with_its_quotes_and_backslashes_escaped():
    assert array_literal(["plain", 'a"b', "c\\d", "e,{f}", "NULL", "", None], "text") == (
        '{"plain","a\\"b","c\\\\d","e,{f}","NULL","",NULL}'
    )


def test_numbers_flags_and_times():
    at = datetime(2026, 12, 7, 10, 0, 1, 500, tzinfo=UTC)
    assert array_literal([0, 2**40, None], "bigint") == "{0,1099511627776,NULL}"
    assert array_literal([True, False, None], "boolean") == "{t,f,NULL}"
    assert array_literal([at, None], "timestamptz") == '{"2026-12-07T10:00:01.000500+00:00",NULL}'
    assert array_literal([], "text") == "{}"
