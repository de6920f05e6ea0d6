import { describe, expect, it } from 'vitest';
import type { FlowStatus, StatusReport } from '../../src/status/flow-status.ts';
import type { Silence } from '../../src/silences/silence-types.ts';
import { buildStatusPage, filtersQuery, flowHref, parseFilters } from '../../src/web/status-page-model.ts';
import { flowStatus } from '../support/flow-status.ts';
import { healthy, M, NOW } from './page-fixtures.ts';


function flow(overrides: Partial<FlowStatus> & { id: number }): FlowStatus {
  return flowStatus({ lastCheck: { at: NOW - M, outcome: 'ok' }, checkpoint: NOW - M, nextCheck: NOW + M, ...overrides });
}

const HEALTH = healthy({ schedules: { present: 6, expected: 6 } });

const FLOWS: FlowStatus[] = [
  flow({ id: 1, name: 'Healthy', recentAttempts: [{ attemptId: 10, outcome: 'succeeded', createdAt: NOW - 10 * M, durationMs: 240_000 }] }),
  flow({ id: 2, name: 'Partial', partial: { attemptId: 20, since: NOW - 30 * M } }),
  flow({ id: 3, name: 'Broken', runIncident: { kind: 'failed', since: NOW - 60 * M, attemptId: 30, error: 'Snowflake refused the login\nat step 3' } }),
  flow({ id: 4, name: 'Never checked', lastCheck: null, checkpoint: null }),
  flow({ id: 5, name: 'Hung', runIncident: { kind: 'stalled', since: NOW - 5 * M, attemptId: 50 } }),
  flow({ id: 6, name: 'Quiet on purpose', runIncident: { kind: 'failed', since: NOW - 90 * M, attemptId: 60, error: 'boom' } }),
];

const LABELS = new Map<string, Record<string, string>>([
  ['1', { team: 'growth' }],
  ['3', { team: 'growth', tier: 'critical' }],
  ['6', { team: 'finance' }],
]);

const SILENCE: Silence = { id: 's-0000abcd', flow: 6, startsAt: NOW - M, endsAt: NOW + 60 * M, reason: 'warehouse upgrade', createdAt: NOW - M };

function page(query = '', silences: Silence[] = [SILENCE], flows = FLOWS) {
  const report: StatusReport = { now: NOW, account: null, flows, otherUnsentAlerts: [] };
  return buildStatusPage({ report, flows: LABELS, silences, health: HEALTH, filters: parseFilters(new URLSearchParams(query)), canWrite: false });
}

describe('the status page model', () => {
  it('puts the worst first: failing, stalled, partial, silenced, never checked, ok', () => {
    const model = page();
    expect(model.rows.map((row) => [row.name, row.state])).toEqual([
      ['Broken', 'failing'],
      ['Hung', 'stalled'],
      ['Partial', 'partial'],
      ['Quiet on purpose', 'silenced'],
      ['Never checked', 'new'],
      ['Healthy', 'ok'],
    ]);
    expect(model.total).toBe(6);
    expect(model.counts).toMatchObject({ failing: 1, stalled: 1, partial: 1, silenced: 1, new: 1, ok: 1, missed: 0 });
  });

  it('shows the first line of the error, and what a silence holds', () => {
    const [broken] = page().rows;
    expect(broken?.problem).toBe('Snowflake refused the login');
    const quiet = page().rows.find((row) => row.id === 6);
    expect(quiet).toMatchObject({ state: 'silenced', incident: 'failing', since: NOW - 90 * M, problem: 'boom' });
    expect(quiet?.silencedBy).toContain('s-0000abcd');
    // Without the silence, the same flow is simply failing, and second (it has failed for longer).
    expect(page('', []).rows.slice(0, 2).map((row) => row.name)).toEqual(['Quiet on purpose', 'Broken']);
  });

  it('filters by state, label, account and text, and keeps them in the query', () => {
    expect(page('state=failing').rows.map((row) => row.id)).toEqual([3]);
    expect(page('label=team%3Dgrowth').rows.map((row) => row.id)).toEqual([3, 1]);
    expect(page('label=tier').rows.map((row) => row.id)).toEqual([3]);
    expect(page('q=SNOWFLAKE').rows.map((row) => row.id)).toEqual([3]);
    expect(page('q=hung').rows.map((row) => row.id)).toEqual([5]);
    expect(page('state=ok&q=nothing-like-this').rows).toEqual([]);
    const model = page('state=failing&label=team%3Dgrowth&q=snow&junk=1');
    expect(model.query).toBe('?state=failing&label=team%3Dgrowth&q=snow');
    expect(filtersQuery(parseFilters(new URLSearchParams('state=not-a-state')))).toBe('');
  });

  it('offers each label with its count, and accounts only when there are several', () => {
    const model = page();
    expect(model.labels).toEqual([
      { label: 'team=finance', count: 1 },
      { label: 'team=growth', count: 2 },
      { label: 'tier=critical', count: 1 },
    ]);
    expect(model.accounts).toEqual([]);
    const accounts = page('account=prod', [], [flow({ id: 7, account: 'prod', name: 'P' }), flow({ id: 7, account: 'staging', name: 'S' })]);
    expect(accounts.accounts).toEqual(['prod', 'staging']);
    expect(accounts.rows.map((row) => [row.name, row.href])).toEqual([['P', '/flows/prod/7']]);
  });

  it('counts the flows each silence matches', () => {
    expect(page().silences).toEqual([
      { id: 's-0000abcd', matches: 'flow 6', kinds: 'every kind', startsAt: SILENCE.startsAt, endsAt: SILENCE.endsAt, reason: 'warehouse upgrade', flows: 1 },
    ]);
  });

  it('links flows of the default account without an account segment', () => {
    expect(flowHref({ id: 42 })).toBe('/flows/42');
    expect(flowHref({ id: 42, account: 'a b' })).toBe('/flows/a%20b/42');
  });
});
