import type { BenchEnv } from '../bench-rig.ts';
import type { ScenarioResult } from '../bench-report.ts';

export interface Scenario {
  name: string;
  /** One line for `--help`. */
  what: string;
  run(env: BenchEnv): Promise<ScenarioResult>;
}
