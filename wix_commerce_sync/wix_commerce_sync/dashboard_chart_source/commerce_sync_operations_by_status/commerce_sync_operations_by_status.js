frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Commerce Sync Operations by Status"] = {
	method: "wix_commerce_sync.wix_commerce_sync.dashboard_chart_source.commerce_sync_operations_by_status.commerce_sync_operations_by_status.get",
	filters: [{ fieldname: "store", label: __("Commerce Store"), fieldtype: "Link", options: "Commerce Store" }],
};
