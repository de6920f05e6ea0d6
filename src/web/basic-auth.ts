import { createHash, timingSafeEqual } from 'node:crypto';
import { argon2Verify, bcryptVerify } from 'hash-wasm';

/**
 * `UI_BASIC_AUTH=user:hash`: HTTP basic auth for the whole status page, the password kept only as a bcrypt
 * (`htpasswd -nbB user password` prints exactly this form) or argon2 (`$argon2id$…`) hash. Verifying such a hash is
 * made to be slow (tens to hundreds of milliseconds); a page refreshing every few seconds would pay it at each
 * request, so a verified pair is remembered — as a SHA-256 digest, never as text — for a few minutes.
 */

export interface BasicAuth {
  /** Whether the request's Authorization header carries the configured user and password. */
  verify(authorization: string | undefined): Promise<boolean>;
}

const REMEMBER_MS = 5 * 60_000;
const REMEMBERED_MAX = 100;

export function parseBasicAuthSetting(text: string): { user: string; hash: string } {
  const at = text.indexOf(':');
  const user = at < 0 ? '' : text.slice(0, at);
  const hash = at < 0 ? '' : text.slice(at + 1).trim();
  if (user === '' || hash === '') throw new Error('UI_BASIC_AUTH must be USER:HASH, e.g. the line `htpasswd -nbB admin PASSWORD` prints');
  if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash) && !/^\$argon2(id|i|d)\$/.test(hash)) {
    throw new Error(
      'UI_BASIC_AUTH: the part after the user is not a bcrypt ($2a$/$2b$/$2y$) or argon2 ($argon2id$…) hash; ' +
        'make one with `htpasswd -nbB USER PASSWORD` (and write each $ as $$ in a docker-compose file)',
    );
  }
  return { user, hash };
}

export function createBasicAuth(setting: { user: string; hash: string }, now: () => number = Date.now): BasicAuth {
  const remembered = new Map<string, number>();
  const expectedUser = digest(setting.user);
  const check = setting.hash.startsWith('$argon2')
    ? (password: string) => argon2Verify({ password, hash: setting.hash })
    : (password: string) => bcryptVerify({ password, hash: setting.hash });
  return {
    async verify(authorization) {
      const credentials = decode(authorization);
      if (credentials === undefined) return false;
      // Compared as digests of equal length, so the time taken says nothing about how much of the name matched.
      if (!timingSafeEqual(digest(credentials.user), expectedUser)) return false;
      const key = digest(`${credentials.user}:${credentials.password}`).toString('hex');
      const until = remembered.get(key);
      if (until !== undefined && until > now()) return true;
      if (!(await check(credentials.password).catch(() => false))) return false;
      if (remembered.size >= REMEMBERED_MAX) remembered.clear();
      remembered.set(key, now() + REMEMBER_MS);
      return true;
    },
  };
}

function decode(authorization: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (match?.[1] === undefined) return undefined;
  const text = Buffer.from(match[1], 'base64').toString('utf8');
  const at = text.indexOf(':');
  return at < 0 ? undefined : { user: text.slice(0, at), password: text.slice(at + 1) };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
