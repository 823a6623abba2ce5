"""The catalog tables a declared query reads, found by parsing it (CTE names and functions are not tables)."""

import pytest

from qs_platform.sql.dependencies import SqlError, sql_dependencies


def test_tables_read_by_joins_subqueries_and_ctes_not_the_ctes_themselves():
    sql = """
        with latest as (select * from raw.orders qualify row_number() over (partition by id) = 1)
        select * from latest l join processed.customers c using (id)
        where c.id in (select id from raw.refunds) and exists (select 1 from processed.customers)
    """
    assert sql_dependencies(sql) == ["processed.customers", "raw.orders", "raw.refunds"]


def test_table_functions_and_unqualified_names_are_not_catalog_tables():
    assert sql_dependencies("select * from range(3) r cross join raw.events") == ["raw.events"]


def test_unparseable_sql_is_refused_with_the_parser_message():
    with pytest.raises(SqlError):
        sql_dependencies("select from from where")
