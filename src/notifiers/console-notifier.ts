import type { Writable } from 'node:stream';
import type { Alert } from '../alerts/alert.ts';
import { NotifierError, type Notifier } from './notifier.ts';
import { renderPlainText } from './render-plain-text.ts';

export interface ConsoleNotifierOptions {
  name: string;
  /** Where alerts are printed, usually process.stdout; injected so tests and the CLI choose. */
  out: Writable;
}

/** Prints alerts for a person at a terminal (local runs, `test-alert`, a cluster's log viewer). */
export function createConsoleNotifier({ name, out }: ConsoleNotifierOptions): Notifier {
  return {
    name,
    type: 'console',
    async send(alert: Alert): Promise<void> {
      const text = `${renderPlainText(alert)}\n`;
      // Waiting for the write callback means a send that resolved has reached the stream's destination.
      await new Promise<void>((resolve, reject) => {
        out.write(text, (error) => {
          if (error) {
            const message = `console notifier "${name}" could not write the alert (${error.name})`;
            reject(new NotifierError(message, { retryable: false }));
          } else {
            resolve();
          }
        });
      });
    },
    close(): Promise<void> {
      // The stream belongs to whoever passed it in (often process.stdout), so it is not ended here.
      return Promise.resolve();
    },
  };
}
