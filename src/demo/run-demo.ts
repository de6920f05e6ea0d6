import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { writeLine, type CommandContext } from '../commands/command.ts';
import type { WatchConfig } from '../config/config-schema.ts';
import { createLogger, logFormatFrom, type LogFormat } from '../logging/create-logger.ts';
import { createPortableSimulator, type PortableSimulator } from '../simulator/portable-simulator.ts';
import { createWatchService } from '../worker/watch-service.ts';
import { demoConfig, SLACK_NOTIFIER, TERMINAL_NOTIFIER } from './demo-config.ts';
import { awaitSlackDeliveries, waitForAlerts } from './demo-deliveries.ts';
import { EXPECTED_ALERTS, seedStory, storySteps } from './demo-story.ts';
import { createDemoTerminal, introLines, missingLines, summaryLines, type DemoTerminal } from './demo-terminal.ts';
import { deleteKeysUnder } from '../redis/delete-keys-under.ts';
import { createCleanup, type Cleanup } from './demo-cleanup.ts';
import { findDemoRedis, type DemoRedis } from './find-demo-redis.ts';
import { startDemoPage } from './demo-page.ts';

export interface DemoOptions {
  context: CommandContext;
  /** Used when REDIS_URL is not set. */
  defaultRedisUrl: string;
  /** Aborted on SIGINT or SIGTERM (its reason names the signal): the demo stops, cleans up and resolves. */
  signal: AbortSignal;
  /** How long the story may take to produce its alerts before the demo gives up. Default 60 s. */
  timeoutMs?: number;
  /** `--keep`: after the story, keep the worker and the status page running until a signal. */
  keep?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** Slack deliveries still going when the terminal has shown everything get this long to finish. */
const SLACK_GRACE_MS = 15_000;
/** Retries of a failed Slack post come quickly: the demo is short. */
const DEMO_RETRY_MS = 2_000;

/**
 * `portable-watch demo`: a simulated Portable with a short story, the real worker on a real Redis, alerts on
 * the terminal (and Slack), a summary, and everything it started stopped and deleted whatever happens.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { context } = options;
  // Before anything starts: a bad LOG_FORMAT must not leave a private redis-server behind.
  const logFormat = logFormatFrom(context.env, context.stdout);
  const found = await findDemoRedis({ url: context.env.REDIS_URL || options.defaultRedisUrl, path: context.env.PATH ?? '' });
  if (!found.ok) {
    writeLine(context.stderr, found.message);
    return 1;
  }
  const cleanup = createCleanup(context.stderr);
  cleanup.add('stop the private redis-server', () => found.redis.stop());
  const terminal = createDemoTerminal(context.stdout, Date.now);
  let code = 1;
  try {
    code = await tellStory({ ...options, redis: found.redis, notes: found.notes, cleanup, terminal, logFormat });
  } finally {
    // Also when the story threw: the error then reaches the CLI, which prints it, after everything is stopped.
    const cleaned = await cleanup.run();
    if (cleaned && code !== 1) terminal.line(cleanedUpLine(found.redis));
  }
  return code;
}

interface StoryContext extends DemoOptions {
  logFormat: LogFormat;
  redis: DemoRedis;
  notes: string[];
  cleanup: Cleanup;
  terminal: DemoTerminal;
}

async function tellStory(story: StoryContext): Promise<number> {
  const { context, signal, cleanup, terminal } = story;
  const token = `demo-${randomUUID()}`;
  const simulator = createPortableSimulator({ token });
  cleanup.add('stop the Portable simulator', () => simulator.close());
  const apiUrl = await simulator.listen();
  const slackWebhookUrl = context.env.SLACK_WEBHOOK_URL || undefined;
  const parsed = demoConfig({ apiUrl, token, slackWebhookUrl });
  if (!parsed.ok) {
    // Slack's webhook is the only value the demo's config takes from outside.
    writeLine(context.stderr, `portable-watch demo: SLACK_WEBHOOK_URL cannot be used:\n  ${parsed.problems.join('\n  ')}`);
    return 1;
  }
  const log = createLogger({ level: context.env.LOG_LEVEL || 'warn', format: story.logFormat });
  cleanup.add('flush the logs', () => Promise.resolve(log.flush()));
  const prefix = `{portable-watch-demo-${randomBytes(4).toString('hex')}}`;
  const redis = connect(story.redis, log, cleanup);
  if (story.redis.privateServer === undefined) cleanup.add(`delete the demo's Redis keys (${prefix}*)`, () => deleteKeysUnder(redis, prefix));

  terminal.line(introLines({ where: story.redis.where, prefix, isPrivate: story.redis.privateServer !== undefined }, story.notes, slackWebhookUrl !== undefined).join('\n'));
  for (const line of seedStory(simulator, Date.now())) terminal.line(`        ${line}`);
  terminal.line();
  if (signal.aborted) return interrupted(story);

  const service = createWatchService({
    config: parsed.config,
    redis,
    prefix,
    log,
    notifierDeps: { consoleOut: terminal.alerts },
    deliveryBackoff: () => DEMO_RETRY_MS,
  });
  cleanup.add('stop the worker', () => service.close(2_000));
  // The clock starts first: the first checks run, and may alert, as soon as the worker starts.
  terminal.startClock();
  terminal.line(`  0.0s  The worker starts checking ${parsed.config.flows.length} flows.`);
  await service.start();
  const page = await startDemoPage({ service, prefix, log, env: context.env });
  cleanup.add('stop the status page', () => page.close());
  terminal.line(`        The status page: ${page.url} (live while the demo runs${story.keep === true ? ', and after it until Ctrl-C' : '; --keep keeps it up'}).`);
  cleanup.add('stop the story', playStory(simulator, terminal));

  const timeoutMs = story.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const wait = await waitForAlerts({ queue: service.notificationQueue, notifier: TERMINAL_NOTIFIER, expected: EXPECTED_ALERTS, deadline, now: Date.now, signal });
  if (wait.outcome === 'interrupted') return interrupted(story);
  if (wait.outcome === 'timeout') {
    writeLine(context.stderr, missingLines(wait.missing, timeoutMs).join('\n'));
    return 1;
  }
  const slackFailed = slackWebhookUrl !== undefined && !(await reportSlack(story, service.notificationQueue, wait.seen.length, parsed.config));
  if (signal.aborted) return interrupted(story);
  terminal.line(summaryLines(wait.seen, terminal.elapsed).join('\n'));
  terminal.line();
  if (story.keep === true && !signal.aborted) {
    terminal.line(`The worker keeps watching and the status page stays up at ${page.url}: press Ctrl-C to stop and clean up.`);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  return slackFailed ? 1 : 0;
}

/** Schedules the story's steps from now on; returns what cancels the ones still to come. */
function playStory(simulator: PortableSimulator, terminal: DemoTerminal): () => Promise<void> {
  const timers = storySteps().map((step) =>
    setTimeout(() => {
      terminal.narrate(step.flow, step.narration);
      step.act?.(simulator, Date.now());
    }, step.at),
  );
  return () => {
    for (const timer of timers) clearTimeout(timer);
    return Promise.resolve();
  };
}

function connect(target: DemoRedis, log: Logger, cleanup: Cleanup): Redis {
  const redis = new Redis(target.url, { maxRetriesPerRequest: null });
  redis.on('error', (error: Error) => log.warn({ err: { message: error.message } }, 'redis connection error'));
  cleanup.add('close the Redis connection', () => redis.quit().then(() => undefined, () => redis.disconnect()));
  return redis;
}

/** True when every alert was posted to Slack. */
async function reportSlack(story: StoryContext, queue: Parameters<typeof awaitSlackDeliveries>[0]['queue'], count: number, config: WatchConfig): Promise<boolean> {
  if (config.notifiers[SLACK_NOTIFIER] === undefined) return true;
  const report = await awaitSlackDeliveries({ queue, notifier: SLACK_NOTIFIER, count, deadline: Date.now() + SLACK_GRACE_MS, now: Date.now, signal: story.signal });
  if (report.notPosted.length === 0) {
    story.terminal.line(`Slack: all ${report.posted} alerts were posted through SLACK_WEBHOOK_URL as well.`);
    return true;
  }
  const lines = [
    `portable-watch demo: Slack: ${report.posted} of ${report.posted + report.notPosted.length} alerts were posted through SLACK_WEBHOOK_URL; not posted:`,
    ...report.notPosted.map(({ alert, reason }) => `  - ${alert}: ${reason}`),
    'Check the webhook with `portable-watch test-alert` once it is in your config.',
  ];
  writeLine(story.context.stderr, lines.join('\n'));
  return false;
}

function interrupted(story: StoryContext): number {
  story.terminal.line();
  story.terminal.line('Interrupted: stopping the demo and cleaning up.');
  return story.signal.reason === 'SIGTERM' ? 143 : 130;
}

function cleanedUpLine(redis: DemoRedis): string {
  const what = redis.privateServer === undefined ? "deleted the demo's keys from your Redis" : 'stopped the private redis-server';
  return `Cleaned up: stopped the worker and the simulator, ${what}.`;
}
