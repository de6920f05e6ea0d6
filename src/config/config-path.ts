/**
 * Where in the config file a problem is, written the way an operator reads it: `flows[3].maxRuntime`.
 * Every problem line starts with one of these, so the YAML reader, the schema and the
 * cross-field checks must all spell paths the same way.
 */
export type ConfigPath = readonly (string | number)[];

/** Keys whose values are credentials; no message may quote them, whatever went wrong. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['token', 'webhookUrl', 'smtpUrl', 'routingKey', 'secret']);
/** Keys secret only in a notifier: a webhook's `url` carries its token; every header value may be a credential. */
const NOTIFIER_SECRET_KEYS: ReadonlySet<string> = new Set(['url', 'headers']);

const PLAIN_KEY = /^[A-Za-z_][\w-]*$/;

export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text === '' ? '(top level)' : text;
}

export function isSecretPath(path: ConfigPath): boolean {
  const last = path.at(-1);
  if (typeof last === 'string' && SECRET_KEYS.has(last)) return true;
  // notifiers.<name>.url, notifiers.<name>.headers.<header>
  const key = path[2];
  return path[0] === 'notifiers' && typeof key === 'string' && NOTIFIER_SECRET_KEYS.has(key);
}
