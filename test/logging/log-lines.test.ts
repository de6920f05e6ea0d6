import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { dropPrefix, eventually, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { repeatedKeys } from '../support/repeated-keys.ts';
import { cliConfigYaml, startCli, type CliProcess } from '../support/run-cli.ts';

/**
 * Every JSON line a worker writes names each key once. A child logger's bindings and the fields of the call add
 * up in pino (`"flowId":2001,"flowId":2001`): JSON.parse hides that, log shippers do not all forgive it.
 */

const TOKEN = 'pw-lines-token-41c9';

describe('the repeated-key reader', () => {
  it.each([
    ['{"a":1,"b":2}', []],
    ['{"flowId":2001,"err":{"type":"Error"},"flowId":2001}', ['flowId']],
    ['{"a":{"a":1},"b":[{"a":1},{"a":2}]}', []],
    ['{"a":{"x":1,"x":2},"msg":"\\"a\\":1,\\"a\\":2"}', ['x']],
    ['{"a":[1,"a",{"k":"a"}],"a":0}', ['a']],
  ])('%s repeats %j', (text, expected) => {
    expect(repeatedKeys(text)).toEqual(expected);
  });
});

let simulator: PortableSimulator;
let slack: SlackReceiver;
let dir: string;
let prefix: string;
let worker: CliProcess | undefined;

beforeEach(async () => {
  simulator = createPortableSimulator({ token: TOKEN });
  slack = await startSlackReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pw-lines-'));
  prefix = uniquePrefix('lines');
});

afterEach(async () => {
  worker?.child.kill('SIGKILL');
  worker = undefined;
  await Promise.all([simulator.close(), slack.close(), rm(dir, { recursive: true, force: true })]);
  const redis = new Redis(testRedisUrl());
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

describe('a worker’s log lines', () => {
  it('name every key once, in every line a failing flow makes it write', async () => {
    const apiUrl = await simulator.listen();
    // 2001 failed and Portable will not say its name; 2002 is unknown to Portable; 2003 has a run in a state the
    // client does not know. Between them: an alert delivered, a name lookup failed, a check failed, an anomaly.
    simulator.addFlow({ id: 2001, displayName: 'Events' });
    simulator.addAttempt(2001, { state: 'failed', errors: ['Failed to connect to the source'], createdAt: Date.now() - 60_000 });
    simulator.injectFault({ kind: 'status', status: 404 }, { flowId: 2001, endpoint: 'flow' });
    simulator.addFlow({ id: 2003, displayName: 'Orders' });
    simulator.addAttempt(2003, { lifecycle: 'queued', createdAt: Date.now() - 60_000 });
    await writeFile(join(dir, 'flows.yaml'), cliConfigYaml(apiUrl, ['  - { id: 2001 }', '  - { id: 2002, name: Gone }', '  - { id: 2003, name: Orders }']));
    const started = startCli(['start'], {
      CONFIG_PATH: join(dir, 'flows.yaml'),
      PORTABLE_API_TOKEN: TOKEN,
      SLACK_WEBHOOK_URL: slack.url('/services/T1/B1/lines'),
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'debug',
    });
    worker = started;
    const expected = ['alert delivered', 'flow name lookup failed', 'check failed', "Portable's answer had something unexpected"];
    await eventually(() => (expected.every((message) => started.stdout().includes(`"msg":"${message}"`)) ? true : undefined), expected.join(', '), 15_000);
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);

    const lines = started.stdout().split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThanOrEqual(expected.length);
    for (const line of lines) {
      expect(line.startsWith('{'), line).toBe(true);
      expect(repeatedKeys(line), line).toEqual([]);
    }
    // The flow is still named, once, where it matters.
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const [message, flowId] of [
      ['alert delivered', 2001],
      ['flow name lookup failed', 2001],
      ['check failed', 2002],
      ["Portable's answer had something unexpected", 2003],
    ] as const) {
      expect(parsed.some((line) => line.msg === message && line.flowId === flowId), `${message} for flow ${flowId}`).toBe(true);
    }
  });
});
