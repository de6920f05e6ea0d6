import type { Writable } from 'node:stream';
import { createConsoleNotifier } from './console-notifier.ts';
import { createEmailNotifier, type EmailSettings } from './email/email-notifier.ts';
import { NotifierError, type Notifier, type NotifierType } from './notifier.ts';
import { createSlackNotifier } from './slack/slack-notifier.ts';

/**
 * Each notifier type's own settings, as written in the config. Adding a type means adding it here, to
 * NotifierType and to notifierFactories; the compiler points at whichever is missing.
 */
interface NotifierSettingsByType {
  slack: { webhookUrl: string; mention?: string };
  email: { to: string[] };
  console: Record<never, never>;
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
};

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

