import { Writable } from 'node:stream';
import { ALERT_TITLES } from '../alerts/alert.ts';
import { writeLine } from '../commands/command.ts';
import { DEMO_FLOWS, DEMO_SETTINGS, EXPECTED_ALERTS, type DemoFlow, type ExpectedAlert } from './demo-story.ts';

/**
 * What the demo prints: a timed narration of the story, each alert framed so it stands out from it, and the
 * closing summary. Alerts themselves are rendered by the real console notifier; this only frames them.
 */

export interface DemoTerminal {
  /** Counts the narration's seconds from now on. */
  startClock(): void;
  line(text?: string): void;
  narrate(flow: DemoFlow, text: string): void;
  /** The stream to give the console notifier: each write is one alert, printed inside a frame. */
  readonly alerts: Writable;
  /** `  3.5s`: time since the clock started, padded for a column. */
  readonly elapsed: (at?: number) => string;
}

const FRAME_WIDTH = 72;
const FLOW_COUNT_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'][Object.keys(DEMO_FLOWS).length] ?? String(Object.keys(DEMO_FLOWS).length);

export function createDemoTerminal(out: Writable, now: () => number): DemoTerminal {
  let startedAt = now();
  const elapsed = (at = now()) => `${((at - startedAt) / 1000).toFixed(1)}s`.padStart(6);
  const alerts = new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, callback) {
      // The console notifier resolves once this callback runs, i.e. once the alert reached the terminal.
      out.write(frame(chunk.toString(), elapsed()), (error) => callback(error ?? null));
    },
  });
  return {
    startClock() {
      startedAt = now();
    },
    line: (text = '') => writeLine(out, text),
    narrate: (flow, text) => writeLine(out, `${elapsed()}  ${flow.name}: ${text}`),
    alerts,
    elapsed,
  };
}

function frame(text: string, at: string): string {
  const head = `── alert, ${at.trim()} `;
  const lines = text.replace(/\n+$/, '').split('\n');
  return ['', `  ┌${head}${'─'.repeat(Math.max(4, FRAME_WIDTH - head.length))}`, ...lines.map((line) => `  │ ${line}`.trimEnd()), '  └', ''].join('\n') + '\n';
}

export function introLines(redis: { where: string; prefix: string; isPrivate: boolean }, notes: readonly string[], slack: boolean): string[] {
  const where = redis.isPrivate
    ? `Redis: the private one at ${redis.where}, stopped and removed at the end.`
    : `Redis: ${redis.where}, keys under ${redis.prefix} only, deleted at the end.`;
  return [
    `portable-watch demo: the real worker watching ${FLOW_COUNT_WORDS} flows on a simulated Portable (no account needed).`,
    ...notes,
    where,
    `Each flow is checked every ${DEMO_SETTINGS.pollEvery}; a run going on longer than ${DEMO_SETTINGS.maxRuntime} counts as stalled;`,
    `the first check looks back ${DEMO_SETTINGS.backfill}. Alerts go to this terminal${slack ? ' and to Slack (SLACK_WEBHOOK_URL)' : ''}.`,
    '',
    'Before the worker starts, Portable reports:',
  ];
}

export interface SeenAlert {
  expected: ExpectedAlert;
  /** Epoch ms when it was printed. */
  at: number;
}

const KIND_WIDTH = Math.max(...EXPECTED_ALERTS.map(({ kind }) => ALERT_TITLES[kind].length));

export function summaryLines(seen: readonly SeenAlert[], elapsed: (at: number) => string): string[] {
  const quiet = DEMO_FLOWS.contacts.name;
  return [
    `That was the story. You saw ${seen.length} alerts:`,
    ...seen.map(({ expected, at }) => `${elapsed(at)}  ${ALERT_TITLES[expected.kind].padEnd(KIND_WIDTH)}  ${expected.flow.name}: ${expected.meaning}`),
    `and nothing about ${quiet}, whose runs succeeded.`,
    '',
    'To watch your own Portable account:',
    '  1. cp config/flows.example.yaml config/flows.yaml, then list your flow ids (the number in a flow\'s',
    '     Portable URL) and where alerts go: Slack, email, or the terminal.',
    '  2. export PORTABLE_API_TOKEN=…   (and SLACK_WEBHOOK_URL=… or SMTP_URL=… for the notifiers you use)',
    '  3. npx portable-watch validate      checks the file, listing every problem',
    '     npx portable-watch test-alert    sends a labelled test message through each notifier',
    '     npx portable-watch start         the worker (REDIS_URL, default redis://127.0.0.1:6379)',
    '     npx portable-watch status        what it has seen of each flow',
    '  No account yet? npx portable-watch simulate serves a Portable to try them against.',
  ];
}

export function missingLines(missing: readonly ExpectedAlert[], timeoutMs: number): string[] {
  return [
    `portable-watch demo: after ${timeoutMs / 1000}s, ${missing.length} of the story's alerts never arrived:`,
    ...missing.map((alert) => `  - ${ALERT_TITLES[alert.kind]}: ${alert.flow.name}`),
    'Something kept the worker from checking or delivering (a slow or busy Redis?).',
    'Run the demo again with LOG_LEVEL=info to see the worker\'s logs.',
  ];
}
