import { parseConfig, type ConfigResult } from '../config/load-config.ts';
import { DEMO_FLOWS, DEMO_SETTINGS, type DemoFlow } from './demo-story.ts';

/** The console notifier's name in the demo config; its deliveries are the alerts the user sees. */
export const TERMINAL_NOTIFIER = 'terminal';
export const SLACK_NOTIFIER = 'slack';

export interface DemoConfigInput {
  apiUrl: string;
  token: string;
  /** Adds a Slack notifier posting to this webhook. */
  slackWebhookUrl?: string | undefined;
}

/**
 * The demo's config, written as an operator would write config/flows.yaml and checked by the same parser, so
 * the worker runs on a real, validated config. Secrets go in through `${VAR}` as in a real file, which also
 * keeps the webhook URL out of any message the parser prints.
 */
const DEMO_BURST = 50;

export function demoConfigText(withSlack: boolean): string {
  const notify = withSlack ? `[${TERMINAL_NOTIFIER}, ${SLACK_NOTIFIER}]` : `[${TERMINAL_NOTIFIER}]`;
  return [
    'portable:',
    '  token: ${PORTABLE_API_TOKEN}',
    '  apiUrl: ${PORTABLE_API_URL}',
    'defaults:',
    `  pollEvery: ${DEMO_SETTINGS.pollEvery}`,
    `  maxRuntime: ${DEMO_SETTINGS.maxRuntime}`,
    `  backfill: ${DEMO_SETTINGS.backfill}`,
    `  notify: ${notify}`,
    // The story's alerts come faster than the default burst (5 a minute): each is shown on its own, not as a digest.
    'notifiers:',
    `  ${TERMINAL_NOTIFIER}: { type: console, burst: ${DEMO_BURST} }`,
    ...(withSlack ? [`  ${SLACK_NOTIFIER}: { type: slack, webhookUrl: "\${SLACK_WEBHOOK_URL}", burst: ${DEMO_BURST} }`] : []),
    'flows:',
    ...Object.values(DEMO_FLOWS).map(flowLine),
    '',
  ].join('\n');
}

function flowLine(flow: DemoFlow): string {
  const settings = Object.entries(flow.settings ?? {}).map(([key, value]) => `, ${key}: ${value}`);
  return `  - { id: ${flow.id}, name: ${flow.name}${settings.join('')} }`;
}

/** The validated config; it can only be refused for what comes from outside, such as a SLACK_WEBHOOK_URL that is no URL. */
export function demoConfig(input: DemoConfigInput): ConfigResult {
  const withSlack = input.slackWebhookUrl !== undefined;
  const env = {
    PORTABLE_API_TOKEN: input.token,
    PORTABLE_API_URL: input.apiUrl,
    ...(withSlack ? { SLACK_WEBHOOK_URL: input.slackWebhookUrl } : {}),
  };
  return parseConfig(demoConfigText(withSlack), env, 'the demo config');
}
