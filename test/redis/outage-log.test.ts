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

  it('explains connection errors and jobs lost to an outage while it lasts and for 30 s after, at debug only', () => {
    let now = 0;
    const { seen, log } = recorder();
    const outage = createOutageLog(log, { now: () => now });
    const lostLock = new Error('could not renew lock for job repeat:flow-2001:1796112117962');
    const lostJob = new Error('Missing key for job repeat:flow-2002:1796112119526. moveToFinished');
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect([outage.explains(lostLock), outage.unsettled()]).toEqual([false, false]);
    outage.failed(refused);
    expect([outage.explains(lostLock), outage.explains(new Error('Command timed out')), outage.explains(bug), outage.unsettled()]).toEqual([true, true, false, true]);
    now = 20_000;
    outage.recovered();
    now = 45_000;
    expect([outage.explains(lostJob), outage.unsettled()]).toEqual([true, true]);
    now = 51_000;
    expect([outage.explains(lostJob), outage.unsettled()]).toEqual([false, false]);
    expect(seen().map((line) => `${line.level} ${line.msg}`)).toEqual([
      'warn Redis cannot be reached; checks and alerts wait for it',
      'debug an error the Redis outage explains',
      'debug an error the Redis outage explains',
      'info Redis answers again',
      'debug an error the Redis outage explains',
    ]);
  });

  it('explains a job whose lock went in a failover that opened no outage, for 30 s after, and nothing else', () => {
    let now = 0;
    const { seen, log } = recorder();
    const outage = createOutageLog(log, { now: () => now, connected: () => true });
    const mismatch = new Error('Lock mismatch for job repeat:flow-503:1796118905095. Cmd moveToFinished from active');
    const readOnly = new Error("READONLY You can't write against a read only replica.");
    expect(outage.explains(mismatch)).toBe(false);
    outage.failed(readOnly);
    expect([outage.unsettled(), outage.explains(mismatch), outage.explains(readOnly)]).toEqual([false, true, false]);
    now = 31_000;
    expect(outage.explains(mismatch)).toBe(false);
    expect(seen().map((line) => `${line.level} ${line.msg}`)).toEqual([
      'debug a Redis connection failed while the main one is up',
      'debug an error the Redis outage explains',
    ]);
  });

  it('tells an outage of refused connections from a connection gone quiet, which a new connection may cure', () => {
    let now = 0;
    const { log } = recorder();
    const quiet = createOutageLog(log, { now: () => now });
    quiet.failed(new Error('Command timed out'));
    expect([quiet.unsettled(), quiet.refusing()]).toEqual([true, false]);
    quiet.failed(new Error('Command timed out'));
    expect(quiet.refusing()).toBe(false);
    quiet.failed(refused);
    expect(quiet.refusing()).toBe(true);
    quiet.recovered();
    now = 31_000;
    expect([quiet.unsettled(), quiet.refusing()]).toEqual([false, false]);
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
