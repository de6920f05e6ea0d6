import { formatDurationShort } from '../detection/learned-runtime.ts';
import type { AlertView, DeliveryState, FlowPageModel, IncidentView } from './flow-page-model.ts';
import { html, type Html } from './html.ts';
import { jsonScript, renderLayout, timeAgo, utcMinute } from './render-layout.ts';
import { renderStrip, stateCell } from './render-status-page.ts';

/**
 * One flow's page: what is wrong with it in full (every line of the error), the settings the worker applies, where
 * its alerts go, its history and the alerts sent. Tables and text carry everything; the charts drawn by
 * flow-page.js from `#chart-data` only add a picture of the same numbers.
 */

export function renderFlowPage(model: FlowPageModel): string {
  const { row, now } = model;
  const account = row.account === null ? '' : html` · account ${row.account}`;
  const labels = row.labels.map(([key, value]) => html`<span class="chip">${key}=${value}</span>`);
  const main = html`<nav aria-label="Breadcrumb" class="crumbs"><a href="/">All flows</a> › ${row.name}</nav>
<h1>${row.name} <small>#${row.id}${account}</small></h1>
<div class="summary state-${row.state}" data-flow="${row.key}" data-state="${row.state}">${stateCell(row, now)}${labels.length === 0 ? '' : html`<p>${labels}</p>`}</div>
${incidentsSection(model.incidents, now)}
${settingsSection(model)}
${routesSection(model)}
${attemptsSection(model)}
${durationsSection(model)}
${loadedSection(model)}
${alertsSection(model.alerts, now)}
${chartData(model)}`;
  return renderLayout({
    title: row.name,
    now,
    health: model.health,
    main,
    // status-page.js for the strip's arrow keys; with no `#live` here it refreshes nothing.
    scripts: ['/assets/status-page.js', '/assets/uplot.min.js', '/assets/flow-page.js'],
    styles: ['/assets/uplot.min.css'],
  });
}

function section(id: string, title: string, body: Html | Html[]): Html {
  return html`<section id="${id}" aria-labelledby="${id}-heading"><h2 id="${id}-heading">${title}</h2>${body}</section>`;
}

/** Every error line as it came, escaped: the first line the list shows is rarely the one that explains. */
function errorBlock(errors: readonly string[]): Html | '' {
  return errors.length === 0 ? '' : html`<pre class="error">${errors.join('\n\n')}</pre>`;
}

function incidentsSection(incidents: readonly IncidentView[], now: number): Html {
  if (incidents.length === 0) return section('incidents', 'Open incidents', html`<p>None.</p>`);
  const items = incidents.map((incident) => {
    const attempt = incident.attemptId === null ? '' : html`, attempt ${incident.attemptId}`;
    return html`<article class="incident state-${incident.kind}"><h3><span class="badge">${incident.title}</span></h3><p>since ${timeAgo(incident.since, now)} (${utcMinute(incident.since)})${attempt}</p>${errorBlock(incident.errors)}</article>`;
  });
  return section('incidents', 'Open incidents', items);
}

function settingsSection(model: FlowPageModel): Html {
  const items = model.settings.map((setting) => html`<dt>${setting.name}</dt><dd>${setting.value}</dd>`);
  return section('settings', 'Settings', html`<dl class="settings">${items}</dl>`);
}

function routesSection(model: FlowPageModel): Html {
  if (model.routes.length === 0) return section('routes', 'Where alerts go', html`<p>This flow raises no alerts.</p>`);
  const rows = model.routes.flatMap((route) =>
    route.destinations.length === 0
      ? [html`<tr><td>${route.kind}</td><td colspan="3">nowhere: no route sends it</td></tr>`]
      : route.destinations.map((destination) => html`<tr><td>${route.kind}</td><td>${destination.notifier}</td><td>${destination.severity}</td><td>${destination.because}</td></tr>`),
  );
  return section(
    'routes',
    'Where alerts go',
    html`<table><thead><tr><th scope="col">Kind</th><th scope="col">Notifier</th><th scope="col">Severity</th><th scope="col">Because</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

function attemptsSection(model: FlowPageModel): Html {
  if (model.attempts.length === 0) return section('attempts', 'Recent attempts', html`<p>No finished attempt seen yet.</p>`);
  const rows = [...model.attempts].reverse().map((attempt) => {
    const duration = attempt.durationMs === null ? 'no end given' : formatDurationShort(attempt.durationMs);
    return html`<tr class="o-row-${attempt.outcome}"><td>${attempt.attemptId}</td><td>${attempt.outcome}</td><td>${utcMinute(attempt.createdAt)} (${timeAgo(attempt.createdAt, model.now)})</td><td>${duration}</td></tr>`;
  });
  return section(
    'attempts',
    'Recent attempts',
    html`${renderStrip(model.attempts, model.row.name, 'every')}<table><thead><tr><th scope="col">Attempt</th><th scope="col">Outcome</th><th scope="col">Started</th><th scope="col">Duration</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

function durationsSection(model: FlowPageModel): Html {
  const samples = model.durations;
  const spread =
    samples.length === 0
      ? 'No successful run to learn from yet.'
      : `Learned from ${samples.length} successful ${samples.length === 1 ? 'run' : 'runs'}: shortest ${formatDurationShort(Math.min(...samples))}, median ${formatDurationShort(median(samples))}, longest ${formatDurationShort(Math.max(...samples))}.`;
  return section(
    'durations',
    'Durations',
    html`<figure><div id="duration-chart" class="chart"></div><figcaption>Runtime limit: ${model.runtimeLimit.description}. ${spread}</figcaption></figure>`,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((first, second) => first - second);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function loadedSection(model: FlowPageModel): Html {
  if (model.loaded.length === 0) return section('loaded', 'Rows loaded per resource', html`<p>No rows counted yet.</p>`);
  const rows = model.loaded.map(({ resource, values }) => {
    const last = values.at(-1);
    const range = values.length === 0 ? '—' : `${Math.min(...values)}–${Math.max(...values)}`;
    return html`<tr><td>${resource}</td><td>${last ?? '—'}</td><td>${range}</td><td>${values.length}</td></tr>`;
  });
  return section(
    'loaded',
    'Rows loaded per resource',
    html`<table><thead><tr><th scope="col">Resource</th><th scope="col">Last</th><th scope="col">Min–max</th><th scope="col">Runs</th></tr></thead><tbody>${rows}</tbody></table><div id="loaded-chart" class="chart"></div>`,
  );
}

const DELIVERY_TEXT: Readonly<Record<DeliveryState, string>> = {
  delivered: 'delivered',
  waiting: 'waiting',
  retrying: 'retrying',
  'given-up': 'given up',
  held: 'held',
  'in-digest': 'in digest',
  unknown: 'unknown',
};

function alertsSection(alerts: readonly AlertView[], now: number): Html {
  if (alerts.length === 0) return section('alerts', 'Alerts', html`<p>No alerts sent about this flow.</p>`);
  const items = alerts.map((alert) => {
    const attempt = alert.attemptId === null ? '' : html`, attempt ${alert.attemptId}`;
    const deliveries = alert.deliveries.map((delivery) => {
      const at = delivery.at === null ? '' : html` ${timeAgo(delivery.at, now)}`;
      const detail = delivery.detail === null ? '' : html` <span class="detail">${delivery.detail}</span>`;
      return html`<li><span class="b d-${delivery.state}">${DELIVERY_TEXT[delivery.state]}</span> ${delivery.notifier}${at}${detail}</li>`;
    });
    return html`<article class="alert" data-alert="${alert.key}"><h3>${alert.headline}</h3><p class="meta">${alert.kind}, detected ${timeAgo(alert.detectedAt, now)} (${utcMinute(alert.detectedAt)})${attempt}</p><p>${alert.sentence}</p>${errorBlock(alert.errors)}<ul class="deliveries" aria-label="Deliveries">${deliveries}</ul></article>`;
  });
  return section('alerts', 'Alerts', items);
}

/** Seconds for uPlot's time axis; `outcomes` beside the pairs so the script can colour points without a second lookup. */
function chartData(model: FlowPageModel): Html {
  return jsonScript('chart-data', {
    durations: model.attempts.map((attempt) => [Math.floor(attempt.createdAt / 1000), attempt.durationMs === null ? null : attempt.durationMs / 1000]),
    outcomes: model.attempts.map((attempt) => attempt.outcome),
    limitSeconds: model.runtimeLimit.limitMs / 1000,
    loaded: model.loaded,
  });
}
