"""The desk an administrator meets (issue 15): readable answers, clear failures, Workspace records, dashboard data.

Runs on a real ERPNext site (bench run-tests) or the stand-in (pytest). The FakeConnector plays the store.
"""

from __future__ import annotations

import inspect
import json
import re
from decimal import Decimal
from pathlib import Path
from unittest import mock

import frappe

from wix_commerce_sync import shell
from wix_commerce_sync.connectors.base import stock_key
from wix_commerce_sync.sync.errors import AuthError
from wix_commerce_sync.sync.models import Customer, Product, StockLevel, Variant
from wix_commerce_sync.testing.factories import T0
from wix_commerce_sync.tests import fixtures as fx

D = Decimal
APP = Path(__file__).resolve().parents[1]
CLEAR_ERRORS = (frappe.ValidationError, frappe.PermissionError)  # DoesNotExistError is a ValidationError


def _whitelisted(module) -> list:
    return [fn for _n, fn in inspect.getmembers(module, inspect.isfunction)
            if fn in frappe.whitelisted and fn.__module__ == module.__name__]  # fmt: skip


class DeskCase(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        frappe.set_user("Administrator")
        cls.held = fx.hold_background_jobs(cls)
        cls.basics = fx.ensure_basics()
        cls.store, cls.fake = fx.make_store(cls.basics, f"Commerce Desk Shop {frappe.generate_hash(length=6)}")

    def mapped_sku(self, qty_in_store: str | None = None) -> str:
        """An Item the store knows (imported through Sync One Record), optionally with a store quantity."""
        from wix_commerce_sync.api import actions

        tag = frappe.generate_hash(length=6).upper()
        sku = fx.make_item(f"DESK-{tag}", "5.00")
        self.fake.products[f"p-{tag}"] = Product(external_id=f"p-{tag}", title=f"Desk {tag}", updated_at=T0,
                                                 variants=[Variant(f"v-{tag}", sku, D("5.00"))])  # fmt: skip
        self.assertTrue(actions.sync_product(self.store, f"p-{tag}")["ok"])
        if qty_in_store is not None:
            level = StockLevel(sku, D(qty_in_store), location_id="loc-1", variant_id=f"v-{tag}", product_id=f"p-{tag}")
            self.fake.stock[stock_key(level)] = level
        frappe.db.commit()
        return sku

    def assertReadable(  # noqa: N802 - unittest style
        self, answer: dict):
        summary = answer["summary"]
        self.assertIsInstance(summary["message"], str)
        self.assertTrue(summary["message"].strip())
        self.assertNotRegex(summary["message"], r"[{}\[\]]", "a sentence, not data")
        for row in summary["rows"]:
            self.assertEqual(len(row), len(summary["columns"]), row)


class TestReadableAnswers(DeskCase):
    def test_every_form_action_answers_with_a_sentence_counts_and_a_table(self):
        from wix_commerce_sync.api import actions

        sku = self.mapped_sku()
        self.fake.customers["c-desk"] = Customer("c-desk", "desk@example.com", "Dee", "Esk", updated_at=T0)
        answers = {
            "test_connection": actions.test_connection(self.store),
            "register_webhooks": actions.register_webhooks(self.store),
            "webhook_status": actions.webhook_status(self.store),
            "unregister_webhooks": actions.unregister_webhooks(self.store),
            "process_queue_now": actions.process_queue_now(self.store),
            "process_queue_now wait": actions.process_queue_now(self.store, wait=1),
            "full_sync": actions.full_sync(self.store),
            "sync_orders": actions.sync_orders(self.store),
            "sync_customer": actions.sync_customer(self.store, "c-desk"),
            "push_stock": actions.push_stock(self.store, sku),
            "sync_status_report": actions.sync_status_report(self.store),
            "retry_failed": actions.retry_failed(self.store),
            "find_duplicate_customers": actions.find_duplicate_customers(self.store),
        }
        for name, answer in answers.items():
            with self.subTest(action=name):
                self.assertReadable(answer)
        self.assertIn("Connected to Fake Store", answers["test_connection"]["summary"]["message"])
        self.assertEqual(answers["register_webhooks"]["summary"]["columns"], ["Topic", "Id", "Active"])
        status_rows = answers["sync_status_report"]["summary"]["rows"]
        self.assertEqual([r[0] for r in status_rows], ["Items", "Orders", "Customers", "Stock"])
        for row in status_rows:  # times without microseconds (a cell the desk shows in the user's zone), or "never"
            for cell in row[2:4]:
                self.assertTrue(cell == "never" or re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cell["datetime"]), row)

    def test_sync_one_record_links_the_document_and_explains_a_skip(self):
        from wix_commerce_sync.api import actions

        tag = frappe.generate_hash(length=6)
        self.fake.customers[f"c-{tag}"] = Customer(f"c-{tag}", f"{tag}@example.com", "Al", "Bee", updated_at=T0)
        first = actions.sync_customer(self.store, f"c-{tag}")
        self.assertEqual(first["outcome"], "Success")
        cells = [c for row in first["summary"]["rows"] for c in row if isinstance(c, dict)]
        self.assertEqual([c["doctype"] for c in cells], ["Customer"])
        self.assertTrue(frappe.db.exists("Customer", cells[0]["name"]))
        frappe.db.set_value("Commerce Store", self.store, "customers_direction", "Disabled")
        try:
            skipped = actions.sync_customer(self.store, f"c-{tag}")
        finally:
            frappe.db.set_value("Commerce Store", self.store, "customers_direction", "Bidirectional")
        self.assertEqual(skipped["outcome"], "Skipped")
        self.assertIn("Reason:", skipped["summary"]["message"])
        self.assertTrue(skipped["reason"])

    def test_action_results_are_rendered_never_printed_as_json(self):
        # (the Sync Job form indents its stored payload on purpose: that field IS data)
        scripts = [APP / "wix_commerce_sync" / "doctype" / "commerce_store" / "commerce_store.js",
                   APP / "www" / "commerce-sync-dashboard.html", APP / "public" / "js" / "commerce_sync_dashboard.js"]  # fmt: skip
        for path in scripts:
            text = path.read_text()
            self.assertNotIn("JSON.stringify", text, f"{path.name} shows raw JSON")
            self.assertNotIn("<pre>", text, f"{path.name} shows raw data")


class TestClearFailures(DeskCase):
    def assertClear(  # noqa: N802 - unittest style
        self, call, exc=frappe.ValidationError, *words: str):
        with self.assertRaises(exc) as caught:
            call()
        text = str(caught.exception)
        for word in words:
            self.assertIn(word.lower(), text.lower())
        self.assertNotIn("Traceback", text)
        return text

    def test_unknown_ids_skus_and_documents_say_not_found(self):
        from wix_commerce_sync.api import actions

        dne = frappe.DoesNotExistError
        self.assertClear(lambda: actions.process_order(self.store, order_id="no-such-order"), dne, "not found", "no-such-order")
        self.assertClear(lambda: actions.sync_product(self.store, "no-such-product"), dne, "not found")
        self.assertClear(lambda: actions.sync_customer(self.store, "no-such-customer"), dne, "not found")
        self.assertClear(lambda: actions.push_stock(self.store, "NO-SUCH-SKU"), dne, "SKU NO-SUCH-SKU not found")
        self.assertClear(lambda: actions.push_product(self.store, "NO-SUCH-ITEM"), dne, "not found")
        self.assertClear(lambda: actions.update_fulfilment(self.store, "NO-SUCH-DN"), dne, "not found")
        self.assertClear(lambda: actions.retry_failed(self.store, jobs=json.dumps(["no-such-job"])), dne, "not found")
        self.assertClear(lambda: actions.sync_status_report("No Such Store"), dne, "does not exist")

    def test_bad_filters_are_refused_with_the_allowed_values(self):
        from wix_commerce_sync.api import actions

        text = self.assertClear(lambda: actions.sync_orders(self.store, status="bogus"), frappe.ValidationError,
                                "unknown store status bogus", "allowed:")  # fmt: skip
        self.assertIn("fulfilled", text)  # the store's status map values
        self.assertEqual(actions.sync_orders(self.store, status="OPEN")["failed"], 0)  # case does not matter
        self.assertClear(lambda: actions.sync_orders(self.store, since="yesterday-ish"), frappe.ValidationError, "since")
        self.assertClear(lambda: actions.preview(self.store, "bogus", "{}"), frappe.ValidationError, "allowed: order")
        self.assertClear(lambda: actions.preview(self.store, "order", "{not json"), frappe.ValidationError, "not valid JSON")

    def test_auth_failure_says_check_the_credentials_and_is_logged_once(self):
        from wix_commerce_sync.api import actions

        before = frappe.db.count("Error Log")
        refused = AuthError(f"POST https://x/graphql.json: HTTP 401 {{\"errors\": \"bad {fx.ACCESS_TOKEN}\"}}", status=401)
        with mock.patch.object(self.fake, "iter_orders", side_effect=refused):
            text = self.assertClear(lambda: actions.sync_orders(self.store), frappe.ValidationError,
                                    "Sync Orders failed", "refused the credentials", "check the credentials")  # fmt: skip
        self.assertNotIn(fx.ACCESS_TOKEN, text)
        self.assertNotIn("AuthError", text)
        self.assertEqual(frappe.db.count("Error Log"), before + 1)
        log = frappe.get_all("Error Log", fields=["method", "error"], order_by="creation desc", limit=1)[0]
        self.assertIn("Sync Orders failed", log.method)
        self.assertNotIn(fx.ACCESS_TOKEN, log.error)
        with mock.patch.object(self.fake, "check_connection", side_effect=refused):
            answer = actions.test_connection(self.store)
        self.assertFalse(answer["ok"])
        self.assertIn("Check the credentials", answer["summary"]["message"])
        self.assertEqual(answer["summary"]["indicator"], "red")

    def test_an_unexpected_crash_is_a_message_and_an_error_log_not_a_500(self):
        from wix_commerce_sync.api import actions

        before = frappe.db.count("Error Log")
        with mock.patch.object(self.fake, "get_order", side_effect=KeyError("line_items")):
            self.assertClear(lambda: actions.process_order(self.store, order_id="1"), frappe.ValidationError,
                             "unexpected error", "Error Log")  # fmt: skip
        self.assertEqual(frappe.db.count("Error Log"), before + 1)

    def test_over_http_a_wrong_token_is_417_with_the_message_not_500(self):
        from frappe import standin

        refused = AuthError("POST https://x/graphql.json: HTTP 401 {}", status=401)
        with mock.patch.object(self.fake, "iter_orders", side_effect=refused):
            response = standin.call_method("wix_commerce_sync.api.actions.sync_orders", http_method="POST",
                                           body={"store": self.store}, user="Administrator")  # fmt: skip
        self.assertEqual(response.status, 417, response.text[:300])
        self.assertIn("check the credentials", response.text.lower())
        frappe.set_user("Administrator")

    def test_every_whitelisted_method_answers_bad_input_with_a_clear_error(self):
        from wix_commerce_sync.api import actions, desk

        methods = _whitelisted(actions) + _whitelisted(desk)
        self.assertGreaterEqual(len(methods), 20)
        for fn in methods:
            params = inspect.signature(inspect.unwrap(fn)).parameters
            args = {name: "no-such-thing" for name, p in params.items() if p.default is inspect.Parameter.empty}
            if "store" in params:
                args["store"] = "No Such Store"
            if not args:
                continue  # nothing to get wrong (dashboard_summary/data of all stores)
            with self.subTest(method=fn.__name__):
                with self.assertRaises(CLEAR_ERRORS):
                    fn(**args)
                frappe.db.rollback()
        for fn in methods:  # a real store, every other argument wrong: a clear error or an answer, nothing else
            params = inspect.signature(inspect.unwrap(fn)).parameters
            if "store" not in params:
                continue
            args = {name: "no-such-thing" for name, p in params.items() if p.default is inspect.Parameter.empty}
            args["store"] = self.store
            with self.subTest(method=fn.__name__, store="real"):
                try:
                    answer = fn(**args)
                except CLEAR_ERRORS as exc:
                    self.assertTrue(str(exc).strip(), "an error the desk can show")
                else:
                    self.assertIsInstance(answer, dict)
                frappe.db.rollback()


    def test_desk_data_refuses_guest_and_users_without_the_role(self):
        from wix_commerce_sync.api import desk

        sources = Path(APP / "wix_commerce_sync" / "dashboard_chart_source")
        methods = _whitelisted(desk) + [frappe.get_attr(f"wix_commerce_sync.wix_commerce_sync.dashboard_chart_source."
                                                        f"{p.name}.{p.name}.get") for p in sources.iterdir() if p.is_dir()
                                        and p.name != "__pycache__"]  # fmt: skip
        self.assertGreaterEqual(len(methods), 5)
        plain = "commerce-desk-plain@example.com"
        if not frappe.db.exists("User", plain):
            frappe.get_doc({"doctype": "User", "email": plain, "first_name": "Plain", "send_welcome_email": 0}).insert(
                ignore_permissions=True)  # fmt: skip
        for fn in methods:
            for user in ("Guest", plain):
                with self.subTest(method=fn.__name__, user=user):
                    frappe.set_user(user)
                    try:
                        args = {"store": self.store} if "store" in inspect.signature(inspect.unwrap(fn)).parameters else {}
                        with self.assertRaises(frappe.PermissionError):
                            fn(**args)
                    finally:
                        frappe.set_user("Administrator")


class TestStockWarning(DeskCase):
    def test_a_push_that_lowers_store_stock_asks_first(self):
        from wix_commerce_sync.api import actions

        sku = self.mapped_sku(qty_in_store="10")
        pushes = len(self.fake.pushes)
        first = actions.push_stock(self.store, sku)
        self.assertTrue(first["needs_confirmation"])
        self.assertIn("LOWER", first["summary"]["message"])
        self.assertEqual(first["summary"]["rows"][0][2:], ["10", "0"])
        self.assertEqual(len(self.fake.pushes), pushes, "nothing is pushed before the confirmation")
        confirmed = actions.push_stock(self.store, sku, confirm=1)
        self.assertNotIn("needs_confirmation", confirmed)
        self.assertEqual([m for m, _ in self.fake.pushes[pushes:]], ["set_stock"])

    def test_a_push_that_raises_store_stock_goes_straight_through(self):
        from wix_commerce_sync.api import actions

        sku = self.mapped_sku(qty_in_store="0")
        frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
                        "company": self.basics["company"], "items": [{"item_code": sku, "qty": 4, "basic_rate": 2,
                        "t_warehouse": self.basics["warehouse"], "uom": "Nos", "stock_uom": "Nos", "conversion_factor": 1,
                        "transfer_qty": 4}]}).insert(ignore_permissions=True).submit()  # fmt: skip
        frappe.db.commit()
        answer = actions.push_stock(self.store, sku)
        self.assertNotIn("needs_confirmation", answer)


class TestFormState(DeskCase):
    def test_full_sync_stamps_last_runs_and_reports_to_the_user(self):
        from frappe import standin

        from wix_commerce_sync.api import actions

        self.fake.products["p-full"] = Product(external_id="p-full", title="Full", updated_at=T0,
                                               variants=[Variant("v-full", f"FULL-{frappe.generate_hash(length=5)}", D("3"))])  # fmt: skip
        standin.reset_captures()
        actions.run_and_report(self.store, "full_sync_from_store", user="Administrator")
        doc = frappe.get_doc("Commerce Store", self.store)
        for field in ("last_product_run", "last_customer_run", "last_order_run"):
            self.assertTrue(doc.get(field), field)
        shown = [e for e in standin.realtime_events if e.get("event") == "msgprint"]
        self.assertEqual(len(shown), 1, standin.realtime_events)
        self.assertIn("Full Sync from Store of", shown[0]["message"]["message"])
        self.assertNotIn("{", shown[0]["message"]["message"].split("<table")[0])

    def test_inbound_operations_record_how_long_they_took(self):
        from wix_commerce_sync.api import actions

        tag = frappe.generate_hash(length=6)
        self.fake.customers[f"c-{tag}"] = Customer(f"c-{tag}", f"{tag}@example.com", "Mo", "Ms", updated_at=T0)
        self.assertEqual(actions.sync_customer(self.store, f"c-{tag}")["outcome"], "Success")
        row = frappe.get_all("Commerce Sync Log", filters={"store": self.store, "entity": "customers"},
                             fields=["duration_ms"], order_by="creation desc", limit=1)[0]  # fmt: skip
        self.assertGreater(row.duration_ms or 0, 0)

    def test_duplicate_finder_honours_its_store(self):
        from wix_commerce_sync.api import actions

        tag = frappe.generate_hash(length=5)
        for _n in range(2):  # two look-alike customers of no store
            frappe.get_doc({"doctype": "Customer", "customer_name": f"Twin {tag}", "customer_group": "Individual",
                            "territory": "All Territories"}).insert(ignore_permissions=True)  # fmt: skip
        frappe.db.commit()
        everywhere = actions.find_duplicate_customers()
        self.assertIn(f"twin {tag}", [g["value"] for g in everywhere["groups"]])
        mine = actions.find_duplicate_customers(store=self.store)
        self.assertNotIn(f"twin {tag}", [g["value"] for g in mine["groups"]])

    def test_sync_job_is_read_only_and_not_creatable_by_hand(self):
        meta = frappe.get_meta("Commerce Sync Job")
        self.assertTrue(meta.in_create)
        for perm in meta.permissions:
            self.assertFalse(perm.create or perm.write, perm.role)
        editable = [df.fieldname for df in meta.fields if df.fieldtype not in ("Section Break", "Column Break")
                    and not df.read_only]  # fmt: skip
        self.assertEqual(editable, [])

    def test_store_url_is_a_plain_field_and_a_loopback_https_error_points_to_the_test_store_setting(self):
        meta = frappe.get_meta("Commerce Store")
        self.assertFalse(meta.get_field("store_url").options, "the URL option turns a valid shop domain red")
        self.assertFalse(meta.get_field("allow_insecure_http").hidden)
        self.assertEqual(meta.get_field("api_version").depends_on, "eval:doc.platform=='Shopify'")
        doc = frappe.get_doc("Commerce Store", self.store)
        doc.store_url = "http://127.0.0.1:9/"
        with self.assertRaises(frappe.ValidationError) as caught:
            doc.validate_url()
        text = str(caught.exception)
        self.assertNotIn("Store URL: store URL", text)
        self.assertIn("Test store on this machine", text)

    def test_setup_checklist_tracks_each_step(self):
        from wix_commerce_sync.api import actions, desk

        store, _fake = fx.make_store(self.basics, f"Commerce Setup Shop {frappe.generate_hash(length=6)}")
        before = {s["label"]: s["done"] for s in desk.setup_checklist(store)["steps"]}
        self.assertEqual(before, {"Connection tested": False, "Webhooks registered and healthy": False,
                                  "Warehouses mapped to store locations": True, "First import done": False,
                                  "Live": True})  # fmt: skip
        actions.test_connection(store)
        actions.register_webhooks(store)
        after = {s["label"]: s for s in desk.setup_checklist(store)["steps"]}
        self.assertTrue(after["Connection tested"]["done"])
        self.assertTrue(after["Webhooks registered and healthy"]["done"])
        self.assertEqual(after["First import done"]["action"], "full_sync")


class TestWorkspaceRecords(fx.ShellTestCase):
    """Standard records of the module, imported by install/migrate (frappe: sync_for + sync_dashboards)."""

    def test_workspace_cards_and_charts_are_installed_with_working_links(self):
        ws = frappe.get_doc("Workspace", "Commerce Sync")
        self.assertEqual((ws.module, ws.public, ws.standard), ("Wix Commerce Sync", 1, 1))
        targets = {s.link_to for s in ws.shortcuts if s.type == "DocType"}
        self.assertEqual(targets, {"Commerce Store", "Commerce Sync Job", "Commerce Sync Log", "Commerce Sync Settings"})
        self.assertEqual([s.link_to for s in ws.shortcuts if s.type == "Page"], ["commerce-sync-dashboard"])
        page = frappe.get_doc("Page", "commerce-sync-dashboard")
        self.assertEqual((page.module, page.standard), ("Wix Commerce Sync", "Yes"))
        self.assertEqual({r.role for r in page.roles}, {"Commerce Sync Manager", "System Manager"})
        script = APP / "wix_commerce_sync" / "page" / "commerce_sync_dashboard" / "commerce_sync_dashboard.js"
        self.assertIn('frappe.pages["commerce-sync-dashboard"]', script.read_text())
        blocks = json.loads(ws.content)
        self.assertEqual({b["data"]["number_card_name"] for b in blocks if b["type"] == "number_card"},
                         {c.number_card_name for c in ws.number_cards})  # fmt: skip
        self.assertEqual({b["data"]["chart_name"] for b in blocks if b["type"] == "chart"}, {c.chart_name for c in ws.charts})
        self.assertEqual({b["data"]["shortcut_name"] for b in blocks if b["type"] == "shortcut"}, {s.label for s in ws.shortcuts})
        self.assertEqual(len(ws.number_cards), 4)
        self.assertEqual(len(ws.charts), 2)

    def test_number_cards_count_with_real_fields_or_a_whitelisted_method(self):
        for name in frappe.get_all("Number Card", filters={"module": "Wix Commerce Sync"}, pluck="name"):
            card = frappe.get_doc("Number Card", name)
            with self.subTest(card=name):
                if card.type == "Custom":
                    method = frappe.get_attr(card.method)
                    self.assertIn(method, frappe.whitelisted)
                    self.assertIsInstance(method()["value"], int)
                    continue
                meta = frappe.get_meta(card.document_type)
                for doctype, field, operator, _value, *_ in json.loads(card.filters_json):
                    self.assertEqual(doctype, card.document_type)
                    self.assertTrue(meta.has_field(field) or field in ("creation", "modified"), field)
                    self.assertIn(operator, ("in", "=", "Timespan"))

    def test_dashboard_charts_draw_from_their_sources(self):
        for name in frappe.get_all("Dashboard Chart", filters={"module": "Wix Commerce Sync"}, pluck="name"):
            chart = frappe.get_doc("Dashboard Chart", name)
            with self.subTest(chart=name):
                self.assertEqual(chart.chart_type, "Custom")
                module = frappe.scrub(chart.source)
                get = frappe.get_attr(f"wix_commerce_sync.wix_commerce_sync.dashboard_chart_source.{module}.{module}.get")
                self.assertIn(get, frappe.whitelisted)
                data = get(filters=json.dumps({}))
                self.assertEqual(len(data["labels"]), 7)
                for dataset in data["datasets"]:
                    self.assertEqual(len(dataset["values"]), 7)

    def test_migrate_leaves_unchanged_records_alone(self):
        from frappe import standin

        self.assertEqual(standin.sync_module_records(), [])


class TestDashboardData(DeskCase):
    def test_cards_charts_and_pages_follow_the_store_filter(self):
        from wix_commerce_sync.api import desk

        other, _fake = fx.make_store(self.basics, f"Commerce Other Shop {frappe.generate_hash(length=6)}")
        data = desk.dashboard_data(store=self.store)
        self.assertEqual([c["store"] for c in data["cards"]], [self.store])
        for key in ("per_hour", "per_day", "orders_per_day", "job_ms"):
            self.assertIn("datasets", data["charts"][key])
        self.assertEqual(len(data["charts"]["per_hour"]["labels"]), 24)
        everything = desk.dashboard_data()
        self.assertTrue({self.store, other} <= {c["store"] for c in everything["cards"]})
        self.assertEqual(data["activity"]["page_length"], desk.PAGE_LENGTH)
        self.assertNotRegex(data["updated"], r"\.\d+$")

    def test_the_card_shows_the_stock_drift_of_the_last_reconciliation(self):
        from wix_commerce_sync.api import desk
        from wix_commerce_sync.tasks.scheduler import commerce_sync_hourly_reconcile, reconcile_store

        self.assertIsNone(desk.store_cards(self.store)[0]["drift"])
        self.mapped_sku()  # ERPNext has a quantity the store never got
        frappe.db.set_single_value("Commerce Sync Settings", "enabled", 1)
        self.held.reset_mock()
        commerce_sync_hourly_reconcile()  # one job per store (this site may hold other runs' stores): only enqueues
        self.assertIn(({"store": self.store}), [{"store": c.kwargs.get("store")} for c in self.held.call_args_list])
        reconcile_store(self.store)  # what the worker runs
        card = desk.store_cards(self.store)[0]
        self.assertGreaterEqual(card["drift"], 1)
        self.assertTrue(card["drift_checked"])

    def test_stale_webhooks_are_counted(self):
        from wix_commerce_sync.api import desk

        store, _fake = fx.make_store(self.basics, f"Commerce Stale Shop {frappe.generate_hash(length=6)}")
        old = frappe.utils.add_to_date(frappe.utils.now_datetime(), days=-3)
        before = desk.stale_webhook_count()["value"]
        frappe.db.set_value("Commerce Store", store, {"webhooks_registered_at": old, "last_webhook_at": old})
        self.assertEqual(desk.stale_webhook_count()["value"], before + 1)
        self.assertIn(store, desk.stale_webhook_stores())

    def test_a_delivery_noted_in_the_cache_makes_the_store_healthy_and_reaches_the_row_hourly(self):
        from wix_commerce_sync.api import desk

        store, _fake = fx.make_store(self.basics, f"Commerce Fresh Shop {frappe.generate_hash(length=6)}")
        old = frappe.utils.add_to_date(frappe.utils.now_datetime(), days=-3)
        frappe.db.set_value("Commerce Store", store, {"webhooks_registered_at": old, "last_webhook_at": old})
        self.assertIn(store, desk.stale_webhook_stores())
        shell.note_webhook(store)  # what the accept path does: the cache only, never the store's row
        self.assertNotIn(store, desk.stale_webhook_stores())
        self.assertEqual(desk.store_cards(store)[0]["webhooks_indicator"], "green")
        self.assertEqual(frappe.db.get_value("Commerce Store", store, "last_webhook_at"), old)
        self.assertGreaterEqual(shell.persist_last_webhook_times(), 1)
        self.assertGreater(frappe.db.get_value("Commerce Store", store, "last_webhook_at"), old)
