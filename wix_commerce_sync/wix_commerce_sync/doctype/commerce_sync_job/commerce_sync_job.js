frappe.ui.form.on("Commerce Sync Job", {
	refresh(frm) {
		if (["Failed", "Dead"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () => frappe.call({
				method: "wix_commerce_sync.api.actions.retry_failed",
				args: { jobs: [frm.doc.name] },
				callback: () => frm.reload_doc(),
			}));
		}
	},
});
