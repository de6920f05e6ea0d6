import { describe, expect, it } from 'vitest';
import { countOpenIncidents, type FlowStatus, type StatusReport } from '../../src/status/flow-status.ts';
import { formatRelative } from '../../src/status/format-relative.ts';
import { renderStatusJson } from '../../src/status/render-status-json.ts';
import { renderStatusTable, TABLE_WIDTH } from '../../src/status/render-status-table.ts';
import { flowStatus } from '../support/flow-status.ts';

const NOW = Date.parse('2026-11-29T12:00:00.000Z');
const S = 1_000;
const M = 60 * S;
const H = 60 * M;

const flow = flowStatus;

const healthy = flow({
  id: 689422,
  name: 'Events to Snowflake',
  lastCheck: { at: NOW - 12 * S, outcome: 'ok' },
  checkpoint: NOW - 12 * S,
  nextCheck: NOW + 48 * S,
});
const failed = flow({
  id: 17,
  name: 'Orders',
  lastCheck: { at: NOW - 5 * S, outcome: 'alerted' },
  checkpoint: NOW - 5 * S,
  nextCheck: NOW + 55 * S,
  runIncident: { kind: 'failed', since: NOW - 3 * H - 5 * S, attemptId: 9001 },
  lastFailure: { attemptId: 9001, at: NOW - 3 * H - 5 * S },
  lastAlert: { kind: 'failed', notifier: 'oncall', at: NOW - 3 * H, key: 'f17-a9001-failed' },
});
/** Failed before the worker watched it and had recovered by then: nothing alerted, nothing open, still shown. */
const recovered = flow({
  id: 18,
  name: 'Invoices',
  lastCheck: { at: NOW - 5 * S, outcome: 'ok' },
  checkpoint: NOW - 5 * S,
  nextCheck: NOW + 55 * S,
  lastFailure: { attemptId: 7001, at: NOW - 2 * H },
});
const unchecked = flow({ id: 5 });
/** A stalled run, checks failing inside the transient grace period, a worker that stopped taking its jobs. */
const troubled = flow({
  id: 1,
  name: 'Snowflake \u001b[31mred\u001b[0m\nnext \u202Eline',
  lastCheck: { at: NOW - 4 * M, outcome: 'error' },
  checkpoint: NOW - 2 * H,
  nextCheck: NOW - 3 * M,
  runIncident: { kind: 'stalled', since: NOW - 3 * H, attemptId: 1 },
  monitor: { problem: 'transient', message: 'Portable answered 503', since: NOW - 2 * M, alerted: false },
});
const gone = flow({
  id: 2,
  name: 'A flow whose name is far longer than any column should have to hold, really',
  lastCheck: { at: NOW - 30 * S, outcome: 'error' },
  nextCheck: NOW + 30 * S,
  monitor: { problem: 'not-found', message: 'Portable has no flow 2 (404)', since: NOW - 26 * H, alerted: true },
  lastAlert: { kind: 'monitor-recovered', notifier: 'oncall', at: NOW - 3 * 24 * H, key: 'f2-m1-monitor-recovered' },
});
/** Expected hourly, silent for five hours: one missed-run incident, however many runs the gap holds. */
const silent = flow({
  id: 21,
  name: 'Hourly events',
  lastCheck: { at: NOW - 5 * S, outcome: 'ok' },
  checkpoint: NOW - 5 * S,
  nextCheck: NOW + 55 * S,
  missed: { expectedAt: NOW - 4 * H, lastRunAt: NOW - 5 * H, since: NOW - 4 * H + 10 * M },
  lastRun: { attemptId: 8001, createdAt: NOW - 5 * H, completedAt: NOW - 5 * H + 10 * M },
  lastAlert: { kind: 'missed', notifier: 'oncall', at: NOW - 4 * H + 10 * M, key: 'f21-missed-1' },
});
/** Watched since before its first expected run, which never came. */
const neverRan = flow({
  id: 22,
  name: 'Nightly export',
  lastCheck: { at: NOW - 5 * S, outcome: 'ok' },
  checkpoint: NOW - 5 * S,
  nextCheck: NOW + 55 * S,
  missed: { expectedAt: NOW - 30 * M, lastRunAt: null, since: NOW - 20 * M },
});
/** Its latest run succeeded, loading part of one table and far fewer rows than usual into another. */
const loadedPart = flow({
  id: 23,
  name: 'Shop to BigQuery',
  lastCheck: { at: NOW - 5 * S, outcome: 'alerted' },
  checkpoint: NOW - 5 * S,
  nextCheck: NOW + 55 * S,
  partial: { attemptId: 8101, since: NOW - 20 * M },
  volume: { attemptId: 8101, since: NOW - 20 * M },
  lastRun: { attemptId: 8101, createdAt: NOW - 30 * M, completedAt: NOW - 20 * M },
  lastAlert: { kind: 'volume', notifier: 'oncall', at: NOW - 19 * M, key: 'f23-a8101-volume' },
});
const rejectedToken = {
  problem: 'unauthorized' as const,
  message: 'Portable rejected the API token (401) for GET /v2/flows/1/run: check PORTABLE_API_TOKEN — tokens are made and revoked in the Portable app',
  since: NOW - 4 * M,
  alerted: true,
};

/** Alerts of one flow not sent yet, per notifier, as the read model lists them: by notifier name. */
const withUnsent = [
  { notifier: 'data-team', waiting: 1, retrying: 2, givenUp: 0 },
  { notifier: 'oncall', waiting: 0, retrying: 0, givenUp: 1 },
];
const otherUnsent = [
  { scope: 'account' as const, flow: null, notifier: 'oncall', waiting: 0, retrying: 0, givenUp: 1 },
  { scope: 'installation' as const, flow: null, notifier: 'oncall', waiting: 1, retrying: 0, givenUp: 0 },
  { scope: 'flow' as const, flow: { id: 99, name: 'Old \u001b[2J flow' }, notifier: 'data-team', waiting: 0, retrying: 0, givenUp: 2 },
  { scope: 'flow' as const, flow: { id: 99, name: 'Old \u001b[2J flow' }, notifier: 'oncall', waiting: 0, retrying: 1, givenUp: 0 },
];

describe('formatRelative', () => {
  it.each([
    [NOW, 'now'],
    [NOW - 999, 'now'],
    [NOW - 12 * S, '12s ago'],
    [NOW + 48 * S + 900, 'in 48s'],
    [NOW - 59 * S, '59s ago'],
    [NOW - 60 * S, '1m ago'],
    [NOW - 3 * H - 59 * M, '3h ago'],
    [NOW - 47 * H, '47h ago'],
    [NOW - 49 * H, '2d ago'],
    [NOW + 10 * M, 'in 10m'],
  ])('%s → %s', (at, expected) => {
    expect(formatRelative(at, NOW)).toBe(expected);
  });
});

describe('renderStatusTable', () => {
  const cases: Array<{ name: string; report: StatusReport; expected: string[] }> = [
    {
      name: 'a healthy flow, a failed one, and one never checked nor scheduled',
      report: { now: NOW, account: null, flows: [healthy, failed, unchecked], otherUnsentAlerts: [] },
      expected: [
        'ID      NAME                 LAST CHECK      CHECKPOINT  NEXT CHECK     OPEN INCIDENT  LAST ALERT',
        '689422  Events to Snowflake  ok 12s ago      12s ago     in 48s         —              —',
        '17      Orders               alerted 5s ago  5s ago      in 55s         failed 3h ago  failed 3h ago',
        '5       —                    never           —           not scheduled  —              —',
        '',
        '3 flows, 1 open incident, 1 never checked, 1 not scheduled (is a worker running with this config and QUEUE_PREFIX?)',
      ],
    },
    {
      name: 'an account incident, a pending monitor error, an overdue check, a hostile name and a long one squeezed to 120 columns',
      report: { now: NOW, account: rejectedToken, flows: [troubled, gone], otherUnsentAlerts: [] },
      expected: [
        'ACCOUNT: monitor: unauthorized 4m ago — no flow can be checked until it is fixed:',
        '  Portable rejected the API token (401) for GET /v2/flows/1/run: check PORTABLE_API_TOKEN — tokens are made and revoked',
        '  in the Portable app',
        '',
        'ID  NAME                     LAST CHECK     CHECKPOINT  NEXT CHECK  OPEN INCIDENT               LAST ALERT',
        '1   Snowflake  [31mred [0m…  error 4m ago   2h ago      due 3m ago  stalled 3h ago; (monitor:…  —',
        '2   A flow whose name is f…  error 30s ago  —           in 30s      monitor: not-found 26h ago  monitor-recovered 3d ago',
        '',
        '(monitor: …) checks are failing but nobody was alerted yet: transient errors alert only once they persist.',
        '',
        '2 flows, 3 open incidents',
      ],
    },
    {
      name: 'unsent alerts under their flow; account-wide, installation-wide and those of an unlisted flow below the table',
      report: {
        now: NOW,
        account: null,
        flows: [{ ...failed, unsentAlerts: withUnsent }, healthy],
        otherUnsentAlerts: otherUnsent,
      },
      expected: [
        'ID      NAME                 LAST CHECK      CHECKPOINT  NEXT CHECK  OPEN INCIDENT  LAST ALERT',
        '17      Orders               alerted 5s ago  5s ago      in 55s      failed 3h ago  failed 3h ago',
        '        unsent — data-team: 2 retrying, 1 waiting; oncall: 1 given up',
        '689422  Events to Snowflake  ok 12s ago      12s ago     in 48s      —              —',
        '',
        'Unsent alerts about no flow above:',
        '  account-wide — oncall: 1 given up',
        '  installation-wide — oncall: 1 waiting',
        '  flow 99 Old  [2J flow (not in this config) — data-team: 2 given up; oncall: 1 retrying',
        '',
        '9 alerts not sent yet (4 given up, 3 retrying, 2 waiting): portable-watch alerts shows why',
        '2 flows, 1 open incident',
      ],
    },
    {
      name: 'a failure that recovered before watching began: no open incident, but when it last failed',
      report: { now: NOW, account: null, flows: [recovered, healthy], otherUnsentAlerts: [] },
      expected: [
        'ID      NAME                 LAST CHECK  CHECKPOINT  NEXT CHECK  OPEN INCIDENT           LAST ALERT',
        '18      Invoices             ok 5s ago   5s ago      in 55s      — (last failed 2h ago)  —',
        '689422  Events to Snowflake  ok 12s ago  12s ago     in 48s      —                       —',
        '',
        '2 flows, 0 open incidents',
      ],
    },
    {
      name: 'a missed run (with how long nothing has run, under its row), one never seen, and a partial load with a volume drop',
      report: { now: NOW, account: null, flows: [silent, neverRan, loadedPart, { ...healthy, lastRun: { attemptId: 7, createdAt: NOW - M, completedAt: null } }], otherUnsentAlerts: [] },
      expected: [
        'ID      NAME                 LAST CHECK      CHECKPOINT  NEXT CHECK  OPEN INCIDENT                    LAST ALERT',
        '21      Hourly events        ok 5s ago       5s ago      in 55s      missed since 4h ago              missed 3h ago',
        '        missed run — last run 5h ago, one was expected 4h ago',
        '22      Nightly export       ok 5s ago       5s ago      in 55s      missed since 30m ago             —',
        '        missed run — no run seen since watching began, one was expected 30m ago',
        '23      Shop to BigQuery     alerted 5s ago  5s ago      in 55s      partial 20m ago; volume 20m ago  volume 19m ago',
        '689422  Events to Snowflake  ok 12s ago      12s ago     in 48s      —                                —',
        '',
        // a flow counts once, however many of its incidents are open
        '4 flows, 3 open incidents',
      ],
    },
    {
      name: 'no flows at all',
      report: { now: NOW, account: null, flows: [], otherUnsentAlerts: [] },
      expected: ['ID  NAME  LAST CHECK  CHECKPOINT  NEXT CHECK  OPEN INCIDENT  LAST ALERT', '', '0 flows, 0 open incidents'],
    },
  ];
  it.each(cases)('$name', ({ report, expected }) => {
    expect(renderStatusTable(report).split('\n')).toEqual(expected);
  });

  it('keeps every line within 120 columns and passes no control character through', () => {
    const many = Array.from({ length: 30 }, (_, index) => ({ ...gone, id: 100_000 + index, name: `${gone.name ?? ''}\t${index}` }));
    const text = renderStatusTable({ now: NOW, account: { ...rejectedToken, message: `${'x'.repeat(300)} \u0007 ${rejectedToken.message}` }, flows: [healthy, failed, troubled, silent, neverRan, { ...loadedPart, runIncident: failed.runIncident, name: `${gone.name ?? ''}` }, ...many], otherUnsentAlerts: [] });
    for (const line of text.split('\n')) expect(Array.from(line).length).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(text.replace(/\n/g, '')).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  });
});

describe('renderStatusJson', () => {
  it('adds the open missed run, partial load and volume drop, and the latest run, as incidents with their kind', () => {
    const json = JSON.parse(renderStatusJson({ now: NOW, account: null, flows: [silent, neverRan, loadedPart, healthy], otherUnsentAlerts: [] })) as {
      openIncidents: number;
      flows: Array<Record<string, unknown>>;
    };
    const iso = (ms: number) => ({ ms, iso: new Date(ms).toISOString() });
    expect(json.openIncidents).toBe(3);
    const pick = ({ id, incident, missed, partial, volume, lastRun }: Record<string, unknown>) => ({ id, incident, missed, partial, volume, lastRun });
    expect(json.flows.map(pick)).toEqual([
      {
        id: 21,
        incident: null,
        missed: { kind: 'missed', expectedAt: iso(NOW - 4 * H), lastRunAt: iso(NOW - 5 * H), since: iso(NOW - 4 * H + 10 * M) },
        partial: null,
        volume: null,
        lastRun: { attemptId: 8001, createdAt: iso(NOW - 5 * H), completedAt: iso(NOW - 5 * H + 10 * M) },
      },
      { id: 22, incident: null, missed: { kind: 'missed', expectedAt: iso(NOW - 30 * M), lastRunAt: null, since: iso(NOW - 20 * M) }, partial: null, volume: null, lastRun: null },
      {
        id: 23,
        incident: null,
        missed: null,
        partial: { kind: 'partial', attemptId: 8101, since: iso(NOW - 20 * M) },
        volume: { kind: 'volume', attemptId: 8101, since: iso(NOW - 20 * M) },
        lastRun: { attemptId: 8101, createdAt: iso(NOW - 30 * M), completedAt: iso(NOW - 20 * M) },
      },
      { id: 689422, incident: null, missed: null, partial: null, volume: null, lastRun: null },
    ]);
  });

  it.each<[string, Partial<FlowStatus>]>([
    ['a missed run', { missed: silent.missed }],
    ['a partial load', { partial: loadedPart.partial }],
    ['a volume drop', { volume: loadedPart.volume }],
  ])('counts %s as an open incident, which --fail-on-incident exits on', (_name, incident) => {
    const report = { now: NOW, account: null, flows: [healthy, { ...healthy, id: 9, ...incident }], otherUnsentAlerts: [] };
    expect(countOpenIncidents(report)).toBe(1);
    expect(countOpenIncidents({ ...report, flows: [healthy] })).toBe(0);
  });

  it('adds unsent alerts per flow and notifier, those about no listed flow, and totals', () => {
    const json = JSON.parse(renderStatusJson({ now: NOW, account: null, flows: [{ ...failed, unsentAlerts: withUnsent }, healthy], otherUnsentAlerts: otherUnsent })) as {
      unsentAlertTotals: unknown;
      flows: Array<{ id: number; unsentAlerts: unknown }>;
      otherUnsentAlerts: unknown;
    };
    expect(json.unsentAlertTotals).toEqual({ waiting: 2, retrying: 3, givenUp: 4 });
    expect(json.flows.map((flow) => [flow.id, flow.unsentAlerts])).toEqual([
      [17, withUnsent],
      [689422, []],
    ]);
    expect(json.otherUnsentAlerts).toEqual(otherUnsent);
  });

  it('states the same facts with absolute times as epoch ms and ISO 8601, null for never / none / not scheduled', () => {
    const json = JSON.parse(renderStatusJson({ now: NOW, account: rejectedToken, flows: [failed, unchecked, troubled], otherUnsentAlerts: [] })) as Record<string, unknown>;
    const iso = (ms: number) => ({ ms, iso: new Date(ms).toISOString() });
    expect(json).toEqual({
      generatedAt: { ms: NOW, iso: '2026-11-29T12:00:00.000Z' },
      openIncidents: 3,
      unsentAlertTotals: { waiting: 0, retrying: 0, givenUp: 0 },
      account: { kind: 'monitor-error', problem: 'unauthorized', message: rejectedToken.message, since: iso(NOW - 4 * M), alerted: true },
      flows: [
        {
          id: 17,
          account: 'default',
          name: 'Orders',
          lastCheck: { at: iso(NOW - 5 * S), outcome: 'alerted' },
          checkpoint: iso(NOW - 5 * S),
          scheduled: true,
          nextCheck: iso(NOW + 55 * S),
          incident: { kind: 'failed', since: iso(NOW - 3 * H - 5 * S), attemptId: 9001 },
          lastFailure: { attemptId: 9001, at: iso(NOW - 3 * H - 5 * S) },
          monitor: null,
          missed: null,
          partial: null,
          volume: null,
          lastRun: null,
          lastAlert: { kind: 'failed', notifier: 'oncall', at: iso(NOW - 3 * H), key: 'f17-a9001-failed' },
          unsentAlerts: [],
          held: [],
          inDigest: [],
          recentAttempts: [],
        },
        {
          id: 5,
          account: 'default',
          name: null,
          lastCheck: null,
          checkpoint: null,
          scheduled: false,
          nextCheck: null,
          incident: null,
          lastFailure: null,
          monitor: null,
          missed: null,
          partial: null,
          volume: null,
          lastRun: null,
          lastAlert: null,
          unsentAlerts: [],
          held: [],
          inDigest: [],
          recentAttempts: [],
        },
        {
          id: 1,
          account: 'default',
          name: troubled.name,
          lastCheck: { at: iso(NOW - 4 * M), outcome: 'error' },
          checkpoint: iso(NOW - 2 * H),
          scheduled: true,
          nextCheck: iso(NOW - 3 * M),
          incident: { kind: 'stalled', since: iso(NOW - 3 * H), attemptId: 1 },
          lastFailure: null,
          monitor: { kind: 'monitor-error', problem: 'transient', message: 'Portable answered 503', since: iso(NOW - 2 * M), alerted: false },
          missed: null,
          partial: null,
          volume: null,
          lastRun: null,
          lastAlert: null,
          unsentAlerts: [],
          held: [],
          inDigest: [],
          recentAttempts: [],
        },
      ],
      otherUnsentAlerts: [],
    });
  });
});

describe('status with several accounts', () => {
  it("puts each account's incident above the table, named, the default one's first", () => {
    const text = renderStatusTable({
      now: NOW,
      account: null,
      otherAccounts: [{ account: 'staging', monitor: { ...rejectedToken, message: 'Portable rejected the API token of staging' } }],
      flows: [{ ...healthy, account: 'staging' }],
      otherUnsentAlerts: [],
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('ACCOUNT staging: monitor: unauthorized 4m ago — none of its flows can be checked until it is fixed:');
    expect(lines[1]).toBe('  Portable rejected the API token of staging');
    expect(lines[2]).toBe('');
  });
});
