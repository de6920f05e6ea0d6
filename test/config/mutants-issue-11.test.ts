import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

/**
 * Edges of the issue-11 settings that the other config tests leave open: values padded with spaces, a
 * six-field cron, double spaces inside a cron, and an H that is or is not part of a day name.
 */

const CRON_EXAMPLE = '(e.g. "0 6 * * *" for 06:00 every day, "*/15 * * * *" for every 15 minutes)';

function config(flow: string, { top = [], portable = '' }: { top?: string[]; portable?: string } = {}): string {
  return [`portable: { token: t${portable} }`, 'notifiers: { a: { type: console } }', 'defaults: { notify: [a] }', ...top, 'flows:', `  - ${flow}`].join('\n');
}

const parse = (text: string) => parseConfig(text, {}, 'flows.yaml');

function flowOf(text: string) {
  const result = parse(text);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config.flows[0];
}

describe('values padded with spaces', () => {
  it('read " auto " as auto and " 5%" as 5%', () => {
    expect(flowOf(config('{ id: 1, maxRuntime: " auto " }'))).toMatchObject({ maxRuntime: 'auto' });
    expect(flowOf(config('{ id: 1, partialTolerance: " 5%" }'))).toMatchObject({ partialTolerance: 0.05 });
  });

  it('suggest the nearest rule for a misspelt rule written with spaces around it', () => {
    expect(parse(config('{ id: 1, detect: ["   misse   "] }'))).toEqual({
      ok: false,
      problems: ['flows[0].detect[0]: "   misse   " is not a rule (did you mean "missed"? known rules: failed, stalled, missed, partial, volume, unknown-outcome)'],
    });
  });

  it('compare a padded time zone by its name, so " UTC " and Europe/Paris still conflict', () => {
    expect(parse(config('{ id: 1 }', { top: ['scheduleTimezone: " UTC "'], portable: ', scheduleTimezone: Europe/Paris' }))).toEqual({
      ok: false,
      problems: [
        'portable.scheduleTimezone: "Europe/Paris" differs from the top-level scheduleTimezone (both set the time zone of every flow without its own: keep one of them)',
      ],
    });
  });
});

describe('an installation setting the schema refuses', () => {
  it('is refused once, not also compared with the same setting written elsewhere', () => {
    expect(parse(config('{ id: 1 }', { top: ['scheduleRefresh: soon'], portable: ', scheduleRefresh: 5m' }))).toEqual({
      ok: false,
      problems: ['scheduleRefresh: "soon" is not a duration (use 30s, 5m, 2h, 1d)'],
    });
  });
});

describe('cron wording', () => {
  it.each([
    ["0  0  99 * *", 'the day-of-month field "99": 99 is outside 1-31'],
    ['0 0 99 * * *', 'the hour field "99": 99 is outside 0-23'],
    ['THU * * * *', 'H in the minute field "THU" picks a random time each time it is read; write the time itself'],
    ['0 0 * * THU/0', 'the day-of-week field "THU/0": a step of 0 never moves on (use /1 or more)'],
    ['0 0 * * H', 'H in the day-of-week field "H" picks a random time each time it is read; write the time itself'],
  ])('names the field at fault in %j', (cron, wording) => {
    expect(parse(config(`{ id: 1, schedule: "${cron}" }`))).toEqual({
      ok: false,
      problems: [`flows[0].schedule: "${cron}" is not a valid cron: ${wording} ${CRON_EXAMPLE}`],
    });
  });
});
