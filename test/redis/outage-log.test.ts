import { describe, expect, it } from 'vitest';
import { createOutageLog, isConnectionError } from '../../src/redis/outage-log.ts';
import { captureLog } from '../support/capture-log.ts';

const LEVELS: Record<number, string> = { 20: 'debug', 30: 'info', 40: 'warn' };

/** A logger, and what it logged so far as `level message` with the fields. */
function recorder() {
  const { log, lines } = captureLog();
  return { log, seen: () => lines.map((line) => ({ level: LEVELS[line.level as number] ?? '?', msg: String(line.msg), fields: line })) };
}

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('the outage log', () => {
  it('one warning when Redis goes away, at most one every 30 s while it lasts, one line when it is back', () => {
    let now = 0;
    const { seen, log } = recorder();
    const outage = createOutageLog(log, { now: () => now });
    for (let second = 0; second <= 65; second += 1) {
      now = second * 1000;
      for (let attempt = 0; attempt < 5; attempt += 1) outage.failed(refused);
    }
    now = 70_000;
    outage.recovered();
    expect(seen().map((line) => `${line.level} ${line.msg}`)).toEqual([
      'warn Redis cannot be reached; checks and alerts wait for it',
      'warn Redis still cannot be reached',
      'warn Redis still cannot be reached',
      'info Redis answers again',
    ]);
    expect(seen()[3]?.fields).toMatchObject({ downSeconds: 70 });
  });

  it('a late error from another connection while the main one is up opens no outage; a command timing out does', () => {
    const { seen, log } = recorder();
    const outage = createOutageLog(log, { connected: () => true });
    outage.failed(new Error('Connection is closed.'));
    expect(seen().map((line) => line.level)).toEqual(['debug']);
    outage.failed(new Error('Command timed out'));
    expect(seen().map((line) => line.level)).toEqual(['debug', 'warn']);
  });

  it('keeps passwords out of what it logs', () => {
    const { seen, log } = recorder();
    createOutageLog(log, { scrub: (text) => text.replaceAll('hunter2', '***') }).failed(new Error('WRONGPASS hunter2'));
    expect(JSON.stringify(seen())).not.toContain('hunter2');
  });

  it.each([
    ['refused', refused, true],
    ['sentinels', new Error('All sentinels are unreachable. Retrying from scratch after 10ms.'), true],
    ['a timeout', new Error('Command timed out'), true],
    ['a demoted primary', new Error("READONLY You can't write against a read only replica."), true],
    ['a failover unblocking a read', new Error('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)'), true],
    ['cluster redirections', new Error('Too many Cluster redirections. Last error: Error: Connection is closed.'), true],
    ['a script error', new Error('ERR Error running script'), false],
    ['not an error', 'boom', false],
  ])('tells a connection error: %s', (_name, error, expected) => {
    expect(isConnectionError(error)).toBe(expected);
  });
});
