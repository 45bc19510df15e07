frappe.listview_settings["Commerce Sync Job"] = {
	add_fields: ["status", "attempts", "last_error"],
	get_indicator(doc) {
		const colors = { Queued: "blue", Processing: "orange", Done: "green", Failed: "red", Dead: "darkgrey", Superseded: "gray" };
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
	onload(listview) {
		listview.page.add_action_item(__("Retry"), () => {
			const names = listview.get_checked_items(true);
			frappe.call({ method: "wix_commerce_sync.api.actions.retry_failed", args: { jobs: names },
				callback: (r) => { frappe.show_alert(__("{0} job(s) queued again", [r.message.requeued])); listview.refresh(); } });
		});
	},
};
