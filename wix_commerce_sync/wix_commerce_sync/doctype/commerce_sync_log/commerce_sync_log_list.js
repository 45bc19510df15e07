frappe.listview_settings["Commerce Sync Log"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colors = { Success: "green", Failed: "red", Skipped: "gray", Conflict: "orange", Partial: "yellow", Rejected: "purple" };
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
};
