import type { Writable } from 'node:stream';
import { createConsoleNotifier } from './console-notifier.ts';
import { createEmailNotifier, type EmailSettings } from './email/email-notifier.ts';
import { NotifierError, type Notifier, type NotifierType } from './notifier.ts';
import { createPagerDutyNotifier } from './pagerduty/pagerduty-notifier.ts';
import { createSlackNotifier } from './slack/slack-notifier.ts';
import { createTeamsNotifier } from './teams/teams-notifier.ts';
import { createWebhookNotifier } from './webhook/webhook-notifier.ts';

/**
 * Each notifier type's own settings, as written in the config. Adding a type means adding it here, to
 * NotifierType and to notifierFactories; the compiler points at whichever is missing.
 */
interface NotifierSettingsByType {
  slack: { webhookUrl: string; mention?: string };
  email: { to: string[] };
  console: Record<never, never>;
  pagerduty: { routingKey: string; url?: string };
  teams: { webhookUrl: string };
  /** `timeout` in ms. */
  webhook: { url: string; secret?: string; headers?: Record<string, string>; timeout?: number };
}

export type NotifierConfig = { [T in NotifierType]: { type: T } & NotifierSettingsByType[T] }[NotifierType];

/** What notifiers share or need from outside, built once by the composition root. */
export interface NotifierDeps {
  /** Server and sender for every email notifier; required once any is configured. */
  email?: EmailSettings;
  /** Where console notifiers print; process.stdout when not given. */
  consoleOut?: Writable;
  fetch?: typeof fetch;
  /** The longest one send may take (defaults: Slack 10s, email 60s). */
  timeoutMs?: number;
  /** The clock, for a Retry-After given as a date. */
  now?: () => number;
}

type NotifierFactory<T extends NotifierType> = (
  name: string,
  settings: NotifierSettingsByType[T],
  deps: NotifierDeps,
) => Notifier;

export const notifierFactories: { [T in NotifierType]: NotifierFactory<T> } = {
  slack: (name, settings, deps) =>
    createSlackNotifier({ name, ...settings, fetch: deps.fetch, timeoutMs: deps.timeoutMs, now: deps.now }),
  email: (name, settings, deps) => {
    if (!deps.email) {
      throw new NotifierError(`email notifier "${name}" needs an SMTP server and a sender, and none are configured`, {
        retryable: false,
        code: 'ECONFIG',
      });
    }
    return createEmailNotifier({ name, ...settings, ...deps.email, timeoutMs: deps.timeoutMs });
  },
  console: (name, _settings, deps) => createConsoleNotifier({ name, out: deps.consoleOut ?? process.stdout }),
  pagerduty: (name, settings, deps) => createPagerDutyNotifier({ name, ...settings, ...httpDeps(deps) }),
  teams: (name, settings, deps) => createTeamsNotifier({ name, ...settings, ...httpDeps(deps) }),
  webhook: (name, { timeout, ...settings }, deps) => {
    const http = httpDeps(deps);
    return createWebhookNotifier({ name, ...settings, ...http, ...(timeout === undefined ? {} : { timeoutMs: timeout }) });
  },
};

/** What the notifiers that post over HTTP take from the shared deps. */
function httpDeps(deps: NotifierDeps): { fetch?: typeof fetch; timeoutMs?: number; now?: () => number } {
  return {
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  };
}

/**
 * Builds the notifier a config entry describes. Throws a permanent NotifierError for settings that cannot
 * work (a webhook URL that is not a URL, email without SMTP settings), so a bad config stops start-up.
 */
export function createNotifier(name: string, config: NotifierConfig, deps: NotifierDeps = {}): Notifier {
  const { type, ...settings } = config;
  return buildNotifier(type, name, settings, deps);
}

// Generic so that the factory and its settings are looked up with one type parameter.
function buildNotifier<T extends NotifierType>(
  type: T,
  name: string,
  settings: NotifierSettingsByType[T],
  deps: NotifierDeps,
): Notifier {
  return notifierFactories[type](name, settings, deps);
}

