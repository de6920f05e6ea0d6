import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormatFrom, type LogFormat } from '../../src/logging/create-logger.ts';

/** A logger in `format` whose output the test reads back as lines. */
function capture(format: LogFormat) {
  let output = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString('utf8');
      done();
    },
  });
  const log = createLogger({ format, destination });
  return { log, lines: () => stripVTControlCharacters(output).split('\n').filter((line) => line !== '') };
}

const asTerminal = Object.assign(new Writable(), { isTTY: true });
const asPipe = new Writable();

describe('logFormatFrom', () => {
  it.each([
    [undefined, 'a terminal', 'pretty'],
    [undefined, 'a pipe', 'json'],
    ['', 'a terminal', 'pretty'],
    ['json', 'a terminal', 'json'],
    ['pretty', 'a pipe', 'pretty'],
  ] as const)('LOG_FORMAT=%j with stdout %s is %s', (value, stdout, expected) => {
    expect(logFormatFrom({ LOG_FORMAT: value }, stdout === 'a terminal' ? asTerminal : asPipe)).toBe(expected);
  });

  it.each(['yaml', 'JSON', ' pretty'])('refuses %j in one line naming the variable and its values', (value) => {
    expect(() => logFormatFrom({ LOG_FORMAT: value }, asTerminal)).toThrow(
      new Error(`LOG_FORMAT must be pretty or json (default: pretty at a terminal, json otherwise), got "${value}"`),
    );
  });
});

describe('pretty logs', () => {
  it('are one line per event: time, level, message with its error, then the fields', () => {
    const { log, lines } = capture('pretty');
    log.warn({ flowId: 9, err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }) }, 'could not renew the check lock');
    log.error({ queue: 'checks', err: new TypeError("Cannot read properties of undefined (reading 'id')") }, 'queue error');
    log.info({ flowId: 9, err: 'lookup refused' }, 'flow name lookup failed');
    log.info('stopped');
    expect(lines()).toHaveLength(4);
    expect(lines()[0]).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] WARN: could not renew the check lock: connect ECONNREFUSED 127\.0\.0\.1:6379 \(code ECONNREFUSED\) \{"flowId":9\}$/,
    );
    expect(lines()[1]).toMatch(/\] ERROR: queue error: TypeError: Cannot read properties of undefined \(reading 'id'\) \{"queue":"checks"\}$/);
    expect(lines()[2]).toMatch(/\] INFO: flow name lookup failed: lookup refused \{"flowId":9\}$/);
    expect(lines()[3]).toMatch(/\] INFO: stopped$/);
  });

  it('keep secrets redacted, as JSON does', () => {
    for (const format of ['pretty', 'json'] as const) {
      const { log, lines } = capture(format);
      log.info({ notifier: { webhookUrl: 'https://hooks.slack.com/services/T1/B1/secret-123' }, token: 'tok-secret' }, 'sent');
      expect(lines().join('\n')).toContain('[redacted]');
      expect(lines().join('\n')).not.toContain('secret');
    }
  });
});
