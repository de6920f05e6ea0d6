/**
 * 9. What detection beyond failures (issue 11) costs: checks per second with every rule against the same flows with
 * `detect: [failed]` (compare-rules.ts), the Redis memory of a flow whose history is full
 * (measure-history-memory.ts), and one refresh of 10,000 flows' schedules (measure-schedule-refresh.ts).
 */
import type { Figure } from '../bench-report.ts';
import { round } from '../redis-probe.ts';
import { compareRules, type RulesComparison } from './compare-rules.ts';
import { measureHistoryMemory } from './measure-history-memory.ts';
import { measureScheduleRefresh } from './measure-schedule-refresh.ts';
import { EVERY_MS } from './measure-throughput.ts';
import type { Scenario } from './scenario.ts';

/** Runs of history each flow has in Portable: more than the 30 a history keeps, so every flow's history is full. */
const SEEDED_RUNS = 35;

const SCENARIO = '9 detection cost';

function rulesFigures(comparison: RulesComparison): Figure[] {
  const seconds = (rules: 'every' | 'failed') => round(comparison.turns.filter((turn) => turn.rules === rules).reduce((sum, turn) => sum + turn.seconds, 0));
  const turns = comparison.turns.length / 2;
  const load = comparison.saturated
    ? `saturated (≥ ${Math.min(...comparison.turns.map((turn) => turn.backlogMin))} checks waiting)`
    : 'NOT saturated (backlog reached 0): demand-capped';
  const row = (rules: 'every' | 'failed', name: string): Figure => ({
    scenario: SCENARIO,
    name,
    value: comparison.checksPerSecond[rules],
    unit: 'checks/s',
    note: `${comparison.flows} flows @${EVERY_MS / 1000}s, ${turns} turns, ${seconds(rules)} s in all; worker CPU ${comparison.cpuMsPerCheck[rules]} ms/check; state ${comparison.stateBytes[rules].mean} B per flow`,
  });
  return [
    row('every', 'checks/s, every rule, maxRuntime auto'),
    row('failed', 'checks/s, same flows, detect: [failed]'),
    {
      scenario: SCENARIO,
      name: 'every rule as a share of detect: [failed]',
      value: comparison.share,
      unit: '%',
      target: { op: '>=', value: 90 },
      note: `the two workers took turns on one simulator; pairs ${Math.min(...comparison.pairShares)}–${Math.max(...comparison.pairShares)} %; ${load}; ${comparison.alerts} alerts`,
    },
  ];
}

export const detectionCost: Scenario = {
  name: 'detection-cost',
  what: 'checks/s with every rule against detect: [failed], Redis per flow with a full history, refreshing 10,000 schedules',
  async run(env) {
    const comparison = await compareRules(env, SEEDED_RUNS);
    const memory = await measureHistoryMemory(env, SEEDED_RUNS);
    const refresh = await measureScheduleRefresh(env);
    return {
      figures: [...rulesFigures(comparison), ...memory.figures, ...refresh.figures],
      details: { throughput: comparison, memory: memory.details, scheduleRefresh: refresh.details },
    };
  },
};
