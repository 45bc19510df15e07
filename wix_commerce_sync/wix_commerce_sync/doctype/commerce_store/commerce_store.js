// Commerce Store form: the manual actions, each a whitelisted, role-checked method.
const API = "wix_commerce_sync.api.actions.";

function run(frm, method, args, done) {
	frappe.call({
		method: API + method,
		args: Object.assign({ store: frm.doc.name }, args || {}),
		freeze: true,
		freeze_message: __("Working…"),
		callback: (r) => done && done(r.message),
	});
}

function show(title, data) {
	frappe.msgprint({ title: title, message: "<pre>" + frappe.utils.escape_html(JSON.stringify(data, null, 2)) + "</pre>", wide: true });
}

frappe.ui.form.on("Commerce Store", {
	refresh(frm) {
		if (frm.is_new()) return;
		const group = __("Sync");
		frm.add_custom_button(__("Test Connection"), () => run(frm, "test_connection", {}, (m) =>
			frappe.msgprint(m.ok ? __("Connected to {0}", [m.shop_name || frm.doc.name]) : __("Failed: {0}", [m.error]))), group);
		frm.add_custom_button(__("Register Webhooks"), () => run(frm, "register_webhooks", {}, (m) => show(__("Webhooks"), m)), group);
		frm.add_custom_button(__("Unregister Webhooks"), () => run(frm, "unregister_webhooks", {}, (m) => show(__("Webhooks"), m)), group);
		frm.add_custom_button(__("Webhook Status"), () => run(frm, "webhook_status", {}, (m) => show(__("Webhooks"), m)), group);
		frm.add_custom_button(__("Process Queue Now"), () => run(frm, "process_queue_now", {}, () =>
			frappe.show_alert({ message: __("Queue processing started"), indicator: "green" })), group);
		frm.add_custom_button(__("Full Sync from Store"), () =>
			frappe.confirm(__("Import products, customers and the orders of the last {0} days? Large stores can take long.",
				[frm.doc.order_backfill_days || 60]), () => run(frm, "full_sync", {}, (m) => frappe.show_alert(m.message))), group);
		frm.add_custom_button(__("Sync Orders…"), () => {
			const d = new frappe.ui.Dialog({
				title: __("Sync orders from the store"),
				fields: [
					{ fieldname: "status", fieldtype: "Data", label: __("Store statuses (comma separated)") },
					{ fieldname: "since", fieldtype: "Datetime", label: __("Since (default: last 60 days)") },
					{ fieldname: "limit", fieldtype: "Int", label: __("Limit") },
				],
				primary_action_label: __("Sync"),
				primary_action(values) { d.hide(); run(frm, "sync_orders", values, (m) => show(__("Orders"), m)); },
			});
			d.show();
		}, group);
		frm.add_custom_button(__("Sync One Record…"), () => {
			const d = new frappe.ui.Dialog({
				title: __("Sync one record by its store id"),
				fields: [
					{ fieldname: "kind", fieldtype: "Select", options: "Product\nCustomer\nOrder", default: "Order", label: __("Record") },
					{ fieldname: "external_id", fieldtype: "Data", reqd: 1, label: __("Store id") },
				],
				primary_action(v) {
					d.hide();
					const method = { Product: "sync_product", Customer: "sync_customer", Order: "process_order" }[v.kind];
					const args = v.kind === "Order" ? { order_id: v.external_id } : { external_id: v.external_id };
					run(frm, method, args, (m) => show(v.kind, m));
				},
			});
			d.show();
		}, group);
		frm.add_custom_button(__("Push Stock of SKU…"), () => frappe.prompt(
			{ fieldname: "sku", fieldtype: "Data", reqd: 1, label: __("SKU") },
			(v) => run(frm, "push_stock", v, (m) => show(__("Stock"), m))), group);
		frm.add_custom_button(__("Sync Status"), () => run(frm, "sync_status", {}, (m) => show(__("Sync status"), m)), group);
		frm.add_custom_button(__("Retry Failed Jobs"), () => run(frm, "retry_failed", {}, (m) =>
			frappe.show_alert(__("{0} job(s) queued again", [m.requeued]))), group);
		frm.add_custom_button(__("Find Duplicate Customers"), () => run(frm, "find_duplicate_customers", {}, (m) => show(__("Possible duplicates"), m)), group);
		frm.add_custom_button(__("Dashboard"), () => window.open("/commerce-sync-dashboard?store=" + encodeURIComponent(frm.doc.name)));
	},
});

// realtime progress of long work (full sync) on this store
frappe.realtime.on("progress", (data) => {
	if (cur_frm && cur_frm.doctype === "Commerce Store" && data && data.title) {
		frappe.show_progress(data.title, data.percent, 100, data.description);
		if (data.percent >= 100) setTimeout(() => frappe.hide_progress(), 1500);
	}
});
