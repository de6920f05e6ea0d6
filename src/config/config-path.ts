/**
 * Where in the config file a problem is, written the way an operator reads it: `flows[3].maxRuntime`.
 * Every problem line starts with one of these, so the YAML reader, the schema and the
 * cross-field checks must all spell paths the same way.
 */
export type ConfigPath = readonly (string | number)[];

/** Keys whose values are credentials; no message may quote them, whatever went wrong. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['token', 'webhookUrl', 'smtpUrl']);

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
  return typeof last === 'string' && SECRET_KEYS.has(last);
}
