/**
 * The Portable simulator as a process of its own, driven over IPC by run-bench.ts, so the worker's CPU figure
 * does not include serving its requests. Failures scheduled here are stamped here, at the moment they become
 * visible to the API, which is where detection latency starts.
 */
import { createPortableSimulator, type PortableSimulator, type SimulatedState } from '../src/simulator/portable-simulator.ts';
import { playRunScripts, type PlayingScripts } from '../src/simulator/run-script.ts';
import { serveRequests } from './child-link.ts';
import { processStats } from './process-stats.ts';
import { seedScheduledFlows, type ScheduledFlowsSeed } from './scheduled-flows.ts';

export interface SimulatorStart {
  token: string;
  flowIds: number[];
  /** Every answer waits this long (a `delay` fault on all requests, the simulator's own latency knob). */
  latencyMs?: number;
  /** Flows on Portable schedules, with resources and a history of healthy runs (scheduled-flows.ts); default plain flows. */
  scheduled?: ScheduledFlowsSeed;
}

/** Finished attempts to add as they are, past times and error texts included: a flow's history before watching began. */
export interface PastAttempt {
  flowId: number;
  state: Extract<SimulatedState, 'succeeded' | 'failed' | 'ended'>;
  createdAt: number;
  completedAt: number;
  errors?: string[];
}

export interface FailureSchedule {
  items: Array<{ flowId: number; delayMs: number }>;
}

export interface AppearedFailure {
  flowId: number;
  attemptId: number;
  /** Epoch ms at which the failed attempt became visible to the API. */
  at: number;
}

export interface RequestCounts {
  total: number;
  /** [flowId, requests] for every flow asked about (run and flow endpoints). */
  perFlow: Array<[number, number]>;
}

let simulator: PortableSimulator | undefined;
let playing: PlayingScripts | undefined;
let flowIds: number[] = [];
const appeared: AppearedFailure[] = [];
const timers = new Set<NodeJS.Timeout>();

function running(): PortableSimulator {
  if (simulator === undefined) throw new Error('simulator not started');
  return simulator;
}

function failNow(flowId: number): AppearedFailure {
  const attempt = running().addAttempt(flowId, { state: 'failed', errors: [`bench failure in flow ${flowId}`] });
  return { flowId, attemptId: attempt.id, at: Date.now() };
}

async function stop(): Promise<void> {
  playing?.stop();
  playing = undefined;
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
  await simulator?.close();
  simulator = undefined;
}

serveRequests(
  {
    async start(payload: SimulatorStart) {
      simulator = createPortableSimulator({ token: payload.token, logSize: 0 });
      flowIds = payload.flowIds;
      let attempts = 0;
      if (payload.scheduled === undefined) for (const id of flowIds) simulator.addFlow({ id, displayName: `bench flow ${id}` });
      else {
        const scripts = seedScheduledFlows(simulator, flowIds, payload.scheduled);
        attempts = scripts.reduce((sum, script) => sum + script.runs.length, 0);
        if (payload.scheduled.play) playing = playRunScripts(scripts);
      }
      if ((payload.latencyMs ?? 0) > 0) simulator.injectFault({ kind: 'delay', ms: payload.latencyMs ?? 0 });
      return { url: await simulator.listen(), attempts };
    },
    addAttempts(payload: { flowIds: number[]; state: SimulatedState }) {
      for (const id of payload.flowIds) running().addAttempt(id, { state: payload.state, ...(payload.state === 'failed' ? { errors: ['bench failure'] } : {}) });
      return { at: Date.now() };
    },
    addHistory(payload: { attempts: PastAttempt[] }) {
      for (const { flowId, ...attempt } of payload.attempts) running().addAttempt(flowId, attempt);
      return { added: payload.attempts.length };
    },
    scheduleFailures(payload: FailureSchedule) {
      for (const { flowId, delayMs } of payload.items) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          appeared.push(failNow(flowId));
        }, delayMs);
        timers.add(timer);
      }
      return { scheduled: payload.items.length };
    },
    failures: () => appeared,
    counts(): RequestCounts {
      const sim = running();
      return { total: sim.requestCount(), perFlow: flowIds.map((id) => [id, sim.requestCount({ flowId: id })]) };
    },
    total: () => running().requestCount(),
    /** GET /v2/flows requests: what one discovery of the account costs. */
    listings: () => running().requestCount({ path: '/v2/flows' }),
    reset() {
      running().resetCounters();
      appeared.length = 0;
      return {};
    },
    stats: () => processStats(),
    stop: async () => {
      await stop();
      return {};
    },
  },
  stop,
);
