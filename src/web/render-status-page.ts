import { formatDurationShort } from '../detection/learned-runtime.ts';
import type { RecentAttemptStatus } from '../status/flow-status.ts';
import { escapeHtml, html, trustedHtml, type Html } from './html.ts';
import { PAGE_STATE_LABELS, PAGE_STATES } from './page-state.ts';
import { renderLayout, timeAgo, utcMinute } from './render-layout.ts';
import type { FlowRow, SilenceView, StatusPageModel } from './status-page-model.ts';

/**
 * The list of every watched flow, worst first. Everything a person needs renders without script; the script
 * replaces `#live` (and the header's `#health`) every few seconds, so what it holds must not include anything a
 * person types into: the filter form and the add-silence form sit outside it.
 */

export const REFRESH_MS = 5_000;

/** What a refused add-silence form held, so the person does not type it again. */
export type SilenceFormValues = Partial<Record<'flow' | 'label' | 'name' | 'kind' | 'for' | 'reason', string>>;

export function renderStatusPage(
  model: StatusPageModel,
  options: { notice?: { kind: 'ok' | 'error'; text: string }; silenceForm?: SilenceFormValues } = {},
): string {
  const notice = options.notice === undefined ? '' : html`<p role="status" class="notice ${options.notice.kind}">${options.notice.text}</p>`;
  const main = html`${notice}<h1 class="visually-hidden">Flows</h1>${filterForm(model)}
<div id="live" data-refresh="${REFRESH_MS}">${accountProblems(model)}<p class="showing">Showing ${model.rows.length} of ${model.total} ${model.total === 1 ? 'flow' : 'flows'}</p>
${flowTable(model)}
${silenceList(model)}</div>
${model.canWrite ? addSilenceForm(options.silenceForm ?? {}) : ''}`;
  return renderLayout({ title: 'Flows', now: model.now, health: model.health, main, scripts: ['/assets/status-page.js'] });
}

function filterForm(model: StatusPageModel): Html {
  const { filters } = model;
  const states = PAGE_STATES.map((state) => option(state, `${PAGE_STATE_LABELS[state]} (${model.counts[state]})`, filters.state));
  const labels = withCurrent(model.labels.map(({ label, count }) => ({ value: label, text: `${label} (${count})` })), filters.label);
  const accounts = withCurrent(model.accounts.map((account) => ({ value: account, text: account })), filters.account);
  const accountSelect =
    model.accounts.length === 0 && filters.account === ''
      ? ''
      : html`<label>Account <select name="account"><option value="">All</option>${accounts.map((each) => option(each.value, each.text, filters.account))}</select></label>`;
  return html`<form method="get" action="/" id="filters" role="search"><label>State <select name="state"><option value="">All (${model.total})</option>${states}</select></label><label>Label <select name="label"><option value="">All</option>${labels.map((each) => option(each.value, each.text, filters.label))}</select></label>${accountSelect}<label>Search <input type="search" name="q" value="${filters.q}"></label><button type="submit">Filter</button></form>`;
}

/** A value kept in the URL but no longer offered (its last flow left) stays selectable, so the filter is not lost silently. */
function withCurrent(choices: Array<{ value: string; text: string }>, current: string): Array<{ value: string; text: string }> {
  if (current === '' || choices.some((choice) => choice.value === current)) return choices;
  return [...choices, { value: current, text: `${current} (0)` }];
}

function option(value: string, text: string, current: string): Html {
  return html`<option value="${value}"${value === current ? html` selected` : ''}>${text}</option>`;
}

/** An account Portable refuses stops every flow of it, so its whole message comes first, above the table. */
function accountProblems(model: StatusPageModel): Html | '' {
  if (model.accountProblems.length === 0) return '';
  const items = model.accountProblems.map(
    (problem) =>
      html`<p><strong>Account ${problem.account ?? 'default'}</strong>: Portable refuses it since ${timeAgo(problem.since, model.now)}; no flow of it can be checked until this is fixed:</p><p class="problem">${problem.message}</p>`,
  );
  return html`<section class="alert-box" aria-label="Account problems">${items}</section>`;
}

function flowTable(model: StatusPageModel): Html {
  const body = model.rows.length === 0 ? emptyRow(model) : model.rows.map((row) => flowRowHtml(row, model.now));
  return html`<table id="flows"><thead><tr><th scope="col">Flow</th><th scope="col">Labels</th><th scope="col">State</th><th scope="col">Last run</th><th scope="col">Last 30 runs</th></tr></thead><tbody>
${body}</tbody></table>`;
}

function emptyRow(model: StatusPageModel): Html {
  const text = model.total === 0 ? html`No flows are watched yet.` : html`No flow matches these filters. <a href="/">Clear the filters</a>`;
  return html`<tr class="empty"><td colspan="5">${text}</td></tr>`;
}

/** One row per flow; its markup is kept small because a page of 1,000 of them is sent every few seconds. */
function flowRowHtml(row: FlowRow, now: number): Html {
  const account = row.account === null ? '' : html` · ${row.account}`;
  const labels = row.labels.map(([key, value]) => html`<span class="chip">${key}=${value}</span>`);
  return html`<tr data-flow="${row.key}" data-state="${row.state}" class="state-${row.state}"><td><a href="${row.href}">${row.name}</a> <small>#${row.id}${account}</small></td><td>${labels}</td><td>${stateCell(row, now)}</td><td>${lastRunCell(row, now)}</td><td>${renderStrip(row.recent, row.name)}</td></tr>
`;
}

/** The badge, since when, and what is wrong, as text: the failing flow's error is readable without a click. */
export function stateCell(row: FlowRow, now: number): Html {
  const held = row.state === 'silenced' && row.incident !== null ? html` <span class="held">(${PAGE_STATE_LABELS[row.incident]})</span>` : '';
  const since = row.since === null ? '' : html` ${timeAgo(row.since, now)}`;
  const by = row.state === 'silenced' && row.silencedBy !== null ? html`<div class="by">by ${row.silencedBy}</div>` : '';
  const problem = row.problem === null ? '' : html`<div class="problem">${row.problem}</div>`;
  return html`<span class="badge">${PAGE_STATE_LABELS[row.state]}</span>${held}${since}${by}${problem}`;
}

function lastRunCell(row: FlowRow, now: number): Html | string {
  const run = row.lastRun;
  if (run === null) return '—';
  if (run.outcome === 'running') return html`running, started ${timeAgo(run.createdAt, now)}`;
  const duration = run.durationMs === null ? 'no end given' : formatDurationShort(run.durationMs);
  return html`${run.outcome} · ${duration} · ${timeAgo(run.createdAt, now)}`;
}

const OUTCOME_CLASSES: Readonly<Record<RecentAttemptStatus['outcome'], string>> = { succeeded: 'o-s', failed: 'o-f', ended: 'o-e', unrecognised: 'o-u' };

/**
 * The last attempts as coloured marks, oldest first. Only the newest mark is a tab stop (the script makes the others
 * focusable, moves between them with the arrow keys and gives the focused one its label), so a keyboard crosses a
 * strip in one Tab; the CSS tooltip shows each mark's outcome (from its class), start and duration (`data-t`) on
 * hover and focus without script.
 *
 * 30,000 marks are most of a 1,000-flow page, in bytes and in time, so each is as small as HTML allows (unquoted
 * class, `</li>` left out as HTML permits, the outcome in the class rather than in words, no `title`, a label, a
 * tab stop and the attempt id on the newest only: ids are random to a compressor) and made once per attempt.
 * `ids: 'every'` gives each mark its id where a strip stands alone (the flow page).
 */
export function renderStrip(recent: readonly RecentAttemptStatus[], name: string, ids: 'newest' | 'every' = 'newest'): Html {
  if (recent.length === 0) return html`<span class="none">no attempts seen yet</span>`;
  // A strip changes when an attempt finishes: made again only then (the page refreshes every 5 s for each viewer).
  const place = `${ids}|${name}`;
  const signature = stripSignature(recent);
  const made = strips.get(place);
  if (made?.signature === signature) return trustedHtml(made.html);
  const last = recent.length - 1;
  let marks = '';
  recent.forEach((attempt, index) => {
    const id = ids === 'every' || index === last ? ` data-attempt="${attempt.attemptId}"` : '';
    const newest = index === last ? ` aria-label="${escapeHtml(markLabel(attempt))}" tabindex="0"` : '';
    marks += `${markOpening(attempt)}${id}${newest}>`;
  });
  const strip = html`<ol class="strip" aria-label="Last ${recent.length} attempts of ${name}">${trustedHtml(marks)}</ol>`.toString();
  if (strips.size >= STRIPS_KEPT) strips.clear();
  strips.set(place, { signature, html: strip });
  return trustedHtml(strip);
}

/** Strips already made, by flow name; bounded, and simply emptied when full. */
const strips = new Map<string, { signature: string; html: string }>();
const STRIPS_KEPT = 20_000;

/**
 * What a strip shows, in a few numbers: attempts are added at the end (the oldest dropped) and a finished one never
 * changes, except for a second sighting with other facts, which the sums catch.
 */
function stripSignature(recent: readonly RecentAttemptStatus[]): string {
  let ids = 0;
  let times = 0;
  for (const attempt of recent) {
    ids += attempt.attemptId;
    times += attempt.createdAt + (attempt.durationMs ?? -1) + attempt.outcome.length;
  }
  return `${recent.length}|${recent.at(-1)?.attemptId}|${ids}|${times}`;
}

/** Marks already made, by attempt: bounded, and simply emptied when full (a page's worth is made again quickly). */
const markOpenings = new Map<string, string>();
const MARKS_KEPT = 100_000;

/** `<li class=o-f data-t="2026-03-01 11:00 UTC, 1m 4s"`, escaped, without its `>`. */
function markOpening(attempt: RecentAttemptStatus): string {
  const key = `${attempt.attemptId}|${attempt.outcome}|${attempt.createdAt}|${attempt.durationMs}`;
  let opening = markOpenings.get(key);
  if (opening === undefined) {
    opening = `<li class=${OUTCOME_CLASSES[attempt.outcome]} data-t="${escapeHtml(markTime(attempt))}"`;
    if (markOpenings.size >= MARKS_KEPT) markOpenings.clear();
    markOpenings.set(key, opening);
  }
  return opening;
}

/** `2026-03-01 11:00 UTC, 1m 4s`: when the attempt started and how long it ran. */
function markTime(attempt: RecentAttemptStatus): string {
  return `${utcMinute(attempt.createdAt)}, ${attempt.durationMs === null ? 'no end given' : formatDurationShort(attempt.durationMs)}`;
}

/** `failed, started 2026-03-01 11:00 UTC, 1m 4s`: what the script makes of a mark's class and `data-t` on focus. */
function markLabel(attempt: RecentAttemptStatus): string {
  return `${attempt.outcome}, started ${markTime(attempt)}`;
}

/** Inside `#live`: the list changes as silences are added, expire or are removed. */
function silenceList(model: StatusPageModel): Html {
  const head = html`<tr><th scope="col">ID</th><th scope="col">Matches</th><th scope="col">Kinds</th><th scope="col">Until</th><th scope="col">Reason</th><th scope="col">Flows here</th>${model.canWrite ? html`<th scope="col">Remove</th>` : ''}</tr>`;
  const rows = model.silences.map((silence) => silenceRow(silence, model));
  const table = rows.length === 0 ? html`<p>No silences.</p>` : html`<table><thead>${head}</thead><tbody>${rows}</tbody></table>`;
  const readOnly = model.canWrite
    ? ''
    : html`<p class="read-only">Silences are read-only here because UI_WRITE_TOKEN is not set. <code>portable-watch silence add</code> works from a shell.</p>`;
  return html`<section id="silences" aria-labelledby="silences-heading"><h2 id="silences-heading">Silences</h2>${table}${readOnly}</section>`;
}

/** Its remove form asks for the token; the script carries a typed token across a refresh (see status-page.js). */
function silenceRow(silence: SilenceView, model: StatusPageModel): Html {
  const starts = silence.startsAt > model.now ? html`from ${utcMinute(silence.startsAt)} ` : '';
  const remove = model.canWrite
    ? html`<td><form method="post" action="/silences/${silence.id}/remove" class="remove"><label>Write token <input type="password" name="token" required autocomplete="off"></label><button type="submit">Remove</button></form></td>`
    : '';
  return html`<tr data-silence="${silence.id}"><td><code>${silence.id}</code></td><td>${silence.matches}</td><td>${silence.kinds}</td><td>${starts}until ${utcMinute(silence.endsAt)} (${timeAgo(silence.endsAt, model.now)})</td><td>${silence.reason}</td><td>${silence.flows}</td>${remove}</tr>`;
}

/** Outside `#live`, so a refresh never resets what a person is typing. */
function addSilenceForm(values: SilenceFormValues): Html {
  const field = (name: keyof SilenceFormValues, label: string, extra: { placeholder?: string; required?: boolean; hint?: string }) =>
    html`<label>${label} <input type="text" name="${name}" value="${values[name] ?? ''}"${extra.placeholder === undefined ? '' : html` placeholder="${extra.placeholder}"`}${extra.required === true ? html` required` : ''}>${extra.hint === undefined ? '' : html` <small>${extra.hint}</small>`}</label>`;
  return html`<section aria-labelledby="add-silence-heading"><h2 id="add-silence-heading">Add a silence</h2><form method="post" action="/silences" id="add-silence">${[
    field('flow', 'Flow', { hint: 'flow id, or account/id' }),
    field('label', 'Label', { placeholder: 'team=growth', hint: 'KEY=VALUE' }),
    field('name', 'Name', { placeholder: 'orders-*', hint: 'a glob on the flow name' }),
    field('kind', 'Kinds', { placeholder: 'failed,stalled', hint: 'comma list; empty: every kind' }),
    field('for', 'For', { placeholder: '2h', hint: 'how long' }),
    field('reason', 'Reason', { required: true }),
  ]}<label>Write token <input type="password" name="token" required autocomplete="off"></label><button type="submit">Add silence</button></form></section>`;
}
