"""Transactions: rollback/commit, savepoints, callbacks, implicit commit guard, password storage."""

import uuid

import frappe
import pytest


def _tag(prefix="U"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _uom(tag):
    return frappe.get_doc({"doctype": "UOM", "uom_name": tag}).insert()


def test_rollback_drops_writes_and_after_commit_jobs(standin):
    tag = _tag()
    _uom(tag)
    frappe.enqueue("standin_test_api.job_create_uom", tag=_tag(), enqueue_after_commit=True)
    frappe.publish_realtime("evt", {"x": 1}, after_commit=True)
    frappe.db.rollback()
    assert not frappe.db.exists("UOM", tag)
    assert standin.jobs() == []
    assert [e for e in standin.realtime_events if e.event == "evt"] == []


def test_commit_keeps_writes_and_runs_after_commit(standin):
    tag = _tag()
    _uom(tag)
    job_tag = _tag()
    assert frappe.enqueue("standin_test_api.job_create_uom", tag=job_tag, enqueue_after_commit=True) is None
    frappe.db.commit()
    frappe.db.rollback()
    assert frappe.db.exists("UOM", tag)
    assert [j.kwargs["tag"] for j in standin.jobs()] == [job_tag]


def test_savepoint_rollback(frappe_site):
    first, second = _tag(), _tag()
    _uom(first)
    frappe.db.savepoint("sp1")
    _uom(second)
    frappe.db.rollback(save_point="sp1")
    assert frappe.db.exists("UOM", first) and not frappe.db.exists("UOM", second)


def test_ddl_with_pending_writes_raises_implicit_commit(frappe_site):
    _uom(_tag())
    with pytest.raises(frappe.ImplicitCommitError):
        frappe.db.sql("create table `tabScratch` (`x` text)")


def test_db_sql_translation_and_as_dict(frappe_site):
    tags = [_tag(), _tag()]
    for tag in tags:
        _uom(tag)
    rows = frappe.db.sql("select `name` from `tabUOM` where `name` in %s order by `name`", (tags,), as_dict=True)
    assert [r.name for r in rows] == sorted(tags)
    assert frappe.db.sql("select name from tabUOM where name=%(n)s", {"n": tags[0]}, pluck=True) == [tags[0]]
    assert frappe.db.sql("select count(*) from `tabUOM` where name like %s", (tags[0][:4] + "%",))[0][0] >= 1


def test_get_all_filters_and_options(frappe_site):
    base = _tag("F")
    for i in range(5):
        frappe.get_doc({"doctype": "UOM", "uom_name": f"{base}-{i}", "must_be_whole_number": i % 2}).insert()
    names = frappe.get_all("UOM", filters=[["name", "like", f"{base}%"], ["must_be_whole_number", "=", 1]],
                           order_by="name asc", pluck="name")
    assert names == [f"{base}-1", f"{base}-3"]
    assert frappe.get_all("UOM", filters={"name": ["in", [f"{base}-0", f"{base}-4"]]}, pluck="name", order_by="name") == [f"{base}-0", f"{base}-4"]
    assert len(frappe.get_all("UOM", filters={"name": ["like", f"{base}%"]}, limit=2, start=1)) == 2
    from frappe import standin

    count_n = {"COUNT": "name", "as": "n"} if standin.frappe_version() >= 16 else "count(name) as n"  # each version's form
    assert frappe.get_all("UOM", filters={"name": ["like", f"{base}%"]}, fields=[count_n])[0].n == 5
    rows = frappe.get_all("UOM", filters={"name": f"{base}-2"}, fields=["*"])
    assert rows[0].uom_name == f"{base}-2"
    assert list(frappe.get_all("UOM", filters={"name": f"{base}-2"}, fields=["name", "must_be_whole_number"], as_list=True)) == [(f"{base}-2", 0)]
    assert frappe.db.count("UOM", {"name": ["like", f"{base}%"]}) == 5
    assert frappe.db.get_value("UOM", {"name": ["like", f"{base}%"], "must_be_whole_number": 1}, "name", order_by="name desc") == f"{base}-3"
    assert frappe.db.exists("UOM", f"{base}-0") == f"{base}-0"
    assert frappe.db.exists("UOM", {"uom_name": f"{base}-9"}) is None
    frappe.db.delete("UOM", {"name": ["like", f"{base}%"]})
    assert frappe.db.count("UOM", {"name": ["like", f"{base}%"]}) == 0


def test_set_value_updates_modified_unless_told(frappe_site):
    uom = _uom(_tag())
    before = frappe.db.get_value("UOM", uom.name, "modified")
    frappe.db.set_value("UOM", uom.name, "must_be_whole_number", 1, update_modified=False)
    assert frappe.db.get_value("UOM", uom.name, "modified") == before
    frappe.db.set_value("UOM", uom.name, "must_be_whole_number", 0)
    assert frappe.db.get_value("UOM", uom.name, "modified") > before


def test_single_values(frappe_site):
    assert frappe.db.get_single_value("Selling Settings", "cust_master_name") == "Customer Name"
    frappe.db.set_single_value("Stock Settings", "allow_negative_stock", 1)
    assert frappe.db.get_single_value("Stock Settings", "allow_negative_stock") == 1
    assert frappe.get_single("Stock Settings").allow_negative_stock == 1


def test_password_field_stored_encrypted(frappe_site):
    user = frappe.get_doc({"doctype": "User", "email": f"{_tag('p')}@example.com", "first_name": "P",
                           "api_secret": "s3cret", "send_welcome_email": 0}).insert()
    assert user.api_secret == "******"
    assert frappe.db.get_value("User", user.name, "api_secret") == "******"
    stored = frappe.db.sql("select `password` from `__Auth` where `doctype`='User' and `name`=%s", (user.name,))[0][0]
    assert "s3cret" not in stored
    assert frappe.get_doc("User", user.name).get_password("api_secret") == "s3cret"
    other = frappe.get_doc({"doctype": "User", "email": f"{_tag('q')}@example.com", "first_name": "Q",
                            "send_welcome_email": 0}).insert()
    with pytest.raises(frappe.AuthenticationError):
        other.get_password("api_secret")
    assert other.get_password("api_secret", raise_exception=False) is None


def test_cache_wrapper(frappe_site):
    frappe.cache.set_value("k1", {"a": 1})
    assert frappe.cache().get_value("k1") == {"a": 1}
    frappe.cache.set_value("k2", "v", expires_in_sec=60)
    assert frappe.cache.get_value("k2", expires=True) == "v"
    frappe.cache.hset("h", "x", 5)
    assert frappe.cache.hget("h", "x") == 5
    frappe.cache.delete_value("k1")
    assert frappe.cache.get_value("k1") is None
