"""The stand-in speaks Frappe v15 and v16: the aggregate forms each version accepts, and frappe.qb on both."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import frappe
import pytest
from frappe.exceptions import StandinStrictError, StrictTypeError, UnknownFieldError


@pytest.fixture
def logs(frappe_site):
    """Three Commerce Sync Log rows of one fresh store name (two Success, one Failed)."""
    store = f"Versions Shop {uuid.uuid4().hex[:8]}"
    for status, records, duration in (("Success", 2, 10), ("Success", 3, 30), ("Failed", 1, 5)):
        frappe.get_doc({"doctype": "Commerce Sync Log", "store": store, "entity": "orders", "direction": "Inbound",
                        "operation": "upsert", "status": status, "records": records,
                        "duration_ms": duration}).db_insert()  # fmt: skip
    return store


def _grouped(rows) -> dict:
    return {r.status: (int(r.n), int(r.records), float(r.avg_ms)) for r in rows}


EXPECTED = {"Success": (2, 5, 20.0), "Failed": (1, 1, 5.0)}
STRING_FIELDS = ["status", "count(name) as n", "sum(records) as records", "avg(duration_ms) as avg_ms"]
DICT_FIELDS = ["status", {"COUNT": "name", "as": "n"}, {"SUM": "records", "as": "records"},
               {"AVG": "duration_ms", "as": "avg_ms"}]  # fmt: skip


def test_version_follows_the_setting(frappe_site):
    from frappe import standin

    with standin.frappe_version(16):
        assert frappe.__version__.startswith("16.")
    with standin.frappe_version(15):
        assert frappe.__version__.startswith("15.")
    with pytest.raises(StandinStrictError):
        standin.frappe_version(14)


def test_v15_takes_function_strings_and_refuses_the_dict_form(logs):
    from frappe import standin

    with standin.frappe_version(15):
        rows = frappe.get_all("Commerce Sync Log", filters={"store": logs}, fields=STRING_FIELDS, group_by="status")
        assert _grouped(rows) == EXPECTED
        with pytest.raises(StandinStrictError, match="no dict field syntax"):
            frappe.get_all("Commerce Sync Log", filters={"store": logs}, fields=DICT_FIELDS, group_by="status")


def test_v16_refuses_function_strings_and_takes_the_dict_form(logs):
    from frappe import standin

    with standin.frappe_version(16):
        for field in ("count(name) as n", "sum(records)", " COUNT (*)"):
            with pytest.raises(frappe.ValidationError, match="SQL functions are not allowed as strings in SELECT"):
                frappe.get_all("Commerce Sync Log", filters={"store": logs}, fields=["status", field], group_by="status")
        rows = frappe.get_all("Commerce Sync Log", filters={"store": logs}, fields=DICT_FIELDS, group_by="status")
        assert _grouped(rows) == EXPECTED
        assert frappe.get_all("Commerce Sync Log", filters={"store": logs}, fields=[{"COUNT": "*"}], as_list=True) == ((3,),)
        # plain fields and aliases are still strings on v16
        assert frappe.get_all("Commerce Sync Log", filters={"store": logs, "status": "Failed"},
                              fields=["records as r"]) == [{"r": 1}]  # fmt: skip


@pytest.mark.parametrize("major", [15, 16])
def test_query_builder_aggregates_work_on_both_versions(logs, major):
    from frappe import standin
    from frappe.query_builder.functions import Avg, Count, Sum

    with standin.frappe_version(major):
        log = frappe.qb.DocType("Commerce Sync Log")
        rows = (
            frappe.qb.from_(log)
            .select(log.status, Count(log.name).as_("n"), Sum(log.records).as_("records"), Avg(log.duration_ms).as_("avg_ms"))
            .where(log.store == logs)
            .where(log.creation >= datetime.now() - timedelta(hours=1))  # a datetime value is bound, not inlined
            .groupby(log.status)
            .run(as_dict=True)
        )
        assert _grouped(rows) == EXPECTED
        assert frappe.qb.from_("Commerce Sync Log").select(Count("*")).where(log.store == logs).run() == ((3,),)


def test_query_builder_is_strict(frappe_site):
    log = frappe.qb.DocType("Commerce Sync Log")
    with pytest.raises(UnknownFieldError, match="durations"):
        _ = log.durations
    with pytest.raises(StrictTypeError, match="timezone-aware"):
        frappe.qb.from_(log).select(log.name).where(log.creation >= datetime.now().astimezone()).run()
    with pytest.raises(StandinStrictError, match="SELECT queries only"):
        frappe.qb.update(log)


def test_v16_whitelist_can_require_annotations_and_v15_has_no_such_option(frappe_site):
    from frappe import standin

    def untyped(store, hours=24):
        return hours

    untyped.__annotations__ = {"hours": int}  # a real type, not the string this module's future import would make

    with standin.frappe_version(16):
        strict = frappe.whitelist(force_types=True)(untyped)
        with pytest.raises(frappe.FrappeTypeError, match="'store' .* is missing type annotation"):
            strict(store="x", hours="3")
        assert frappe.whitelist()(untyped)(store="x", hours="3") == 3  # real annotation: "3" becomes 3
    with standin.frappe_version(15), pytest.raises(TypeError, match="force_types"):
        frappe.whitelist(force_types=True)(untyped)
