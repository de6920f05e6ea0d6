/** The config a bench worker runs on: the simulator as Portable, the bench receiver as Slack, N flows. */

export const BENCH_TOKEN = 'pw-bench-token-7c41e9';

export interface BenchConfigInput {
  apiUrl: string;
  flowIds: readonly number[];
  /** A duration as in the config file, e.g. `1s`, `5m`. */
  pollEvery: string;
  /** When given, every flow notifies a Slack notifier posting here. */
  webhookUrl?: string;
  /** Name flows `bench-<id>` in the config, so alerts name them without asking Portable. */
  named?: boolean;
  /** A duration or `auto`; default 2h. */
  maxRuntime?: string;
  /** The rules (`detect:` under defaults); default the built-in default, every rule. */
  detect?: readonly string[];
  /**
   * The Slack notifier's storm control. Default: a burst no bench reaches, so scenarios that time each alert see
   * every one on its own; the storm scenario sets the product's defaults.
   */
  burst?: number;
  groupInterval?: string;
}

/** More alerts than any bench raises within a minute. */
const UNREACHED_BURST = 10_000;

/** Every flow of the account found by `discover:` instead of listed: the config of the discovery bench. */
export function discoveryConfigYaml(apiUrl: string): string {
  return [
    'portable:',
    `  token: ${BENCH_TOKEN}`,
    `  apiUrl: ${apiUrl}`,
    'defaults:',
    '  pollEvery: 10m',
    '  backfill: 1h',
    '  notify: [quiet]',
    'notifiers:\n  quiet: { type: console }',
    'discover:',
    '  - { include: "*" }',
    'discoverEvery: 10m',
    '',
  ].join('\n');
}

export function benchConfigYaml(input: BenchConfigInput): string {
  // Every flow must reach a notifier; without a receiver, the console (the worker's log) is one nobody reads.
  const notify = input.webhookUrl === undefined ? '[quiet]' : '[oncall]';
  const flows = input.flowIds.map((id) => (input.named === true ? `  - { id: ${id}, name: bench-${id} }` : `  - id: ${id}`));
  return [
    'portable:',
    `  token: ${BENCH_TOKEN}`,
    `  apiUrl: ${input.apiUrl}`,
    'defaults:',
    `  pollEvery: ${input.pollEvery}`,
    `  maxRuntime: ${input.maxRuntime ?? '2h'}`,
    ...(input.detect === undefined ? [] : [`  detect: [${input.detect.join(', ')}]`]),
    '  backfill: 1h',
    `  notify: ${notify}`,
    input.webhookUrl === undefined
      ? 'notifiers:\n  quiet: { type: console }'
      : `notifiers:\n  oncall: { type: slack, webhookUrl: "${input.webhookUrl}", burst: ${input.burst ?? UNREACHED_BURST}, groupInterval: ${input.groupInterval ?? '1m'} }`,
    'flows:',
    ...flows,
    '',
  ].join('\n');
}

/** A flow of the status page bench: named and labelled, as an installation's flows are. */
export interface LabelledFlow {
  id: number;
  name: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * The status page bench's installation: checked once a day, so no scheduled check lands in the measurement (each
 * flow's first check runs at once when the worker starts), and a day of backfill, so that first check reads the
 * flow's whole seeded history into its strip.
 */
export function statusPageConfigYaml(apiUrl: string, flows: readonly LabelledFlow[]): string {
  const labels = (flow: LabelledFlow) => Object.entries(flow.labels).map(([key, value]) => `${key}: ${value}`).join(', ');
  return [
    'portable:',
    `  token: ${BENCH_TOKEN}`,
    `  apiUrl: ${apiUrl}`,
    'defaults:',
    '  pollEvery: 1d',
    '  backfill: 1d',
    '  notify: [quiet]',
    'notifiers:\n  quiet: { type: console }',
    'flows:',
    ...flows.map((flow) => `  - { id: ${flow.id}, name: ${flow.name}, labels: { ${labels(flow)} } }`),
    '',
  ].join('\n');
}

/** Flow ids of a bench: six digits, like Portable's. */
export function benchFlowIds(count: number, first = 100_001): number[] {
  return Array.from({ length: count }, (_, index) => first + index);
}
