import { argon2id, bcrypt } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { createBasicAuth, parseBasicAuthSetting } from '../../src/web/basic-auth.ts';

const SALT = new Uint8Array(16).fill(3);
const header = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('UI_BASIC_AUTH', () => {
  it('accepts a bcrypt hash, as htpasswd -nbB prints it ($2y$), and only the right user and password', async () => {
    const hash = (await bcrypt({ password: 'correct horse', salt: SALT, costFactor: 4, outputType: 'encoded' })).replace(/^\$2a\$/, '$2y$');
    const auth = createBasicAuth(parseBasicAuthSetting(`admin:${hash}`));
    expect(await auth.verify(header('admin', 'correct horse'))).toBe(true);
    expect(await auth.verify(header('admin', 'wrong'))).toBe(false);
    expect(await auth.verify(header('root', 'correct horse'))).toBe(false);
    expect(await auth.verify(undefined)).toBe(false);
    expect(await auth.verify('Bearer abc')).toBe(false);
    expect(await auth.verify('Basic !!!')).toBe(false);
  });

  it('accepts an argon2id hash, and remembers a verified pair only for a while', async () => {
    const hash = await argon2id({ password: 'pässwörd:with colon', salt: SALT, parallelism: 1, iterations: 2, memorySize: 1024, hashLength: 32, outputType: 'encoded' });
    let now = 0;
    const auth = createBasicAuth(parseBasicAuthSetting(`ops:${hash}`), () => now);
    expect(await auth.verify(header('ops', 'pässwörd:with colon'))).toBe(true);
    expect(await auth.verify(header('ops', 'pässwörd'))).toBe(false);
    now += 10 * 60_000;
    expect(await auth.verify(header('ops', 'pässwörd:with colon'))).toBe(true);
  });

  it('refuses a setting that is not USER:HASH with how to make one, without quoting it', () => {
    expect(() => parseBasicAuthSetting('admin')).toThrow(/USER:HASH.*htpasswd -nbB/);
    expect(() => parseBasicAuthSetting('admin:plain-password-here')).toThrow(/not a bcrypt .* or argon2/);
    try {
      parseBasicAuthSetting('admin:plain-password-here');
    } catch (error) {
      expect(String(error)).not.toContain('plain-password-here');
    }
  });
});
