import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunAttempt } from '../../src/portable/run-attempt.ts';
import type { AttemptInput } from '../../src/simulator/portable-simulator.ts';
import { MINUTE, TEST_NOW, useSimulatedPortable } from './simulated-portable.ts';

const PUBLISHED_EXAMPLE = readFileSync(new URL('fixtures/published-example.json', import.meta.url), 'utf8');
const at = (iso: string) => Date.parse(iso);

describe('Portable client against the simulator', () => {
  const portable = useSimulatedPortable();

  it('normalises the published example, verbatim with its U+2010 hyphens', async () => {
    expect(PUBLISHED_EXAMPLE).toContain('2023\u201006\u201012T21:03:00Z');
    portable.simulator.addFlow({ id: 689422 });
    portable.simulator.injectFault({ kind: 'respond', body: PUBLISHED_EXAMPLE }, { flowId: 689422, endpoint: 'run' });

    const result = await portable.client().listRunAttempts(689422);

    expect(result.requests).toBe(1);
    expect(result.anomalies).toEqual([]);
    expect(result.attempts).toStrictEqual<RunAttempt[]>([
      {
        id: 658423,
        flowId: 689422,
        trigger: 'scheduled',
        state: 'running',
        createdAt: at('2023-06-12T21:03:00Z'),
        createdAtUnreadable: false,
        completedAt: null,
        resources: [
          { name: 'events', extracted: 1400, analyzed: 0, loaded: 0 },
          { name: 'attendees', extracted: 125, analyzed: 0, loaded: 0 },
        ],
        errors: [],
        anomalies: [],
      },
      {
        id: 637628,
        flowId: 689422,
        trigger: 'scheduled',
        state: 'succeeded',
        createdAt: at('2023-06-12T20:03:00Z'),
        createdAtUnreadable: false,
        completedAt: at('2023-06-12T20:08:34Z'),
        resources: [
          { name: 'events', extracted: 1864, analyzed: 1864, loaded: 1864 },
          { name: 'attendees', extracted: 218, analyzed: 218, loaded: 218 },
        ],
        errors: [],
        anomalies: [],
      },
      {
        id: 632458,
        flowId: 689422,
        trigger: 'manual',
        state: 'failed',
        createdAt: at('2023-06-10T20:03:00Z'),
        createdAtUnreadable: false,
        completedAt: null,
        resources: [],
        errors: ['Failed to connect to the source'],
        anomalies: [],
      },
    ]);
  });

  it('gives the same RunAttempt values whichever dialect a flow answers in', async () => {
    const events = [{ name: 'events', extracted: 10, analyzed: 10, loaded: 9 }];
    const attempts: AttemptInput[] = [
      { id: 11, state: 'running', trigger: 'scheduled', createdAt: TEST_NOW - 5 * MINUTE, resources: events },
      { id: 12, state: 'succeeded', trigger: 'api', createdAt: TEST_NOW - 60 * MINUTE, completedAt: TEST_NOW - 55 * MINUTE, resources: events },
      { id: 13, state: 'failed', trigger: 'manual', createdAt: TEST_NOW - 120 * MINUTE, completedAt: null, errors: ['Failed to connect to the source'] },
      { id: 14, state: 'failed', createdAt: TEST_NOW - 180 * MINUTE, completedAt: TEST_NOW - 170 * MINUTE, errors: ['a', 'b'] },
      { id: 15, state: 'ended', createdAt: TEST_NOW - 240 * MINUTE, completedAt: TEST_NOW - 239 * MINUTE },
      { id: 16, state: 'succeeded', createdAt: TEST_NOW - 300 * MINUTE, errors: [] },
    ];
    portable.simulator.addFlow({ id: 1, dialect: 'example' });
    portable.simulator.addFlow({ id: 2, dialect: 'schema' });
    for (const attempt of attempts) {
      portable.simulator.addAttempt(1, attempt);
      portable.simulator.addAttempt(2, attempt);
    }
    const client = portable.client();

    const example = await client.listRunAttempts(1);
    const schema = await client.listRunAttempts(2);

    const withoutFlow = (list: RunAttempt[]) => list.map(({ flowId: _flowId, ...rest }) => rest);
    expect(withoutFlow(schema.attempts)).toEqual(withoutFlow(example.attempts));
    expect(example.attempts.map((attempt) => attempt.state)).toEqual(['running', 'succeeded', 'failed', 'failed', 'ended', 'succeeded']);
    expect(example.attempts[0]?.resources).toEqual(events);
    expect(example.anomalies).toEqual([]);
    expect(schema.anomalies).toEqual([]);
  });

  it('reads 2,500 attempts in three 1,000-item pages, each id exactly once, newest first', async () => {
    portable.simulator.addFlow({ id: 7 });
    for (let index = 0; index < 2500; index += 1) {
      portable.simulator.addAttempt(7, { state: 'succeeded', createdAt: TEST_NOW - (2500 - index) * MINUTE });
    }

    const result = await portable.client().listRunAttempts(7, { pageSize: 1000 });

    expect(result.requests).toBe(3);
    expect(portable.simulator.requestCount({ flowId: 7 })).toBe(3);
    expect(new Set(result.attempts.map((attempt) => attempt.id)).size).toBe(2500);
    expect(result.attempts).toHaveLength(2500);
    const times = result.attempts.map((attempt) => attempt.createdAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(portable.simulator.requestLog().map((request) => request.url)).toEqual([
      '/v2/flows/7/run?limit=1000&offset=0&sort=desc',
      '/v2/flows/7/run?limit=1000&offset=1000&sort=desc',
      '/v2/flows/7/run?limit=1000&offset=2000&sort=desc',
    ]);
  });

  it('sends startTime as RFC 3339 when asked for attempts since a moment', async () => {
    portable.simulator.addFlow({ id: 8 });
    for (let minutes = 1; minutes <= 30; minutes += 1) portable.simulator.addAttempt(8, { createdAt: TEST_NOW - minutes * MINUTE });
    const since = TEST_NOW - 10 * MINUTE;

    const result = await portable.client().listRunAttempts(8, { since });

    expect(result.attempts).toHaveLength(10);
    expect(result.attempts.every((attempt) => attempt.createdAt >= since)).toBe(true);
    expect(portable.simulator.requestLog()[0]?.url).toBe('/v2/flows/8/run?limit=100&offset=0&sort=desc&startTime=2023-06-12T21%3A20%3A00.000Z');
  });

  it('reads asc pages too, in ascending order', async () => {
    portable.simulator.addFlow({ id: 9 });
    for (let minutes = 1; minutes <= 250; minutes += 1) portable.simulator.addAttempt(9, { createdAt: TEST_NOW - minutes * MINUTE });

    const result = await portable.client().listRunAttempts(9, { sort: 'asc', pageSize: 100 });

    expect(result.requests).toBe(3);
    const times = result.attempts.map((attempt) => attempt.createdAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times).toHaveLength(250);
  });

  it('keeps an unknown enum value as unknown (maybe running) or unrecognised (finished), with an anomaly, in either dialect', async () => {
    portable.simulator.addFlow({ id: 20, dialect: 'example' });
    portable.simulator.addFlow({ id: 21, dialect: 'schema' });
    portable.simulator.addAttempt(20, { id: 658423, lifecycle: 'queued', outcome: 'none', trigger: 'webhook' });
    portable.simulator.addAttempt(21, { id: 658424, lifecycle: 'not_running', outcome: 'cancelled' });
    const client = portable.client();

    const example = await client.listRunAttempts(20);
    const schema = await client.listRunAttempts(21);

    expect(example.attempts[0]).toMatchObject({ state: 'unknown', trigger: 'unknown' });
    expect(example.anomalies.map((anomaly) => anomaly.message)).toEqual(['attempt 658423: unknown lifecycle "queued"', 'attempt 658423: unknown trigger "webhook"']);
    expect(schema.attempts[0]).toMatchObject({ state: 'unrecognised', unrecognised: 'status "CANCELLED"' });
    expect(schema.anomalies.map((anomaly) => anomaly.message)).toEqual(['attempt 658424: unknown status "CANCELLED"']);
  });

  it('follows an attempt from running to failed', async () => {
    portable.simulator.addFlow({ id: 30, dialect: 'schema' });
    const started = portable.simulator.addAttempt(30, { createdAt: TEST_NOW - MINUTE });
    const client = portable.client();

    expect((await client.listRunAttempts(30)).attempts[0]?.state).toBe('running');
    portable.simulator.updateAttempt(30, started.id, { state: 'failed', errors: ['Destination refused the write'] });
    const after = (await client.listRunAttempts(30)).attempts[0];

    expect(after).toMatchObject({ state: 'failed', completedAt: TEST_NOW, errors: ['Destination refused the write'] });
  });

  it('reads a flow, the flow list and a flow status', async () => {
    portable.simulator.addFlow({ id: 40, displayName: 'Eventbrite → Snowflake', frequency: '1h' });
    portable.simulator.addFlow({ id: 41, displayName: 'Stripe', cron: '0 * * * *', dialect: 'schema' });
    portable.simulator.addAttempt(40, { state: 'failed', createdAt: TEST_NOW - MINUTE, completedAt: null, errors: ['boom'] });
    const client = portable.client();

    expect(await client.getFlow(40)).toEqual({ id: 40, displayName: 'Eventbrite → Snowflake', frequency: '1h' });
    expect(await client.listFlows()).toEqual([
      { id: 40, displayName: 'Eventbrite → Snowflake', frequency: '1h' },
      { id: 41, displayName: 'Stripe', cron: '0 * * * *' },
    ]);
    expect(await client.getFlowStatus(40)).toEqual({
      lifecycle: 'not_running',
      disposition: 'failed',
      state: 'failed',
      errors: ['boom'],
      resources: [],
      completedAt: null,
      anomalies: [],
    });
    expect((await client.getFlowStatus(41)).state).toBe('ended');
  });

  it("reports every request to onRequest, with its status, our clock and Portable's (the Date header)", async () => {
    portable.simulator.addFlow({ id: 50 });
    const seen: unknown[] = [];
    await portable.client({ onRequest: (info) => seen.push(info), now: () => TEST_NOW + 42 }).getFlow(50);
    expect(seen).toEqual([
      { path: '/v2/flows/50', status: 200, durationMs: expect.any(Number) as number, attempt: 1, receivedAt: TEST_NOW + 42, serverDate: TEST_NOW },
    ]);
  });
});
