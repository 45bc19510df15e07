frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Commerce Orders per Day"] = {
	method: "wix_commerce_sync.wix_commerce_sync.dashboard_chart_source.commerce_orders_per_day.commerce_orders_per_day.get",
	filters: [{ fieldname: "store", label: __("Commerce Store"), fieldtype: "Link", options: "Commerce Store" }],
};
