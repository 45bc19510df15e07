// Desk Page /app/commerce-sync-dashboard: mounts the dashboard module the website page uses too.
frappe.pages["commerce-sync-dashboard"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Commerce Sync Dashboard"), single_column: true });
	page.set_secondary_action(__("Commerce Stores"), () => frappe.set_route("List", "Commerce Store"));
	const root = document.createElement("div");
	page.main.get(0).appendChild(root);
	const store = (frappe.route_options && frappe.route_options.store) || new URLSearchParams(window.location.search).get("store") || "";
	frappe.route_options = null;
	import("/assets/wix_commerce_sync/js/commerce_sync_dashboard.js").then((m) => m.mount(root, { store: store }));
};
