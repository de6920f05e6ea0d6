import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createConsoleNotifier } from '../../src/notifiers/console-notifier.ts';
import { NotifierError } from '../../src/notifiers/notifier.ts';
import { failedAlert, missedAlert, partialAlert } from './alert-fixtures.ts';

describe('console notifier', () => {
  it('fails permanently when its stream cannot be written, naming the error kind but not its text', async () => {
    const broken = new Writable({
      write(_chunk: Buffer, _encoding, callback) {
        callback(new Error('EPIPE: broken pipe, write to /var/run/secret-socket'));
      },
    });
    // whoever owns the stream (process.stdout) listens for its errors; the notifier only reports the failed send
    broken.on('error', () => undefined);
    const notifier = createConsoleNotifier({ name: 'terminal', out: broken });

    const error: unknown = await notifier.send(failedAlert()).then(
      () => new Error('the send succeeded'),
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(NotifierError);
    expect(error).toMatchObject({
      message: 'console notifier "terminal" could not write the alert (Error)',
      retryable: false,
    });
  });

  it('leaves the stream it was given open on close()', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('utf8'));
        callback();
      },
    });
    const notifier = createConsoleNotifier({ name: 'terminal', out });
    await notifier.close();
    expect(out.writableEnded).toBe(false);
    await notifier.send(failedAlert());
    expect(chunks.join('')).toContain('FAILED: Events to Snowflake');
  });

  it('prints a missed run and a partial load for a person, with no terminal escape from a resource name', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('utf8'));
        callback();
      },
    });
    const notifier = createConsoleNotifier({ name: 'terminal', out });
    await notifier.send(missedAlert());
    await notifier.send(partialAlert([{ name: 'orders\u001b[2J\u001b]8;;http://evil\u0007', extracted: 10, loaded: 9, errors: ['\u001b[31mred'] }]));
    const printed = chunks.join('');
    expect(printed).toContain('MISSED RUN: Events to Snowflake (flow 689422)\nNo run of Events to Snowflake since 2026-11-29 07:47:48 UTC;');
    expect(printed).toContain('PARTIAL LOAD: Events to Snowflake (flow 689422) — attempt 632458\nAttempt 632458 of Events to Snowflake succeeded but loaded only part of the data.');
    expect(printed).toContain('  orders[2J]8;;http://evil: 10 extracted · 9 loaded (10% missing)\n    - [31mred');
    for (const control of ['\u0007', '\u001b']) expect(printed).not.toContain(control);
  });
});
