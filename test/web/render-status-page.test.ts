import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RecentAttemptStatus } from '../../src/status/flow-status.ts';
import { PAGE_STATES, type PageState } from '../../src/web/page-state.ts';
import { renderStatusPage } from '../../src/web/render-status-page.ts';
import { filtersQuery, flowHref, type FlowRow, type PageFilters, type StatusPageModel, type WorkerHealth } from '../../src/web/status-page-model.ts';
import { ATTRIBUTE, attributeNames, H, healthy, M, NOW, SCRIPT } from './page-fixtures.ts';

/** The status page's HTML from hand-built models: order, escaping, the error in its row, forms, the strip, weight. */


const HEALTH = healthy();

function attempts(count: number, firstId: number, outcome: (index: number) => RecentAttemptStatus['outcome'] = () => 'succeeded'): RecentAttemptStatus[] {
  return Array.from({ length: count }, (_, index) => ({
    attemptId: firstId + index,
    outcome: outcome(index),
    createdAt: NOW - (count - index) * H,
    durationMs: index % 7 === 3 ? null : 60_000 + index * 1_000,
  }));
}

function row(id: number, state: PageState, overrides: Partial<FlowRow> = {}): FlowRow {
  return {
    key: String(id),
    id,
    account: null,
    name: `flow number ${id}`,
    href: flowHref({ id }),
    labels: [['team', 'growth']],
    state,
    incident: state === 'ok' || state === 'new' ? null : state,
    since: NOW - 3 * H,
    problem: null,
    silencedBy: null,
    lastRun: { attemptId: id * 100 + 4, outcome: 'succeeded', createdAt: NOW - H, durationMs: 242_000 },
    lastCheck: { at: NOW - M, outcome: 'ok' },
    nextCheck: NOW + M,
    recent: attempts(5, id * 100),
    ...overrides,
  };
}

function model(overrides: Partial<StatusPageModel> = {}): StatusPageModel {
  const rows = overrides.rows ?? [
    row(7, 'failing', { problem: 'relation "orders" does not exist', recent: attempts(5, 700, (index) => (index === 4 ? 'failed' : 'succeeded')) }),
    row(3, 'missed', { problem: 'no run since one was expected' }),
    row(1, 'ok', { labels: [['env', 'prod'], ['team', 'data']] }),
  ];
  const filters: PageFilters = overrides.filters ?? { state: '', label: '', account: '', q: '' };
  const counts = Object.fromEntries(PAGE_STATES.map((state) => [state, rows.filter((each) => each.state === state).length])) as Record<PageState, number>;
  return {
    now: NOW,
    health: HEALTH,
    accountProblems: [],
    filters,
    query: filtersQuery(filters),
    rows,
    total: rows.length,
    counts,
    labels: [{ label: 'env=prod', count: 1 }, { label: 'team=data', count: 1 }, { label: 'team=growth', count: 2 }],
    accounts: [],
    silences: [],
    canWrite: false,
    ...overrides,
  };
}

function tableRows(page: string): Array<{ flow: string; state: string }> {
  return [...page.matchAll(/<tr data-flow="([^"]*)" data-state="([^"]*)" class="state-\2">/g)].map((match) => ({ flow: match[1] ?? '', state: match[2] ?? '' }));
}

function rowHtml(page: string, flow: string): string {
  const start = page.indexOf(`<tr data-flow="${flow}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  return page.slice(start, page.indexOf('</tr>', start));
}


describe('renderStatusPage', () => {
  it('lists the rows in the order given, each with its state, and the failing flow shows its error as text', () => {
    const page = renderStatusPage(model());
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(tableRows(page)).toEqual([
      { flow: '7', state: 'failing' },
      { flow: '3', state: 'missed' },
      { flow: '1', state: 'ok' },
    ]);
    const failing = rowHtml(page, '7');
    expect(failing).toContain('<div class="problem">relation &quot;orders&quot; does not exist</div>');
    expect(failing).toContain('<a href="/flows/7">flow number 7</a>');
    expect(failing).toMatch(/<time datetime="2026-03-01T09:00Z" title="2026-03-01 09:00 UTC">3h ago<\/time>/);
    expect(rowHtml(page, '1')).toContain('<span class="chip">env=prod</span><span class="chip">team=data</span>');
    expect(page).toContain('Showing 3 of 3 flows');
  });

  it('escapes every string a flow, a label, an error or a silence can carry', () => {
    const hostile = row(9, 'failing', {
      key: `9${ATTRIBUTE}`,
      name: SCRIPT,
      problem: ATTRIBUTE,
      labels: [[SCRIPT, ATTRIBUTE]],
      href: `/flows/9${ATTRIBUTE}`,
    });
    const page = renderStatusPage(
      model({
        rows: [hostile],
        labels: [{ label: `${SCRIPT}=${ATTRIBUTE}`, count: 1 }],
        filters: { state: '', label: '', account: '', q: ATTRIBUTE },
        accountProblems: [{ account: SCRIPT, message: ATTRIBUTE, since: NOW - H }],
        silences: [{ id: 's-1', matches: SCRIPT, kinds: ATTRIBUTE, startsAt: NOW - H, endsAt: NOW + H, reason: SCRIPT, flows: 1 }],
        canWrite: true,
      }),
      { notice: { kind: 'error', text: SCRIPT }, silenceForm: { reason: ATTRIBUTE, flow: SCRIPT } },
    );
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<div class="problem">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</div>');
    expect(page).toContain('aria-label="Last 5 attempts of &lt;script&gt;alert(1)&lt;/script&gt;"');
    expect([...attributeNames(page)].filter((name) => name.startsWith('on') || name === 'style')).toEqual([]);
  });

  it('has no inline style, script code or event handler, which the Content-Security-Policy would block', () => {
    const page = renderStatusPage(model({ canWrite: true }), { notice: { kind: 'ok', text: 'Silence s-1 added.' } });
    expect(page).not.toContain('style="');
    expect([...attributeNames(page)].filter((name) => name.startsWith('on') || name === 'style')).toEqual([]);
    const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      if (attributes?.includes('type="application/json"')) continue;
      expect(attributes).toMatch(/ src="\/assets\/[a-z.-]+\.js" defer/);
      expect(body).toBe('');
    }
    expect(page).toContain('<p role="status" class="notice ok">Silence s-1 added.</p>');
  });

  it('keeps the current filters in the form, which works without script', () => {
    const filters: PageFilters = { state: 'failing', label: 'team=growth', account: 'prod', q: 'orders sync' };
    const page = renderStatusPage(model({ filters, accounts: ['prod', 'staging'], rows: [row(7, 'failing', { account: 'prod', key: 'prod~7' })], total: 3 }));
    const form = page.slice(page.indexOf('<form method="get" action="/" id="filters" role="search">'), page.indexOf('</form>'));
    expect(form).toContain('<option value="failing" selected>failing (1)</option>');
    expect(form).toContain('<option value="missed">missed run (0)</option>');
    expect(form).toContain('<option value="team=growth" selected>team=growth (2)</option>');
    expect(form).toContain('<option value="prod" selected>prod</option>');
    expect(form).toContain('<input type="search" name="q" value="orders sync">');
    expect(form).toContain('<button type="submit">Filter</button>');
    expect(page).toContain('Showing 1 of 3 flows');
    expect(renderStatusPage(model())).not.toContain('name="account"');
  });

  it('says when no flow matches and offers to clear the filters', () => {
    const page = renderStatusPage(model({ rows: [], total: 4, filters: { state: 'stalled', label: '', account: '', q: '' } }));
    expect(page).toMatch(/<tr class="empty"><td colspan="5">No flow matches these filters\. <a href="\/">Clear the filters<\/a>/);
    expect(page).toContain('Showing 0 of 4 flows');
  });

  it('offers the write forms only when a write token is configured', () => {
    const silence = { id: 's-1a2b', matches: 'flow 7', kinds: 'every kind', startsAt: NOW - H, endsAt: NOW + 2 * H, reason: 'migration', flows: 1 };
    const readOnly = renderStatusPage(model({ silences: [silence] }));
    expect(readOnly).toContain('UI_WRITE_TOKEN is not set');
    expect(readOnly).toContain('portable-watch silence add');
    expect(readOnly).not.toContain('<form method="post"');
    expect(readOnly).not.toContain('name="token"');
    expect(readOnly).toContain('<td>migration</td>');

    const writable = renderStatusPage(model({ silences: [silence], canWrite: true }), { silenceForm: { flow: 'prod/7', reason: 'deploy', for: '2h' } });
    expect(writable).not.toContain('UI_WRITE_TOKEN is not set');
    expect(writable).toContain('<form method="post" action="/silences/s-1a2b/remove"');
    expect(writable).toContain('<form method="post" action="/silences" id="add-silence">');
    expect(writable).toContain('name="flow" value="prod/7"');
    expect(writable).toContain('name="for" value="2h" placeholder="2h"');
    expect(writable).toMatch(/name="reason" value="deploy" required/);
    expect(writable.match(/<input type="password" name="token" required autocomplete="off">/g)).toHaveLength(2);
    // A refresh replaces #live: the forms a person types into must be outside it, the list inside.
    const live = writable.slice(writable.indexOf('<div id="live"'), writable.indexOf('<section aria-labelledby="add-silence-heading">'));
    expect(live).toContain('<section id="silences"');
    expect(live).not.toContain('id="filters"');
    expect(live).not.toContain('id="add-silence"');
  });

  it('gives each strip one tab stop, on its newest mark, and labels every mark', () => {
    const page = renderStatusPage(model());
    const strips = [...page.matchAll(/<ol class="strip"[^>]*>([\s\S]*?)<\/ol>/g)].map((match) => match[1] ?? '');
    expect(strips).toHaveLength(3);
    for (const strip of strips) {
      expect(strip.match(/tabindex="0"/g)).toHaveLength(1);
      expect(strip.match(/<li /g)).toHaveLength(5);
      expect(strip.match(/ data-t="/g)).toHaveLength(5);
      expect(strip.match(/ aria-label="/g)).toHaveLength(1);
      expect(strip).toMatch(/tabindex="0">$/);
    }
    expect(strips[0]).toContain('<li class=o-f data-t="2026-03-01 11:00 UTC, 1m 4s" data-attempt="704" aria-label="failed, started 2026-03-01 11:00 UTC, 1m 4s" tabindex="0">');
    // Older marks go without their id: 30,000 random numbers would cost the page ~120 KB compressed.
    expect(strips[0]).toContain('<li class=o-s data-t="2026-03-01 10:00 UTC, no end given">');
  });

  it('shows the worker health, warning on missing schedules and given-up alerts', () => {
    const health: WorkerHealth = {
      redis: { answering: false },
      checks: { healthy: false, reason: 'no check completed for 5m' },
      schedules: { present: 2, expected: 3 },
      notifiers: [{ notifier: 'oncall', waiting: 1, retrying: 0, givenUp: 2 }],
      reload: { result: 'refused', at: NOW - 5 * M, problems: [`flows[3].maxRuntime: ${SCRIPT}`] },
    };
    const page = renderStatusPage(model({ health }));
    const header = page.slice(page.indexOf('<ul id="health"'), page.indexOf('</ul>', page.indexOf('<ul id="health"')));
    expect(header).toContain('<li class="b bad">Redis not answering</li>');
    expect(header).toContain('<li class="b bad">checks: no check completed for 5m</li>');
    expect(header).toContain('<li class="b warn">schedules 2/3</li>');
    expect(header).toContain('<li class="b bad">oncall: 2 given up, 1 waiting</li>');
    expect(header).toContain('config reload refused');
    expect(header).toContain('flows[3].maxRuntime: &lt;script&gt;');
    expect(renderStatusPage(model())).toContain('<li class="b ok">schedules 3/3</li>');
  });

  it('weighs well under 300 KB compressed with 1,000 flows of 30 attempts, and renders in under a second', () => {
    const big = sizeModel();
    const started = performance.now();
    const page = renderStatusPage(big);
    const elapsed = performance.now() - started;
    const gzip = gzipSync(page).length;
    console.info(`status page, 1,000 flows × 30 attempts: ${page.length} bytes raw, ${gzip} gzip, rendered in ${Math.round(elapsed)} ms`);
    expect(tableRows(page)).toHaveLength(1_000);
    expect(page.match(/<li class=o-/g)).toHaveLength(30_000);
    expect(elapsed).toBeLessThan(1_000);
    expect(gzip).toBeLessThan(250_000);
  });
});

/** Realistic variety, so compression is not flattered: distinct names and ids, jittered times and durations. */
function sizeModel(): StatusPageModel {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const teams = ['growth', 'finance', 'platform', 'marketing', 'support', 'sales'];
  const sources = ['salesforce', 'hubspot', 'stripe', 'zendesk', 'shopify', 'netsuite', 'intercom'];
  const rows = Array.from({ length: 1_000 }, (_, index) => {
    const id = 10_000 + index * 7;
    const failing = index < 12;
    const hourly = 3_600_000 * (1 + (index % 4));
    const recent = Array.from({ length: 30 }, (__, run) => ({
      attemptId: 5_000_000 + index * 40 + run * 997 + Math.floor(random() * 50),
      outcome: (failing && run >= 27) || random() < 0.03 ? ('failed' as const) : random() < 0.01 ? ('ended' as const) : ('succeeded' as const),
      createdAt: NOW - (30 - run) * hourly + Math.floor(random() * 600_000),
      durationMs: random() < 0.02 ? null : Math.floor(30_000 + random() * 900_000),
    }));
    const team = teams[index % teams.length] ?? 'growth';
    const name = `${sources[index % sources.length] ?? 'stripe'} to warehouse ${team} ${String(index).padStart(4, '0')}`;
    return row(id, failing ? 'failing' : 'ok', {
      key: String(id),
      name,
      href: flowHref({ id }),
      labels: [['env', index % 3 === 0 ? 'staging' : 'prod'], ['team', team]],
      problem: failing ? `ERROR: relation "${team}.orders_${index}" does not exist` : null,
      since: NOW - Math.floor(random() * 48) * H,
      lastRun: { attemptId: recent[29]?.attemptId ?? 0, outcome: recent[29]?.outcome ?? 'succeeded', createdAt: recent[29]?.createdAt ?? NOW, durationMs: recent[29]?.durationMs ?? null },
      recent,
    });
  });
  return model({ rows, labels: teams.map((team) => ({ label: `team=${team}`, count: 1 })) });
}
