import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';

/**
 * `portable-watch routes --flow ID` as an operator runs it: a real process reading a real file whose secrets are
 * not set (the command needs none), explaining where each kind of one flow's alerts goes.
 */

const CONFIG = [
  'portable: { token: "${PORTABLE_API_TOKEN}" }',
  'notifiers:',
  '  oncall: { type: slack, webhookUrl: "${SLACK_WEBHOOK_URL}" }',
  '  growth-slack: { type: slack, webhookUrl: "${GROWTH_SLACK_WEBHOOK_URL}" }',
  '  data-team: { type: console }',
  'defaults: { notify: [data-team], labels: { team: data } }',
  'routes:',
  '  - { match: { team: growth }, notify: [growth-slack], continue: true }',
  '  - { match: { tier: critical }, kinds: [failed, stalled, missed], notify: [oncall] }',
  '  - { match: { severity: warning }, notify: [growth-slack], severity: info }',
  'flows:',
  '  - { id: 101, name: Events to Snowflake, labels: { team: growth, tier: critical }, detect: [failed, stalled, volume] }',
  '  - { id: 102, notify: [oncall] }',
].join('\n');

let directory: string;
let configPath: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pw-routes-'));
  configPath = join(directory, 'flows.yaml');
  await writeFile(configPath, CONFIG);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const routes = (...args: string[]) => runCli(['routes', '--config', configPath, ...args], {});

// Each case is its own process, so they run side by side.
describe.concurrent('portable-watch routes', () => {
  it('prints each kind the flow can alert, each notifier with its severity and why, and what it does not detect', async () => {
    const run = await routes('--flow', '101');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        'Flow 101 "Events to Snowflake", labels team=growth, tier=critical',
        '',
        'KIND           NOTIFIER      SEVERITY  WHY',
        'failed         growth-slack  critical  routes[0] (match team=growth)',
        '               oncall        critical  routes[1] (match tier=critical; kinds failed, stalled, missed)',
        '               data-team     critical  defaults.notify',
        'stalled        growth-slack  critical  routes[0] (match team=growth)',
        '               oncall        critical  routes[1] (match tier=critical; kinds failed, stalled, missed)',
        '               data-team     critical  defaults.notify',
        'volume         growth-slack  warning   routes[0] (match team=growth)',
        '               data-team     warning   defaults.notify',
        'monitor-error  growth-slack  warning   routes[0] (match team=growth)',
        '               data-team     warning   defaults.notify',
        '',
        '(not detected: missed, partial, unknown-outcome; detect: on the flow or under defaults chooses)',
        'Recoveries go where the alert of the incident they end went (a monitor recovery where the monitor error went).',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON for scripts with --json', async () => {
    const run = await routes('--flow', '102', '--json');
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { flow: unknown; kinds: Record<string, unknown>; notDetected: unknown };
    expect(printed.flow).toEqual({ id: 102, name: null, labels: { team: 'data' } });
    expect(Object.keys(printed.kinds)).toEqual(['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome', 'monitor-error']);
    expect(printed.kinds.failed).toEqual([{ notifier: 'oncall', severity: 'critical', because: "the flow's notify" }]);
    // A warning goes to the route's notifier first, at the route's severity, then to the flow's own.
    expect(printed.kinds.partial).toEqual([
      { notifier: 'growth-slack', severity: 'info', because: 'routes[2] (match severity=warning)' },
      { notifier: 'oncall', severity: 'warning', because: "the flow's notify" },
    ]);
    expect(printed.notDetected).toEqual([]);
  });

  it('refuses a flow the file does not list, naming the ids it does', async () => {
    expect(await routes('--flow', '103')).toEqual({
      code: 1,
      stdout: '',
      stderr: `portable-watch routes: no flow 103 under flows: in ${configPath} (its flows: 101, 102)\n`,
    });
  });

  it.each([
    [[], 'give the flow with --flow ID'],
    [['--flow', 'events'], '--flow "events" is not a flow id'],
  ])('explains a missing or malformed --flow (%j) with the usage', async (args, problem) => {
    const run = await routes(...args);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^portable-watch routes: ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(the positive whole number in the flow's Portable URL\\)\n\nUsage: portable-watch routes --flow ID`));
  });

  it('reports the config\'s problems as validate does: here a route naming no notifier', async () => {
    const broken = join(directory, 'broken.yaml');
    await writeFile(broken, CONFIG.replace('notify: [oncall] }', 'notify: [on-call] }'));
    const run = await runCli(['routes', '--config', broken, '--flow', '101'], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${broken}: 1 problem\n  routes[1].notify[0]: no notifier named "on-call" (defined: oncall, growth-slack, data-team)\n`);
  });
});
