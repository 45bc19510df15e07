// Commerce Sync Job: read-only for users (made by the sync only); Retry on Failed/Dead; payload shown formatted.
frappe.ui.form.on("Commerce Sync Job", {
	refresh(frm) {
		frm.disable_save();
		if (["Failed", "Dead"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () => frappe.call({
				method: "wix_commerce_sync.api.actions.retry_failed",
				args: { jobs: [frm.doc.name] },
				freeze: true,
				callback: (r) => {
					frappe.show_alert({ message: r.message.summary.message, indicator: "green" });
					frm.reload_doc();
				},
			})).addClass("btn-primary");
		}
		const payload = frm.fields_dict.payload;
		if (payload && frm.doc.payload) {
			let pretty = frm.doc.payload;
			try {
				pretty = JSON.stringify(JSON.parse(frm.doc.payload), null, 2); // the stored record, indented for reading
			} catch (e) {
				// not JSON: shown as stored
			}
			payload.$wrapper.find(".control-value, .like-disabled-input").html(`<pre style="max-height: 50vh; overflow: auto">${frappe.utils.escape_html(pretty)}</pre>`);
		}
	},
});
