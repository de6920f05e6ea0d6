import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import type { WatchConfig } from '../../src/config/config-schema.ts';
import { accountNotifiersOf } from '../../src/worker/service-config.ts';

/**
 * Who hears about account-wide problems (a rejected token, a listing that keeps failing): every notifier some flow's
 * alerts reach. With discovery the flows are not in the file: the rules stand for them, or such an alert reaches nobody.
 */

function config(...sections: string[]): WatchConfig {
  const result = parseConfig(['portable: { token: t }', 'notifiers: { oncall: { type: console }, team: { type: console }, pager: { type: console } }', ...sections].join('\n'), {}, 'flows.yaml');
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

describe('accountNotifiersOf', () => {
  it.each([
    ['listed flows and their routes', ['flows: [{ id: 1, notify: [oncall] }]', 'routes: [{ kinds: [failed], notify: [pager] }]'], ['oncall', 'pager']],
    ['a discovery-only config: the rules\' notifiers', ['discover: [{ include: "Shop*", notify: [team] }, { include: "*", notify: [oncall] }]'], ['team', 'oncall']],
    ['both', ['discover: [{ include: "*", notify: [team] }]', 'flows: [{ id: 1, notify: [oncall] }]'], ['oncall', 'team']],
  ])('%s', (_name, sections, expected) => {
    expect(accountNotifiersOf(config(...sections)).sort()).toEqual([...expected].sort());
  });
});
