import { expect } from 'vitest';
import type { WorkerHealth } from '../../src/web/status-page-model.ts';

/** What the status page tests share: a fixed now, units, hostile strings, and a healthy worker. */
export const NOW = Date.UTC(2026, 2, 1, 12, 0);
export const M = 60_000;
export const H = 60 * M;
export const SCRIPT = '<script>alert(1)</script>';
export const ATTRIBUTE = '"><img src=x onerror=alert(1)>';

export function healthy(overrides: Partial<WorkerHealth> = {}): WorkerHealth {
  return {
    redis: { answering: true },
    checks: { healthy: true },
    schedules: { present: 3, expected: 3 },
    notifiers: [],
    reload: { result: 'none', at: null, problems: [] },
    ...overrides,
  };
}

/** Every attribute name of every tag; each `<` that opens a tag must parse, so escaped text can never hide one. */
export function attributeNames(page: string): Set<string> {
  const opened = page.match(/<[a-z]/gi)?.length ?? 0;
  // Values are quoted, but for the strip marks' class, a constant our code writes unquoted (`class=o-f`).
  const tags = [...page.matchAll(/<[a-z][a-z0-9]*((?:\s+[a-z-]+(?:=(?:"[^"]*"|[a-z0-9-]+))?)*)\s*>/gi)];
  expect(tags).toHaveLength(opened);
  return new Set(tags.flatMap(([, inside]) => [...(inside ?? '').matchAll(/\s+([a-z-]+)(?:=(?:"[^"]*"|[a-z0-9-]+))?/gi)].map((match) => match[1] ?? '')));
}
