/**
 * A whole watcher on real parts: the Portable simulator over HTTP, a Slack receiver over HTTP, the real Redis
 * under a prefix of its own, and the real watch service with BullMQ workers. Retries are shortened, nothing else.
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load-config.ts';
import type { WatchConfig } from '../../src/config/config-schema.ts';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { createWatchService, type WatchService, type WatchServiceOptions } from '../../src/worker/watch-service.ts';
import { headerOf, startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { connectRedis, dropPrefix, uniquePrefix } from './redis.ts';

export const HARNESS_TOKEN = 'pw-harness-token-51f0c2';
export const WEBHOOK_PATH = '/services/T000/B000/harness-secret-9d3a';

export interface Harness {
  redis: Redis;
  prefix: string;
  simulator: PortableSimulator;
  slack: SlackReceiver;
  config: WatchConfig;
  /** Builds a config for this harness from the YAML of its `flows:` list (and optional defaults). */
  configWith(flowsYaml: string, defaultsYaml?: string): WatchConfig;
  /** The YAML `configWith` parses, for a CLI process to read. */
  configText(flowsYaml: string, defaultsYaml?: string): string;
  /** Starts a watch service (another "replica" when called twice); all are closed by `close`. */
  startService(config?: WatchConfig, extra?: Partial<WatchServiceOptions>): Promise<WatchService>;
  /** The header text of every post the Slack receiver got, in order. */
  posts(): string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra notifier entries (indented two spaces), e.g. an email notifier; a function gets the Slack receiver's URL builder. */
  notifiers?: string | ((slackUrl: (path: string) => string) => string);
  /** Extra top-level sections, e.g. `email:`; a function gets the simulator's URL (another account on it). */
  sections?: string | ((apiUrl: string) => string);
  /** Extra keys of the `oncall` Slack notifier, e.g. `groupInterval: 10s`. */
  oncall?: string;
  /** One clock for the simulator and the services, which a test may move forward to stand for hours passing. */
  now?: () => number;
  /** Keys under this prefix instead of a fresh one: a test that restored an installation's state there. */
  prefix?: string;
}

export async function startHarness(
  flowsYaml: string,
  defaultsYaml = 'pollEvery: 1s\n  maxRuntime: 1h\n  backfill: 1h',
  options: HarnessOptions = {},
): Promise<Harness> {
  const redis = connectRedis();
  const prefix = options.prefix ?? uniquePrefix('watch');
  const simulator = createPortableSimulator({ token: HARNESS_TOKEN, ...(options.now === undefined ? {} : { now: options.now }) });
  const apiUrl = await simulator.listen();
  const slack = await startSlackReceiver();
  const services: WatchService[] = [];

  const configText = (flows: string, defaults = defaultsYaml): string =>
    [
      'portable:',
      `  token: ${HARNESS_TOKEN}`,
      `  apiUrl: ${apiUrl}`,
      'defaults:',
      `  ${defaults}`,
      '  notify: [oncall]',
      'notifiers:',
      `  oncall: { type: slack, webhookUrl: "${slack.url(WEBHOOK_PATH)}"${options.oncall === undefined ? '' : `, ${options.oncall}`} }`,
      typeof options.notifiers === 'function' ? options.notifiers((path) => slack.url(path)) : (options.notifiers ?? ''),
      typeof options.sections === 'function' ? options.sections(apiUrl) : (options.sections ?? ''),
      'flows:',
      flows,
    ].join('\n');
  const configWith = (flows: string, defaults = defaultsYaml): WatchConfig => {
    const result = parseConfig(configText(flows, defaults), {}, 'harness.yaml');
    if (!result.ok) throw new Error(`harness config invalid:\n${result.problems.join('\n')}`);
    return result.config;
  };
  const config = configWith(flowsYaml);

  return {
    redis,
    prefix,
    simulator,
    slack,
    config,
    configWith,
    configText,
    async startService(serviceConfig = config, extra = {}) {
      const service = createWatchService({
        config: serviceConfig,
        redis,
        prefix,
        log: pino({ level: 'silent' }),
        deliveryBackoff: () => 200,
        // The client reads the harness's clock too: Portable's Date header comes from the simulator's, and a client on
        // the real clock would see a moved clock as Portable's drifting by hours, and measure on that.
        client: { retry: { limit: 2, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 2_000 }, ...(options.now === undefined ? {} : { now: options.now }) },
        ...(options.now === undefined ? {} : { now: options.now }),
        ...extra,
      });
      services.push(service);
      await service.start();
      return service;
    },
    posts() {
      return slack.posts.map((post) => headerOf(post.body));
    },
    async close() {
      await Promise.all(services.map((service) => service.close(1_000)));
      await Promise.all([simulator.close(), slack.close()]);
      await dropPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
