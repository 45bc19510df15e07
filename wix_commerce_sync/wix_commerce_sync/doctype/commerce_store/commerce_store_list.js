// Commerce Store list: an indicator per store health, from the list row's own fields.
const STALE_MS = 24 * 3600 * 1000;

frappe.listview_settings["Commerce Store"] = {
	add_fields: ["enabled", "platform", "store_url", "webhooks_registered_at", "last_webhook_at", "last_order_run", "connection_checked_at"],
	get_indicator(doc) {
		if (!doc.enabled) return [__("Disabled"), "gray", "enabled,=,0"];
		if (!doc.connection_checked_at) return [__("Not connected"), "orange", "connection_checked_at,is,not set"];
		if (!doc.webhooks_registered_at) return [__("No webhooks"), "orange", "webhooks_registered_at,is,not set"];
		const last = doc.last_webhook_at || doc.webhooks_registered_at;
		if (Date.now() - frappe.datetime.str_to_obj(last).getTime() > STALE_MS) return [__("Webhooks stale"), "red", "enabled,=,1"];
		return [__("Live"), "green", "enabled,=,1"];
	},
};
