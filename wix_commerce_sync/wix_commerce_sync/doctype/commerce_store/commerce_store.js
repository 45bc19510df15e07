// Commerce Store form: the manual actions (whitelisted, role-checked methods in api/actions.py), the setup
// checklist and readable results. Every answer carries a `summary` (sentence, counts, table with links) that
// `show_result` renders; failures arrive as Frappe messages (frappe.throw on the server), never as raw data.
const API = "wix_commerce_sync.api.actions.";
const DESK = "wix_commerce_sync.api.desk.";

const STATUS_LABELS = {
	PENDING: __("Pending"), CONFIRMED: __("Confirmed"), PROCESSING: __("Processing"), PICKED: __("Picked"),
	PACKED: __("Packed"), SHIPPED: __("Shipped"), OUT_FOR_DELIVERY: __("Out for delivery"), DELIVERED: __("Delivered"),
	CANCELLED: __("Cancelled"), RETURNED: __("Returned"),
};
const DIRECTION_LABELS = { both: __("Both ways"), inbound: __("Store to ERPNext"), outbound: __("ERPNext to store") };

function run(frm, method, args, done) {
	return frappe.call({
		method: (method.includes(".") ? "" : API) + method,
		args: Object.assign({ store: frm.doc.name }, args || {}),
		freeze: true,
		freeze_message: __("Working…"),
		callback: (r) => done && r.message && done(r.message),
	});
}

function user_time(value) {
	// stored in the site's time zone; shown in the user's (Frappe v15 user time zones), without microseconds
	const local = frappe.datetime.convert_to_user_tz ? frappe.datetime.convert_to_user_tz(value) : value;
	return frappe.datetime.str_to_user(local);
}

function cell_html(cell) {
	if (Array.isArray(cell)) return cell.map(cell_html).join(", ");
	if (cell && typeof cell === "object" && cell.datetime) return frappe.utils.escape_html(user_time(cell.datetime));
	if (cell && typeof cell === "object" && cell.doctype) {
		return `<a href="${frappe.utils.get_form_link(cell.doctype, cell.name)}">${frappe.utils.escape_html(cell.label || cell.name)}</a>`;
	}
	return frappe.utils.escape_html(cell == null ? "" : String(cell));
}

function result_html(s) {
	let html = `<p class="indicator-pill ${s.indicator || "gray"}" style="white-space: normal">${frappe.utils.escape_html(s.message)}</p>`;
	if (s.counts && s.counts.length) {
		html += "<p>" + s.counts.map(([k, v]) => `${frappe.utils.escape_html(k)}: <b>${cell_html(v)}</b>`).join(" · ") + "</p>";
	}
	if (s.rows && s.rows.length) {
		html += '<div style="max-height: 60vh; overflow: auto"><table class="table table-bordered table-sm"><thead><tr>'
			+ (s.columns || []).map((c) => `<th>${frappe.utils.escape_html(c)}</th>`).join("") + "</tr></thead><tbody>"
			+ s.rows.map((row) => "<tr>" + row.map((c) => `<td>${cell_html(c)}</td>`).join("") + "</tr>").join("")
			+ "</tbody></table></div>";
	}
	return html;
}

function show_result(title, answer) {
	const s = answer.summary;
	const d = new frappe.ui.Dialog({ title: title, size: "extra-large", fields: [{ fieldtype: "HTML", fieldname: "body" }] });
	d.fields_dict.body.$wrapper.html(result_html(s));
	d.show();
	return d;
}

function sync_orders_dialog(frm) {
	const statuses = [...new Set((frm.doc.status_mappings || []).map((r) => r.store_status))].join(", ");
	const d = new frappe.ui.Dialog({
		title: __("Sync orders from the store"),
		fields: [
			{ fieldname: "status", fieldtype: "Data", label: __("Store statuses (comma separated)"), description: __("Allowed: {0}", [statuses]) },
			{ fieldname: "since", fieldtype: "Datetime", label: __("Since (default: last {0} days)", [frm.doc.order_backfill_days || 60]) },
			{ fieldname: "limit", fieldtype: "Int", label: __("Limit") },
		],
		primary_action_label: __("Sync"),
		primary_action(values) { d.hide(); run(frm, "sync_orders", values, (m) => show_result(__("Orders"), m)); },
	});
	d.show();
}

function sync_one_dialog(frm) {
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
			run(frm, method, args, (m) => show_result(__(v.kind), m));
		},
	});
	d.show();
}

function push_stock(frm, sku, confirm) {
	run(frm, "push_stock", { sku: sku, confirm: confirm ? 1 : 0 }, (m) => {
		if (!m.needs_confirmation) return show_result(__("Stock"), m);
		frappe.confirm(result_html(m.summary), () => push_stock(frm, sku, true));
	});
}

function render_checklist(frm) {
	frappe.call({ method: DESK + "setup_checklist", args: { store: frm.doc.name } }).then((r) => {
		const c = r.message;
		if (!c || frm.doc.__unsaved) return;
		const rows = c.steps.map((s, i) => `<div class="flex justify-between align-center" style="padding: 4px 0">
			<span class="indicator-pill ${s.indicator}">${frappe.utils.escape_html(s.label)}</span>
			<span class="text-muted small" style="flex: 1; margin: 0 12px">${frappe.utils.escape_html(s.detail || "")}</span>
			${s.action ? `<button class="btn btn-xs btn-default" data-step="${i}">${frappe.utils.escape_html(s.action_label)}</button>` : ""}
		</div>`).join("");
		frm.dashboard.wrapper.find(".commerce-setup").closest(".form-dashboard-section").remove(); // one, even after two refreshes
		const $section = frm.dashboard.add_section(`<div class="commerce-setup">${rows}</div>`,
			__("Setup: {0} of {1} done", [c.done, c.total]));
		$section.find("button[data-step]").on("click", (e) => {
			const step = c.steps[$(e.currentTarget).data("step")];
			actions(frm)[step.action]();
		});
	});
}

function actions(frm) {
	const reload = (m, title) => { show_result(title, m); frm.reload_doc(); };
	return {
		test_connection: () => run(frm, "test_connection", {}, (m) => reload(m, __("Test Connection"))),
		register_webhooks: () => run(frm, "register_webhooks", {}, (m) => reload(m, __("Webhooks"))),
		unregister_webhooks: () => frappe.confirm(__("Remove this site's webhooks from the store? Changes then arrive only by the scheduled poll."),
			() => run(frm, "unregister_webhooks", {}, (m) => reload(m, __("Webhooks")))),
		webhook_status: () => run(frm, "webhook_status", {}, (m) => show_result(__("Webhooks"), m)),
		process_queue_now: () => run(frm, "process_queue_now", {}, (m) => frappe.show_alert({ message: m.summary.message, indicator: "blue" })),
		full_sync: () => frappe.confirm(__("Import products, customers and the orders of the last {0} days? Large stores can take long.",
			[frm.doc.order_backfill_days || 60]), () => run(frm, "full_sync", {}, (m) => frappe.show_alert({ message: m.summary.message, indicator: "blue" }))),
		sync_orders: () => sync_orders_dialog(frm),
		sync_one: () => sync_one_dialog(frm),
		push_stock: () => frappe.prompt({ fieldname: "sku", fieldtype: "Data", reqd: 1, label: __("SKU") }, (v) => push_stock(frm, v.sku)),
		sync_status: () => run(frm, "sync_status_report", {}, (m) => show_result(__("Sync status"), m)),
		retry_failed: () => run(frm, "retry_failed", {}, (m) => show_result(__("Retry"), m)),
		find_duplicates: () => run(frm, "find_duplicate_customers", {}, (m) => show_result(__("Possible duplicate customers"), m)),
	};
}

frappe.ui.form.on("Commerce Store", {
	setup(frm) {
		// readable labels for the status map's codes (the stored values stay the codes the sync uses)
		const grid = frm.fields_dict.status_mappings.grid;
		grid.update_docfield_property("erp_status", "formatter", (value) => frappe.utils.escape_html(STATUS_LABELS[value] || value || ""));
		grid.update_docfield_property("direction", "formatter", (value) => frappe.utils.escape_html(DIRECTION_LABELS[value] || value || ""));
	},
	refresh(frm) {
		// API tokens and secrets are issued by the platform: no password-strength meter on them
		for (const f of ["access_token", "client_secret", "consumer_key", "consumer_secret", "api_key", "app_secret", "webhook_secret"]) {
			if (frm.fields_dict[f]) frm.fields_dict[f].enable_password_checks = false;
		}
		if (frm.is_new()) return;
		const group = __("Sync");
		const a = actions(frm);
		const buttons = [
			[__("Test Connection"), a.test_connection], [__("Register Webhooks"), a.register_webhooks],
			[__("Unregister Webhooks"), a.unregister_webhooks], [__("Webhook Status"), a.webhook_status],
			[__("Process Queue Now"), a.process_queue_now], [__("Full Sync from Store"), a.full_sync],
			[__("Sync Orders…"), a.sync_orders], [__("Sync One Record…"), a.sync_one], [__("Push Stock of SKU…"), a.push_stock],
			[__("Sync Status"), a.sync_status], [__("Retry Failed Jobs"), a.retry_failed], [__("Find Duplicate Customers"), a.find_duplicates],
		];
		for (const [label, fn] of buttons) frm.add_custom_button(label, fn, group);
		frm.add_custom_button(__("Dashboard"), () => {
			frappe.route_options = { store: frm.doc.name };
			frappe.set_route("commerce-sync-dashboard");
		});
		render_checklist(frm);
		// Full sync progress: the job calls frappe.publish_progress for this document (its realtime room), and the
		// desk's own "progress" listener shows it: no second, global listener here. The result arrives as a
		// realtime msgprint to the user who started it (api/actions.py run_and_report).
	},
});
