import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createConsoleNotifier } from '../../src/notifiers/console-notifier.ts';
import { NotifierError } from '../../src/notifiers/notifier.ts';
import { failedAlert } from './alert-fixtures.ts';

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
});
