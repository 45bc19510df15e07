// The Commerce Sync dashboard: one ES module used by the website page (/commerce-sync-dashboard) and the desk
// Page (/app/commerce-sync-dashboard). Data: wix_commerce_sync.api.desk.dashboard_data; charts: frappe-charts
// (npm 1.6.2, bundled in vendor/); refreshes every 30 s.
import { Chart } from "./vendor/frappe-charts/frappe-charts.min.esm.js";

const API = "/api/method/wix_commerce_sync.api.";
const REFRESH_MS = 30000;
const STATUS_COLOURS = { Success: "#28a745", Failed: "#e24c4c", Skipped: "#8d99a6", Conflict: "#f39c12", Partial: "#ecad4b", Rejected: "#a06ee1" };
const __ = (text) => (window.__ ? window.__(text) : text);
const STYLE = `
  .csd { --green: #28a745; --orange: #f39c12; --red: #e24c4c; --blue: #2490ef; --grey: #8d99a6; }
  .csd .csd-bar { display: flex; gap: 1em; align-items: center; flex-wrap: wrap; margin-bottom: 1em; }
  .csd .csd-totals { display: flex; gap: .75em; flex-wrap: wrap; margin-bottom: 1em; }
  .csd .csd-total { border: 1px solid #e2e6e9; border-radius: 8px; padding: .5em 1em; min-width: 9em; }
  .csd .csd-total b { display: block; font-size: 1.4em; }
  .csd .csd-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(17em, 1fr)); gap: .75em; margin-bottom: 1em; }
  .csd .cs-card { border: 1px solid #e2e6e9; border-left: 6px solid var(--grey); border-radius: 8px; padding: .6em .9em; }
  .csd .cs-card.green { border-left-color: var(--green); } .csd .cs-card.orange { border-left-color: var(--orange); }
  .csd .cs-card.red { border-left-color: var(--red); } .csd .cs-card.blue { border-left-color: var(--blue); }
  .csd .cs-card dl { display: grid; grid-template-columns: auto 1fr; gap: .1em .8em; margin: .4em 0 0; font-size: .9em; }
  .csd .cs-card dt { color: #6c7680; font-weight: normal; } .csd .cs-card dd { margin: 0; }
  .csd .dot { display: inline-block; width: .6em; height: .6em; border-radius: 50%; background: var(--grey); margin-right: .3em; }
  .csd .dot.green { background: var(--green); } .csd .dot.orange { background: var(--orange); }
  .csd .dot.red { background: var(--red); } .csd .dot.blue { background: var(--blue); }
  .csd .csd-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(28em, 1fr)); gap: .75em; margin-bottom: 1em; }
  .csd .csd-chart { border: 1px solid #e2e6e9; border-radius: 8px; padding: .5em; min-height: 250px; }
  .csd table { width: 100%; border-collapse: collapse; font-size: .9em; }
  .csd td, .csd th { border-bottom: 1px solid #eef0f2; padding: 4px 6px; text-align: left; vertical-align: top; }
  .csd .csd-pager { display: flex; gap: .5em; align-items: center; margin: .4em 0 1.2em; }
  .csd .csd-result { margin-left: .5em; }
`;

function markup(options) {
  return `
<div class="csd commerce-sync-dashboard">
  ${options.title ? `<h2>${__("Commerce Sync")}</h2>` : ""}
  <div class="csd-bar">
    <label>${__("Store")}
      <select id="cs-store">
        <option value="">${__("All stores")}</option>
      </select>
    </label>
    <span id="cs-updated" class="text-muted"></span>
  </div>
  <div class="csd-totals" id="cs-totals"></div>
  <h4>${__("Stores")}</h4>
  <div class="csd-cards" id="cs-cards"></div>
  <h4>${__("Charts")}</h4>
  <div class="csd-charts">
    <div class="csd-chart" id="cs-chart-hour"></div>
    <div class="csd-chart" id="cs-chart-day"></div>
    <div class="csd-chart" id="cs-chart-orders"></div>
    <div class="csd-chart" id="cs-chart-ms"></div>
  </div>
  <h4>${__("Quick actions")}</h4>
  <p>
    <button class="btn btn-default btn-sm" data-action="process_queue_now">${__("Process queue now")}</button>
    <button class="btn btn-default btn-sm" data-action="retry_failed">${__("Retry all failed")}</button>
    <button class="btn btn-default btn-sm" data-action="sync_orders">${__("Sync recent orders")}</button>
    <button class="btn btn-default btn-sm" data-action="register_webhooks">${__("Register webhooks")}</button>
    <span id="cs-action-result" class="csd-result"></span>
  </p>
  <h4>${__("Failed and dead jobs")}</h4>
  <table id="cs-failed">
    <thead><tr><th>${__("Job")}</th><th>${__("Store")}</th><th>${__("Entity")}</th><th>${__("Status")}</th><th>${__("Attempts")}</th><th>${__("Document")}</th><th>${__("Error")}</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="csd-pager" id="cs-failed-pager"></div>
  <h4>${__("Activity")}</h4>
  <table id="cs-activity">
    <thead><tr><th>${__("Time")}</th><th>${__("Store")}</th><th>${__("Entity")}</th><th>${__("Operation")}</th><th>${__("Status")}</th><th>${__("Records")}</th><th>${__("ms")}</th><th>${__("Document")}</th><th>${__("Message")}</th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="csd-pager" id="cs-activity-pager"></div>
</div>`;
}

export function mount(root, options = {}) {
  if (!document.getElementById("csd-style")) {
    const style = document.createElement("style");
    style.id = "csd-style";
    style.textContent = STYLE;
    document.head.appendChild(style);
  }
  root.innerHTML = markup(options);
  let initial = options.store || "";
  const state = { failed: 0, activity: 0 };
  const charts = {};
  const $ = (id) => root.querySelector("#" + id);
  const esc = (v) => String(v == null ? "" : v).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const store = () => $("cs-store").value || initial;
  const slug = (doctype) => doctype.toLowerCase().replace(/ /g, "-");
  const cell = (v) => Array.isArray(v) ? v.map(cell).join(", ")
    : v && typeof v === "object" && v.doctype ? `<a href="/app/${slug(v.doctype)}/${encodeURIComponent(v.name)}">${esc(v.label || v.name)}</a>` : esc(v);

  function serverMessage(data, fallback) {
    // Frappe puts a thrown message in _server_messages: a JSON list of JSON objects
    try {
      const list = JSON.parse(data._server_messages || "[]").map((m) => JSON.parse(m).message);
      if (list.length) return list.join(" ").replace(/<[^>]+>/g, "");
    } catch (e) { /* not Frappe's shape */ }
    return (data && data.message) || fallback;
  }

  async function call(method, args, post) {
    const opts = { headers: { "Accept": "application/json", "X-Frappe-CSRF-Token": (window.frappe && frappe.csrf_token) || "" } };
    let url = API + method;
    const params = new URLSearchParams(args || {});
    if (post) { opts.method = "POST"; opts.body = params; } else { url += "?" + params; }
    const r = await fetch(url, opts);
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(serverMessage(data, r.statusText));
    return data.message;
  }

  function stores(m) {
    const select = $("cs-store"), chosen = select.value || initial;
    const wanted = ['<option value="">' + esc(__("All stores")) + "</option>"].concat(
      m.stores.map((s) => `<option value="${esc(s.name)}">${esc(s.name)} (${esc(s.platform)})</option>`)).join("");
    if (select.dataset.options !== wanted) { select.innerHTML = wanted; select.dataset.options = wanted; }
    select.value = chosen;
    initial = "";
  }

  function totals(m) {
    const t = m.summary.totals, p = m.summary.performance;
    const boxes = [["Operations (24 h)", t.operations], ["Success rate", t.success_rate == null ? "–" : t.success_rate + " %"],
      ["Failures (24 h)", t.failed], ["Rejected webhooks", t.rejected], ["Queue length", t.pending], ["Failed / dead jobs", t.failed_jobs],
      ["Average operation", p.avg_duration_ms == null ? "–" : p.avg_duration_ms + " ms"]];
    $("cs-totals").innerHTML = boxes.map(([k, v]) => `<div class="csd-total"><span class="text-muted">${esc(k)}</span><b>${esc(v)}</b></div>`).join("");
  }

  function cards(m) {
    $("cs-cards").innerHTML = m.cards.map((c) => `<div class="cs-card ${esc(c.indicator)}" data-store="${esc(c.store)}">
      <b><a href="/app/commerce-store/${encodeURIComponent(c.store)}">${esc(c.store)}</a></b> <span class="text-muted">${esc(c.platform)}</span>
      <dl>
        <dt>Enabled</dt><dd><span class="dot ${c.enabled ? "green" : "grey"}"></span>${c.enabled ? "yes" : "no"}</dd>
        <dt>Webhooks</dt><dd><span class="dot ${esc(c.webhooks_indicator)}"></span>${esc(c.webhooks)}</dd>
        <dt>Last webhook</dt><dd>${esc(c.last_webhook_age)}${c.last_webhook_age !== "never" ? " ago" : ""}</dd>
        <dt>Last success</dt><dd>${esc(c.last_success || "never")}</dd>
        <dt>Failures (24 h)</dt><dd><span class="dot ${c.failures_24h ? "orange" : "green"}"></span>${esc(c.failures_24h)}</dd>
        <dt>Rejected webhooks (24 h)</dt><dd><span class="dot ${c.rejected_24h ? "orange" : "green"}"></span>${esc(c.rejected_24h)}</dd>
        <dt>Failed jobs</dt><dd><span class="dot ${c.failed_jobs ? "red" : "green"}"></span>${esc(c.failed_jobs)}</dd>
        <dt>Stock drift</dt><dd>${c.drift == null ? "not reconciled yet" : `<span class="dot ${c.drift ? "orange" : "green"}"></span>${esc(c.drift)} at last reconciliation`}</dd>
        <dt>First import</dt><dd>${c.first_import ? "done" : "not yet"}</dd>
      </dl></div>`).join("") || `<p class="text-muted">No Commerce Store yet.</p>`;
  }

  function draw(id, title, data, type, colours) {
    const datasets = data.datasets.length ? data.datasets : [{ name: title, values: data.labels.map(() => 0) }];
    const options = { title, type, height: 220, data: { labels: data.labels, datasets },
      colors: colours ? datasets.map((d) => colours[d.name] || "#5e64ff") : undefined,
      barOptions: { stacked: 1, spaceRatio: 0.3 }, axisOptions: { xIsSeries: 1 } };
    // frappe-charts cannot update() to a different set of datasets (a store filter changes them): draw anew
    const shape = datasets.map((d) => d.name).join("|");
    if (charts[id] && charts[id].shape === shape) { charts[id].chart.update({ labels: data.labels, datasets }); return; }
    $(id).innerHTML = "";
    charts[id] = { shape, chart: new Chart($(id), options) };
  }

  function pager(id, page, key) {
    const last = Math.max(0, Math.ceil(page.total / page.page_length) - 1), at = Math.floor(page.start / page.page_length);
    $(id).innerHTML = `<button class="btn btn-xs btn-default" data-page="-1" ${at <= 0 ? "disabled" : ""}>‹ Newer</button>
      <span class="text-muted">page ${at + 1} of ${last + 1} · ${page.total} rows</span>
      <button class="btn btn-xs btn-default" data-page="1" ${at >= last ? "disabled" : ""}>Older ›</button>`;
    $(id).querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
      state[key] = Math.max(0, page.start + Number(b.dataset.page) * page.page_length); refresh();
    }));
  }

  function lists(m) {
    $("cs-failed").querySelector("tbody").innerHTML = m.failed_jobs.rows.map((j) => `<tr>
      <td>${cell(j.job)}</td><td>${esc(j.store)}</td><td>${esc(j.entity)} ${esc(j.action)}</td><td>${esc(j.status)}</td>
      <td>${esc(j.attempts)}</td><td>${cell(j.document)}</td><td>${esc(j.error)}</td>
      <td><button class="btn btn-xs btn-primary cs-retry" data-job="${esc(j.job.name)}">Retry</button></td></tr>`).join("")
      || `<tr><td colspan="8" class="text-muted">No failed or dead job.</td></tr>`;
    pager("cs-failed-pager", m.failed_jobs, "failed");
    $("cs-activity").querySelector("tbody").innerHTML = m.activity.rows.map((a) => `<tr>
      <td>${esc(a.time)}</td><td>${esc(a.store)}</td><td>${esc(a.entity)}</td><td>${esc(a.operation)}</td><td>${esc(a.status)}</td>
      <td>${esc(a.records)}</td><td>${esc(a.ms)}</td><td>${cell(a.document)}</td><td>${esc(a.message)}</td></tr>`).join("")
      || `<tr><td colspan="9" class="text-muted">No activity yet.</td></tr>`;
    pager("cs-activity-pager", m.activity, "activity");
    root.querySelectorAll(".cs-retry").forEach((b) => b.addEventListener("click", () => act("retry_failed", { jobs: b.dataset.job }, b)));
  }

  function say(text, colour) { $("cs-action-result").innerHTML = `<span class="dot ${colour}"></span>${esc(text)}`; }

  async function act(action, args, button) {
    if (button) button.disabled = true;
    try {
      const params = Object.assign(store() ? { store: store() } : {}, args || {});
      const m = await call("actions." + action, params, true);
      say(m.summary.message, m.summary.indicator || "green");
      await refresh();
    } catch (e) { say(e.message, "red"); }
    finally { if (button) button.disabled = false; }
  }

  async function refresh() {
    try {
      const m = await call("desk.dashboard_data", Object.assign(store() ? { store: store() } : {},
        { failed_start: state.failed, activity_start: state.activity }));
      stores(m); totals(m); cards(m); lists(m);
      draw("cs-chart-hour", "Operations per hour (24 h)", m.charts.per_hour, "bar", STATUS_COLOURS);
      draw("cs-chart-day", "Operations per day (7 days)", m.charts.per_day, "bar", STATUS_COLOURS);
      draw("cs-chart-orders", "Orders synced per day by store", m.charts.orders_per_day, "bar");
      draw("cs-chart-ms", "Average operation time per hour (ms)", m.charts.job_ms, "line");
      $("cs-updated").textContent = `updated ${m.updated} (${m.time_zone}); refreshes every 30 s`;
      root.querySelector(".csd").dataset.loaded = "1";
    } catch (e) {
      $("cs-updated").innerHTML = `<span class="dot red"></span>${esc(e.message)}`;
      console.error("commerce sync dashboard: refresh failed", e); // visible to the browser tests' console check
    }
  }

  root.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", () => {
    if (!store() && b.dataset.action !== "retry_failed") { say("Choose a store first.", "orange"); return; }
    act(b.dataset.action, {}, b);
  }));
  $("cs-store").addEventListener("change", () => {
    state.failed = 0; state.activity = 0;
    const url = new URL(window.location.href);
    if (store()) url.searchParams.set("store", store()); else url.searchParams.delete("store");
    if (options.syncUrl) window.history.replaceState(null, "", url);
    refresh();
  });
  refresh();
  const timer = setInterval(() => (root.isConnected ? refresh() : clearInterval(timer)), REFRESH_MS);
  return { refresh };
}
