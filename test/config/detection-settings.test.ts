import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DetectKind } from '../../src/alerts/alert.ts';
import type { FlowConfig, WatchConfig } from '../../src/config/config-schema.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import type { ScheduleSetting } from '../../src/detection/schedule.ts';

/**
 * The keys that choose and tune detection (issue 11): where each may be written, what it becomes, and the exact
 * words of each refusal, with the path the operator must fix.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
const ALL_RULES = ['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome'];
const KNOWN_RULES = 'known rules: failed, stalled, missed, partial, volume, unknown-outcome';
const SCHEDULE_FORMS = 'write a cron such as "0 6 * * *", a duration such as 1h for one run every hour, or none';
const CRON_EXAMPLE = 'e.g. "0 6 * * *" for 06:00 every day, "*/15 * * * *" for every 15 minutes';
const NOT_TIME_ZONE = 'is not a time zone (write an IANA name such as Europe/Paris, or UTC)';

interface Parts {
  /** Lines added at the top level. */
  top?: string[];
  /** Keys added to `portable:`, `defaults:` (which always has `notify: [a]`), as flow-style text. */
  portable?: string;
  defaults?: string;
  /** One flow-style mapping per flow. */
  flows?: string[];
}

function config({ top = [], portable, defaults, flows = ['{ id: 1 }'] }: Parts): string {
  return [
    `portable: { token: t${portable === undefined ? '' : `, ${portable}`} }`,
    'notifiers: { a: { type: console } }',
    `defaults: { notify: [a]${defaults === undefined ? '' : `, ${defaults}`} }`,
    ...top,
    'flows:',
    ...flows.map((flow) => `  - ${flow}`),
  ].join('\n');
}

const parse = (parts: Parts, env: Record<string, string> = {}) => parseConfig(config(parts), env, 'flows.yaml');

/** The flows of a file that must load. */
function flowsOf(parts: Parts, env: Record<string, string> = {}) {
  const result = parse(parts, env);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config.flows;
}

function scheduleRefreshOf(parts: Parts): number {
  const result = parse(parts);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config.scheduleRefresh;
}

const refused = (parts: Parts, ...problems: string[]) => expect(parse(parts)).toEqual({ ok: false, problems });

describe('detection settings left out', () => {
  it('take their defaults: every rule, 2h fixed limit, 2h fallback, 30 days of history, UTC, no tolerance, a 10m refresh', () => {
    const result = parse({});
    expect(result).toMatchObject({ ok: true, config: { scheduleRefresh: 10 * MINUTE } });
    expect(flowsOf({})).toEqual([
      {
        id: 1,
        account: 'default',
        pollEvery: MINUTE,
        maxRuntime: 2 * HOUR,
        backfill: 24 * HOUR,
        notify: ['a'],
        sendOnResolved: true,
        detect: ALL_RULES,
        autoFallback: 2 * HOUR,
        learnFrom: 30 * 24 * HOUR,
        scheduleTimezone: 'UTC',
        partialTolerance: 0,
        labels: {},
        repeatEvery: null,
        alertAfter: 1,
        notifySource: 'defaults',
      },
    ]);
  });

  it('leave schedule and missedAfter out altogether, so Portable\'s schedule and the automatic grace apply', () => {
    const [flow] = flowsOf({});
    expect(flow).not.toHaveProperty('schedule');
    expect(flow).not.toHaveProperty('missedAfter');
  });
});

describe('each per-flow setting', () => {
  it.each([
    ['detect', '[failed, stalled]', { detect: ['failed', 'stalled'] }],
    ['maxRuntime', 'auto', { maxRuntime: 'auto' }],
    ['maxRuntime', '45m', { maxRuntime: 45 * MINUTE }],
    ['autoFallback', '3h', { autoFallback: 3 * HOUR }],
    ['learnFrom', '7d', { learnFrom: 7 * 24 * HOUR }],
    ['learnFrom', '0', { learnFrom: 0 }],
    ['schedule', '"0 6 * * *"', { schedule: { kind: 'cron', expression: '0 6 * * *' } }],
    ['schedule', '1h', { schedule: { kind: 'every', everyMs: HOUR } }],
    ['schedule', 'none', { schedule: { kind: 'none' } }],
    ['scheduleTimezone', 'Europe/Paris', { scheduleTimezone: 'Europe/Paris' }],
    ['missedAfter', '30s', { missedAfter: 30_000 }],
    ['partialTolerance', '5%', { partialTolerance: 0.05 }],
  ])('%s: %s is taken under defaults: and on a flow', (key, value, parsed) => {
    const [fromDefaults, own] = flowsOf({ defaults: `${key}: ${value}`, flows: ['{ id: 1 }', `{ id: 2, ${key}: ${value} }`] });
    expect(fromDefaults).toMatchObject(parsed);
    expect(own).toMatchObject(parsed);
  });

  it('on a flow wins over defaults:', () => {
    const [flow] = flowsOf({
      defaults: 'detect: [failed], maxRuntime: auto, schedule: none, scheduleTimezone: Asia/Tokyo, missedAfter: 5m, partialTolerance: 1%',
      flows: ['{ id: 1, detect: [volume], maxRuntime: 1h, schedule: 2h, scheduleTimezone: Europe/Paris, missedAfter: 10m, partialTolerance: 2% }'],
    });
    expect(flow).toMatchObject({
      detect: ['volume'],
      maxRuntime: HOUR,
      schedule: { kind: 'every', everyMs: 2 * HOUR },
      scheduleTimezone: 'Europe/Paris',
      missedAfter: 10 * MINUTE,
      partialTolerance: 0.02,
    });
  });
});

describe('detect', () => {
  it('keeps each rule once, in the usual order whatever the order written', () => {
    const [flow] = flowsOf({ flows: ['{ id: 1, detect: [volume, failed, " stalled ", failed, unknown-outcome] }'] });
    expect(flow?.detect).toEqual(['failed', 'stalled', 'volume', 'unknown-outcome']);
  });

  it.each([
    [{ flows: ['{ id: 1, detect: [failed, stalld] }'] }, `flows[0].detect[1]: "stalld" is not a rule (did you mean "stalled"? ${KNOWN_RULES})`],
    [{ defaults: 'detect: [failures]' }, `defaults.detect[0]: "failures" is not a rule (${KNOWN_RULES})`],
    [{ flows: ['{ id: 1, detect: [Failed] }'] }, `flows[0].detect[0]: "Failed" is not a rule (did you mean "failed"? ${KNOWN_RULES})`],
    [{ flows: ['{ id: 1, detect: [404] }'] }, `flows[0].detect[0]: 404 is not a rule (${KNOWN_RULES})`],
    [{ flows: ['{ id: 1, detect: failed }'] }, 'flows[0].detect: expected a list, got text (write it as [a, b])'],
    [
      { flows: ['{ id: 1 }', '{ id: 2, detect: [] }'] },
      'flows[1].detect: is empty (list at least one of failed, stalled, missed, partial, volume, unknown-outcome, or remove the flow)',
    ],
    [
      { defaults: 'detect: []' },
      'defaults.detect: is empty (list at least one of failed, stalled, missed, partial, volume, unknown-outcome, or leave detect out to use all of them)',
    ],
  ])('refuses %j', (parts, problem) => {
    refused(parts, problem);
  });
});

describe('maxRuntime', () => {
  const NEITHER = "is neither a duration nor auto (use 30s, 5m, 2h, 1d, or auto to learn it from the flow's own run times)";

  it.each([
    [{ flows: ['{ id: 1, maxRuntime: soon }'] }, `flows[0].maxRuntime: "soon" ${NEITHER}`],
    [{ defaults: 'maxRuntime: Auto' }, `defaults.maxRuntime: "Auto" ${NEITHER}`],
    [{ defaults: 'maxRuntime: [auto]' }, `defaults.maxRuntime: a list ${NEITHER}`],
    [{ flows: ['{ id: 1, maxRuntime: 0 }'] }, 'flows[0].maxRuntime: must be longer than 0, got 0'],
  ])('refuses %j', (parts, problem) => {
    refused(parts, problem);
  });

  it('takes auto from the environment', () => {
    expect(flowsOf({ flows: ['{ id: 1, maxRuntime: "${MAX_RUNTIME}" }'] }, { MAX_RUNTIME: 'auto' })[0]?.maxRuntime).toBe('auto');
  });
});

describe('autoFallback, learnFrom and missedAfter', () => {
  it.each([
    [{ defaults: 'autoFallback: 0' }, 'defaults.autoFallback: must be longer than 0, got 0'],
    [{ flows: ['{ id: 1, missedAfter: 0s }'] }, 'flows[0].missedAfter: must be longer than 0, got "0s"'],
    [{ flows: ['{ id: 1, learnFrom: 1 month }'] }, 'flows[0].learnFrom: "1 month" is not a duration (use 30s, 5m, 2h, 1d)'],
    [{ defaults: 'missedAfter: auto' }, 'defaults.missedAfter: "auto" is not a duration (use 30s, 5m, 2h, 1d)'],
  ])('refuses %j', (parts, problem) => {
    refused(parts, problem);
  });
});

describe('schedule', () => {
  it.each([
    ['"*/5 * * * * *"', { kind: 'cron', expression: '*/5 * * * * *' }],
    ['"  0   6 * *  MON-FRI "', { kind: 'cron', expression: '0 6 * * MON-FRI' }],
    ['"@daily"', { kind: 'cron', expression: '@daily' }],
    ['"0 6 L * *"', { kind: 'cron', expression: '0 6 L * *' }],
    ['"30 5 * JAN-MAR THU"', { kind: 'cron', expression: '30 5 * JAN-MAR THU' }],
    ['1h30m', { kind: 'every', everyMs: 90 * MINUTE }],
    ['" none "', { kind: 'none' }],
  ])('reads %s', (value, schedule) => {
    expect(flowsOf({ flows: [`{ id: 1, schedule: ${value} }`] })[0]?.schedule).toEqual(schedule);
  });

  it.each([
    ['"61 6 * * *"', `"61 6 * * *" is not a valid cron: the minute field "61": 61 is outside 0-59 (${CRON_EXAMPLE})`],
    ['"0 24 * * *"', `"0 24 * * *" is not a valid cron: the hour field "24": 24 is outside 0-23 (${CRON_EXAMPLE})`],
    ['"0 6 * * 8"', `"0 6 * * 8" is not a valid cron: the day-of-week field "8": 8 is outside 0-7 (${CRON_EXAMPLE})`],
    ['"0 6 * * fry"', `"0 6 * * fry" is not a valid cron: the day-of-week field "fry": "fry" is not the name of a month or a day (${CRON_EXAMPLE})`],
    ['"0 6 * SEPT *"', `"0 6 * SEPT *" is not a valid cron: the month field "SEPT": it holds characters a cron field does not use (digits, * , - / and names such as MON or JAN) (${CRON_EXAMPLE})`],
    ['"0 6 * *"', `"0 6 * *" is not a valid cron: it has 4 fields, a cron has 5 (minute hour day-of-month month day-of-week) or 6 (second first) (${CRON_EXAMPLE})`],
    ['"0 0 6 * * * *"', `"0 0 6 * * * *" is not a valid cron: it has 7 fields, a cron has 5 (minute hour day-of-month month day-of-week) or 6 (second first) (${CRON_EXAMPLE})`],
    ['"0 6 * * 5-9"', `"0 6 * * 5-9" is not a valid cron: the day-of-week field "5-9": 5-9 is outside 0-7 (${CRON_EXAMPLE})`],
    ['"0 6 * * 1#6"', `"0 6 * * 1#6" is not a valid cron: the day-of-week field "1#6": Constraint error, invalid dayOfWeek occurrence number (#) (${CRON_EXAMPLE})`],
    ['"0 6 31 2 *"', `"0 6 31 2 *" is not a valid cron: that day of the month never comes in the months given (${CRON_EXAMPLE})`],
    ['"30-10 * * * *"', `"30-10 * * * *" is not a valid cron: the minute field "30-10": the range 30-10 runs backwards (write the smaller number first) (${CRON_EXAMPLE})`],
    ['"*/0 * * * *"', `"*/0 * * * *" is not a valid cron: the minute field "*/0": a step of 0 never moves on (use /1 or more) (${CRON_EXAMPLE})`],
    ['"6h * * * *"', `"6h * * * *" is not a valid cron: the minute field "6h": it holds characters a cron field does not use (digits, * , - / and names such as MON or JAN) (${CRON_EXAMPLE})`],
    ['"H 6 * * THU"', `"H 6 * * THU" is not a valid cron: H in the minute field "H" picks a random time each time it is read; write the time itself (${CRON_EXAMPLE})`],
    ['"@fortnightly"', `"@fortnightly" is not a valid cron: @fortnightly is not a name cron-parser knows (such as @hourly, @daily, @weekly) (${CRON_EXAMPLE})`],
    ['daily', `"daily" is not a schedule (${SCHEDULE_FORMS})`],
    ['"*/5"', `"*/5" is not a schedule (${SCHEDULE_FORMS})`],
    ['60', `60 is not a schedule (${SCHEDULE_FORMS})`],
    ['true', `true is not a schedule (${SCHEDULE_FORMS})`],
    ['[1h]', `a list is not a schedule (${SCHEDULE_FORMS})`],
    ['0', 'must be longer than 0, got 0 (write none for a flow with no expected runs)'],
  ])('refuses %s on flows[1], saying what to write', (value, message) => {
    refused({ flows: ['{ id: 1 }', `{ id: 2, schedule: ${value} }`] }, `flows[1].schedule: ${message}`);
  });

  it('is refused under defaults: with the path there', () => {
    refused({ defaults: 'schedule: hourly' }, `defaults.schedule: "hourly" is not a schedule (${SCHEDULE_FORMS})`);
  });
});

describe('scheduleTimezone', () => {
  it('is taken at the top level or under portable: for every flow, and a flow or defaults: may set the same', () => {
    expect(flowsOf({ top: ['scheduleTimezone: America/New_York'] }).map((flow) => flow.scheduleTimezone)).toEqual(['America/New_York']);
    expect(flowsOf({ portable: 'scheduleTimezone: America/New_York', flows: ['{ id: 1 }', '{ id: 2, scheduleTimezone: Europe/Paris }'] }).map((flow) => flow.scheduleTimezone)).toEqual([
      'America/New_York',
      'Europe/Paris',
    ]);
    expect(flowsOf({ top: ['scheduleTimezone: utc'], defaults: 'scheduleTimezone: UTC' }).map((flow) => flow.scheduleTimezone)).toEqual(['UTC']);
  });

  it.each([
    [{ flows: ['{ id: 1 }', '{ id: 2, scheduleTimezone: Mars/Olympus }'] }, `flows[1].scheduleTimezone: "Mars/Olympus" ${NOT_TIME_ZONE}`],
    [{ defaults: 'scheduleTimezone: "Paris"' }, `defaults.scheduleTimezone: "Paris" ${NOT_TIME_ZONE}`],
    [{ portable: 'scheduleTimezone: " "' }, `portable.scheduleTimezone: " " ${NOT_TIME_ZONE}`],
    [{ top: ['scheduleTimezone: 2'] }, `scheduleTimezone: 2 ${NOT_TIME_ZONE}`],
  ])('refuses %j', (parts, problem) => {
    refused(parts, problem);
  });

  it('is refused in two installation-wide places with different zones, naming both', () => {
    refused(
      { top: ['scheduleTimezone: Europe/Paris'], defaults: 'scheduleTimezone: UTC' },
      'defaults.scheduleTimezone: "UTC" differs from the top-level scheduleTimezone (both set the time zone of every flow without its own: keep one of them)',
    );
    refused(
      { portable: 'scheduleTimezone: Europe/Paris', defaults: 'scheduleTimezone: Europe/Berlin' },
      'defaults.scheduleTimezone: "Europe/Berlin" differs from portable.scheduleTimezone (both set the time zone of every flow without its own: keep one of them)',
    );
  });
});

describe('partialTolerance', () => {
  it.each([
    ['5%', 0.05],
    ['"2.5 %"', 0.025],
    ['5', 0.05],
    ['"5"', 0.05],
    ['0', 0],
    ['100%', 1],
  ])('reads %s as the ratio %d', (value, ratio) => {
    expect(flowsOf({ flows: [`{ id: 1, partialTolerance: ${value} }`] })[0]?.partialTolerance).toBe(ratio);
  });

  const NOT_PERCENTAGE = 'is not a percentage (write e.g. partialTolerance: 5% to accept loads missing up to 5% of the rows extracted)';

  it.each([
    [{ defaults: 'partialTolerance: five' }, `defaults.partialTolerance: "five" ${NOT_PERCENTAGE}`],
    [{ defaults: 'partialTolerance: 5 percent' }, `defaults.partialTolerance: "5 percent" ${NOT_PERCENTAGE}`],
    [{ defaults: 'partialTolerance: "0.05%%"' }, `defaults.partialTolerance: "0.05%%" ${NOT_PERCENTAGE}`],
    [{ flows: ['{ id: 1, partialTolerance: true }'] }, `flows[0].partialTolerance: true ${NOT_PERCENTAGE}`],
    [{ flows: ['{ id: 1, partialTolerance: 150 }'] }, 'flows[0].partialTolerance: must be from 0% to 100%, got 150'],
    [{ flows: ['{ id: 1, partialTolerance: "-5%" }'] }, 'flows[0].partialTolerance: must be from 0% to 100%, got "-5%"'],
  ])('refuses %j', (parts, problem) => {
    refused(parts, problem);
  });
});

describe('scheduleRefresh', () => {
  it.each([
    [{ top: ['scheduleRefresh: 5m'] }],
    [{ portable: 'scheduleRefresh: 5m' }],
    [{ defaults: 'scheduleRefresh: 5m' }],
    [{ top: ['scheduleRefresh: 5m'], portable: 'scheduleRefresh: 300s', defaults: 'scheduleRefresh: 5m' }],
  ])('is taken at the top level, under portable: or under defaults:, in several when they agree: %j', (parts) => {
    expect(scheduleRefreshOf(parts)).toBe(5 * MINUTE);
  });

  it('takes 10s, the shortest it allows', () => {
    expect(scheduleRefreshOf({ top: ['scheduleRefresh: 10s'] })).toBe(10_000);
  });

  it('is never one of a flow\'s settings', () => {
    expect(flowsOf({ defaults: 'scheduleRefresh: 5m' })[0]).not.toHaveProperty('scheduleRefresh');
    const result = parse({ portable: 'scheduleRefresh: 5m', top: ['scheduleTimezone: Europe/Paris'] });
    expect(result.ok && result.config.accounts).toEqual({ default: { token: 't', apiUrl: 'https://api.portable.io' } });
    expect(result.ok && Object.keys(result.config)).not.toContain('scheduleTimezone');
  });

  it.each([
    [{ top: ['scheduleRefresh: 9s'] }, 'scheduleRefresh: must be at least 10s, got "9s"'],
    [{ portable: 'scheduleRefresh: often' }, 'portable.scheduleRefresh: "often" is not a duration (use 30s, 5m, 2h, 1d)'],
    [
      { flows: ['{ id: 1 }', '{ id: 2, scheduleRefresh: 5m }'] },
      'flows[1].scheduleRefresh: is installation-wide, not per flow (write it once at the top level of the file, or under defaults: or portable:)',
    ],
    [
      { top: ['scheduleRefresh: 10m'], defaults: 'scheduleRefresh: 5m' },
      'defaults.scheduleRefresh: "5m" differs from the top-level scheduleRefresh (both set one refresh of every schedule: keep one of them)',
    ],
    [
      { portable: 'scheduleRefresh: 1m', defaults: 'scheduleRefresh: 2m' },
      'defaults.scheduleRefresh: "2m" differs from portable.scheduleRefresh (both set one refresh of every schedule: keep one of them)',
    ],
  ])('refuses %j', (parts, problem) => {
    refused(parts, problem);
  });
});

describe('a detection setting from an unset variable, for the commands that only read Redis', () => {
  it('gets a stand-in of its kind, so status and alerts still load the file', () => {
    const text = config({
      top: ['scheduleTimezone: ${ZONE}'],
      defaults: 'partialTolerance: "${TOLERANCE}", detect: [failed, "${RULE}"], schedule: "${SCHEDULE}", maxRuntime: "${MAX_RUNTIME}"',
    });
    const result = parseConfig(text, {}, 'flows.yaml', { unsetVariables: 'stand-in' });
    expect(result).toMatchObject({ ok: true, config: { flows: [{ scheduleTimezone: 'UTC', partialTolerance: 0, detect: ['failed'] }] } });
  });
});

describe('the parsed types, a contract with detection and the worker', () => {
  it('are as issue 11 names them', () => {
    expectTypeOf<FlowConfig['detect']>().toEqualTypeOf<DetectKind[]>();
    expectTypeOf<FlowConfig['maxRuntime']>().toEqualTypeOf<number | 'auto'>();
    expectTypeOf<FlowConfig['autoFallback']>().toEqualTypeOf<number>();
    expectTypeOf<FlowConfig['learnFrom']>().toEqualTypeOf<number>();
    expectTypeOf<FlowConfig['schedule']>().toEqualTypeOf<ScheduleSetting | undefined>();
    expectTypeOf<FlowConfig['scheduleTimezone']>().toEqualTypeOf<string>();
    expectTypeOf<FlowConfig['missedAfter']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<FlowConfig['partialTolerance']>().toEqualTypeOf<number>();
    expectTypeOf<WatchConfig['scheduleRefresh']>().toEqualTypeOf<number>();
    expectTypeOf<FlowConfig>().not.toHaveProperty('scheduleRefresh');
    expectTypeOf<WatchConfig['accounts'][string]>().not.toHaveProperty('scheduleTimezone');
  });
});

describe('several problems with detection settings', () => {
  it('are all reported at once, in file order, beside the other problems of the file', () => {
    const text = [
      'portable: { token: t, scheduleRefresh: 1s }',
      'notifiers: { a: { type: console } }',
      'defaults: { notify: [a], detect: [], partialTolerance: 200% }',
      'flows:',
      '  - { id: 1, schedule: "0 6 * * * * *", scheduleTimezone: Moon/Base, pollEvery: 0 }',
    ].join('\n');
    expect(parseConfig(text, {}, 'flows.yaml')).toEqual({
      ok: false,
      problems: [
        'portable.scheduleRefresh: must be at least 10s, got "1s"',
        'defaults.detect: is empty (list at least one of failed, stalled, missed, partial, volume, unknown-outcome, or leave detect out to use all of them)',
        'defaults.partialTolerance: must be from 0% to 100%, got "200%"',
        // Within a line, in the order of the schema.
        'flows[0].pollEvery: must be at least 1s, got 0',
        `flows[0].schedule: "0 6 * * * * *" is not a valid cron: it has 7 fields, a cron has 5 (minute hour day-of-month month day-of-week) or 6 (second first) (${CRON_EXAMPLE})`,
        `flows[0].scheduleTimezone: "Moon/Base" ${NOT_TIME_ZONE}`,
      ],
    });
  });
});
