import { formatRelative } from '../status/format-relative.ts';
import { escapeHtml, html, trustedHtml, type Html } from './html.ts';
import type { WorkerHealth } from './status-page-model.ts';

/**
 * The document every page shares: head, a header with the worker's own health, and `<main>`. The
 * Content-Security-Policy allows scripts and styles only from this origin's files, so nothing here may use an inline
 * `<script>` with code, a `style` attribute or an `on…` handler; data for scripts travels in `jsonScript`.
 */

const PRODUCT = 'portable-watch';

export function renderLayout(input: {
  title: string;
  now: number;
  health: WorkerHealth;
  main: Html;
  scripts: readonly string[];
  styles?: readonly string[];
}): string {
  const header = html`<header class="top"><a class="brand" href="/">${PRODUCT}</a>${renderHealth(input.health, input.now)}<span id="offline" class="b warn" role="status" hidden>offline, retrying</span></header>`;
  return documentOf({ title: `${input.title} · ${PRODUCT}`, header, main: input.main, scripts: input.scripts, styles: input.styles ?? [] });
}

/** For 404s and failures: no health (reading it may be what failed), no script. */
export function renderErrorPage(status: number, title: string, message: string): string {
  const header = html`<header class="top"><a class="brand" href="/">${PRODUCT}</a></header>`;
  const main = html`<h1>${status} ${title}</h1><p>${message}</p><p><a href="/">Back to all flows</a></p>`;
  return documentOf({ title: `${title} · ${PRODUCT}`, header, main, scripts: [], styles: [] });
}

function documentOf(parts: { title: string; header: Html; main: Html; scripts: readonly string[]; styles: readonly string[] }): string {
  const styles = ['/assets/status-page.css', ...parts.styles].map((href) => html`<link rel="stylesheet" href="${href}">`);
  const scripts = parts.scripts.map((src) => html`<script src="${src}" defer></script>`);
  const page = html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${parts.title}</title><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">${styles}${scripts}</head>
<body><a class="skip" href="#main">Skip to content</a>${parts.header}
<main id="main">${parts.main}</main></body></html>
`;
  return `<!doctype html>\n${page.toString()}`;
}

/**
 * The worker's health as compact badges, each one `ok`, `warn` or `bad`: what a person glancing at the wall screen
 * needs to trust the rows below (Redis answers, checks run, schedules exist, alerts get out, the config applied).
 */
export function renderHealth(health: WorkerHealth, now: number): Html {
  const badges: Html[] = [
    badge(health.redis.answering ? 'ok' : 'bad', health.redis.answering ? 'Redis answering' : 'Redis not answering'),
    health.checks.healthy ? badge('ok', 'checks healthy') : badge('bad', `checks: ${health.checks.reason}`),
    badge(
      health.schedules.present < health.schedules.expected ? 'warn' : 'ok',
      `schedules ${health.schedules.present}/${health.schedules.expected}`,
    ),
  ];
  const waiting = health.notifiers.filter((each) => each.waiting + each.retrying + each.givenUp > 0);
  if (waiting.length === 0) badges.push(badge('ok', 'alerts all sent'));
  for (const notifier of waiting) badges.push(badge(notifier.givenUp > 0 ? 'bad' : 'warn', `${notifier.notifier}: ${unsentCounts(notifier)}`));
  const reload = reloadBadge(health.reload, now);
  if (reload !== null) badges.push(reload);
  return html`<ul id="health" class="health" aria-label="Worker health">${badges}</ul>`;
}

/** `2 given up, 1 retrying, 1 waiting`: given up first, as in `portable-watch status`, since that one needs a person. */
function unsentCounts(count: { waiting: number; retrying: number; givenUp: number }): string {
  const parts: string[] = [];
  if (count.givenUp > 0) parts.push(`${count.givenUp} given up`);
  if (count.retrying > 0) parts.push(`${count.retrying} retrying`);
  if (count.waiting > 0) parts.push(`${count.waiting} waiting`);
  return parts.join(', ');
}

function reloadBadge(reload: WorkerHealth['reload'], now: number): Html | null {
  const when = reload.at === null ? '' : html` ${timeAgo(reload.at, now)}`;
  switch (reload.result) {
    case 'none':
      return null;
    case 'applied':
      return html`<li class="b ok">config reloaded${when}</li>`;
    case 'restored':
      return html`<li class="b ok">config file matches the running config again${when}</li>`;
    case 'refused': {
      const problems = reload.problems.length === 0 ? '' : html`: ${reload.problems.join('; ')}`;
      return html`<li class="b bad">config reload refused${when}, running the previous config${problems}</li>`;
    }
  }
}

function badge(level: 'ok' | 'warn' | 'bad', text: string): Html {
  return html`<li class="b ${level}">${text}</li>`;
}

/** `2025-03-01 14:05 UTC`: absolute times in tooltips and labels, one zone for everyone looking at the screen. */
export function utcMinute(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `<time datetime="2025-03-01T14:05Z" title="2025-03-01 14:05 UTC">3h ago</time>`; minutes are precise enough, and seconds would weigh. */
export function timeAgo(at: number, now: number): Html {
  const iso = `${new Date(at).toISOString().slice(0, 16)}Z`;
  return html`<time datetime="${iso}" title="${utcMinute(at)}">${formatRelative(at, now)}</time>`;
}

/**
 * Data for a page's script, as JSON the browser never parses as markup: `<` becomes `\u003c`, so no string in it can
 * close the element or open a comment. The CSP allows this element because it is data, not code.
 */
export function jsonScript(id: string, value: unknown): Html {
  const json = (JSON.stringify(value) ?? 'null').replace(/</g, '\\u003c');
  return trustedHtml(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}
