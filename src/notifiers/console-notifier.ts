import type { Writable } from 'node:stream';
import type { Alert } from '../alerts/alert.ts';
import type { Digest } from '../digests/digest-types.ts';
import { NotifierError, type Notifier } from './notifier.ts';
import { renderPlainDigest } from './render-plain-digest.ts';
import { renderPlainText } from './render-plain-text.ts';

export interface ConsoleNotifierOptions {
  name: string;
  /** Where alerts are printed, usually process.stdout; injected so tests and the CLI choose. */
  out: Writable;
}

/** Prints alerts and digests for a person at a terminal (local runs, `test-alert`, a cluster's log viewer). */
export function createConsoleNotifier({ name, out }: ConsoleNotifierOptions): Notifier {
  /** Waiting for the write callback means a send that resolved has reached the stream's destination. */
  function print(text: string, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      out.write(text, (error) => {
        if (error) {
          const message = `console notifier "${name}" could not write the ${what} (${error.name})`;
          reject(new NotifierError(message, { retryable: false }));
        } else {
          resolve();
        }
      });
    });
  }

  return {
    name,
    type: 'console',
    async send(alert: Alert): Promise<void> {
      await print(`${renderPlainText(alert)}\n`, 'alert');
    },
    // Every line: a terminal or a log viewer has no message size limit, and the console is where all are wanted.
    async sendDigest(digest: Digest): Promise<void> {
      await print(`${renderPlainDigest(digest)}\n`, 'digest');
    },
    close(): Promise<void> {
      // The stream belongs to whoever passed it in (often process.stdout), so it is not ended here.
      return Promise.resolve();
    },
  };
}
