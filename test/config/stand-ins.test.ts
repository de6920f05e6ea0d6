import { describe, expect, it } from 'vitest';
import type { ConfigPath } from '../../src/config/config-path.ts';
import { formatPath } from '../../src/config/config-path.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import type { YamlReading } from '../../src/config/read-yaml.ts';
import { fitStandIns } from '../../src/config/stand-ins.ts';

/**
 * `fitStandIns` on its own, with a made-up `issuesOf`: which stand-ins it tries and in what order, which issues
 * count against a stand-in, and that a path the data no longer holds is skipped rather than crashing.
 */

const STAND_INS = ['https://unset.invalid/{id}', 'smtp://unset.invalid', 'unset@unset.invalid', '1m', 'true', 'UTC', '0%', 'failed', 'whsec_dW5zZXQgc3RhbmQtaW4gc2VjcmV0'];

interface Issue {
  path: readonly PropertyKey[];
}

function readingOf(value: unknown, standInPaths: ConfigPath[]): YamlReading {
  const standIns = new Map(standInPaths.map((path, index) => [formatPath(path), { path, line: index + 1, problems: [`${formatPath(path)} unset`] }]));
  return { value, problems: [], lines: new Map(), templates: new Map(), unresolved: new Set(), standIns };
}

/** Refuses the value at `path` until `accepts` says yes, recording every value it was shown there. */
function refuseUntil(path: ConfigPath, accepts: (value: unknown) => boolean, issuePath: readonly PropertyKey[] = path) {
  const seen: unknown[] = [];
  const issuesOf = (data: unknown): Issue[] => {
    let value = data;
    for (const segment of path) value = (value as Record<string | number, unknown>)[segment];
    seen.push(value);
    return accepts(value) ? [] : [{ path: issuePath }];
  };
  return { seen, issuesOf };
}

describe('fitStandIns', () => {
  it('tries the stand-ins in order and no other value, then reports the unset variable', () => {
    const reading = readingOf({ a: '${A}' }, [['a']]);
    // Accepts only the empty text, which is not a stand-in: nothing fits.
    const { seen, issuesOf } = refuseUntil(['a'], (value) => value === '');
    fitStandIns(reading, issuesOf);
    // The last look is the round that finds only exhausted values refused.
    expect(seen).toEqual(['${A}', ...STAND_INS, STAND_INS.at(-1)]);
    expect(reading.value).toEqual({ a: STAND_INS.at(-1) });
    expect(reading.unresolved).toEqual(new Set(['a']));
    expect(reading.problems).toEqual([{ line: 1, text: 'a: a unset' }]);
  });

  it('stops at the first stand-in that fits', () => {
    const reading = readingOf({ a: '${A}' }, [['a']]);
    const { seen, issuesOf } = refuseUntil(['a'], (value) => value === '1m');
    fitStandIns(reading, issuesOf);
    expect(seen).toEqual(['${A}', ...STAND_INS.slice(0, 4)]);
    expect(reading.value).toEqual({ a: '1m' });
    expect(reading.unresolved.size).toBe(0);
    expect(reading.problems).toEqual([]);
  });

  it('counts an issue below the stand-in, after a dot, against it', () => {
    const reading = readingOf({ a: '${A}' }, [['a']]);
    const { issuesOf } = refuseUntil(['a'], (value) => value !== '${A}', ['a', 'inner']);
    fitStandIns(reading, issuesOf);
    expect(reading.value).toEqual({ a: STAND_INS[0] });
  });

  it('counts an issue below the stand-in, after a bracket, against it', () => {
    const reading = readingOf({ a: '${A}' }, [['a']]);
    const { issuesOf } = refuseUntil(['a'], (value) => value !== '${A}', ['a', 0]);
    fitStandIns(reading, issuesOf);
    expect(reading.value).toEqual({ a: STAND_INS[0] });
  });

  it('does not count an issue on a longer key that merely starts with the same letters', () => {
    const reading = readingOf({ a: '${A}', ab: 1 }, [['a']]);
    const { seen, issuesOf } = refuseUntil(['a'], () => false, ['ab']);
    fitStandIns(reading, issuesOf);
    expect(seen).toEqual(['${A}']);
    expect(reading.value).toEqual({ a: '${A}', ab: 1 });
  });

  it('ignores symbol segments in an issue path', () => {
    const reading = readingOf({ a: '${A}' }, [['a']]);
    const { issuesOf } = refuseUntil(['a'], (value) => value !== '${A}', [Symbol('meta'), 'a']);
    fitStandIns(reading, issuesOf);
    expect(reading.value).toEqual({ a: STAND_INS[0] });
  });

  describe('a stand-in whose path the data no longer holds is skipped', () => {
    // Always refused, so every stand-in is tried on it; only the path matters here.
    const alwaysRefused = (path: ConfigPath) => () => [{ path }];

    it('when an ancestor on the way is text', () => {
      const path = ['a', 'b', 'c', 'd'];
      const reading = readingOf({ a: 'text' }, [path]);
      expect(() => fitStandIns(reading, alwaysRefused(path))).not.toThrow();
      expect(reading.value).toEqual({ a: 'text' });
      expect(reading.unresolved).toEqual(new Set(['a.b.c.d']));
    });

    it('when an ancestor on the way is null', () => {
      const path = ['a', 'b', 'c'];
      const reading = readingOf({ a: null }, [path]);
      expect(() => fitStandIns(reading, alwaysRefused(path))).not.toThrow();
      expect(reading.value).toEqual({ a: null });
      expect(reading.unresolved).toEqual(new Set(['a.b.c']));
    });

    it('when the parent itself is text', () => {
      const path = ['a', 'b'];
      const reading = readingOf({ a: 'text' }, [path]);
      expect(() => fitStandIns(reading, alwaysRefused(path))).not.toThrow();
      expect(reading.value).toEqual({ a: 'text' });
    });

    it('when the parent itself is null', () => {
      const path = ['a', 'b'];
      const reading = readingOf({ a: null }, [path]);
      expect(() => fitStandIns(reading, alwaysRefused(path))).not.toThrow();
      expect(reading.value).toEqual({ a: null });
    });
  });
});

describe('stand-ins in a file with a duplicate key', () => {
  // The first `email:` gets a stand-in of text; the second's `smtpUrl` then has text as its parent.
  const FILE = `portable:
  token: t
  flowUrl: https://x.example/{id}
email: \${MAIL}
email:
  smtpUrl: \${SMTP_URL}
  from: a@b.example
flows:
  - { id: 1 }
`;

  it('reports the problems instead of crashing', () => {
    expect(parseConfig(FILE, {}, 'flows.yaml', { unsetVariables: 'stand-in' })).toEqual({
      ok: false,
      problems: [
        'email: environment variable MAIL is not set (export it, or write ${MAIL:-fallback})',
        'email: duplicate key (also on line 4; keep one)',
        'flows[0]: its alerts would reach nobody; add notify: [...] here or under defaults (none are defined yet: add one under notifiers:)',
      ],
    });
  });
});
