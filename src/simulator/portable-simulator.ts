/**
 * A stand-in for api.portable.io on a real socket (node:http), for tests, stories and the benchmark:
 * bearer auth, the four read endpoints in either published dialect, paging and time filters, scripted
 * faults, and request counters ("requests per check"). Everything is mutable while it serves.
 *
 * It serves one account per token (account-book.ts), each answered from its own flows. The flow methods
 * and setToken below act on the first account, the one created with the simulator; faults, counters and
 * the log cover the whole server unless narrowed with `account` (or used through an account's own view).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerRoute, jsonResponse, routeOf, type Quirks } from './answer-request.ts';
import { createAccountBook, type SimulatedAccount } from './account-book.ts';
import { createFaultPlan, type CannedResponse, type Endpoint, type Fault, type FaultScope } from './fault-plan.ts';
import type {
  AttemptInput,
  AttemptPatch,
  FlowInput,
  SimulatedAttempt,
  SimulatedFlow,
} from './flow-store.ts';
import { createRequestCounters, type LoggedRequest, type RequestFilter } from './request-counters.ts';

export type { AttemptInput, AttemptPatch, Endpoint, Fault, FaultScope, FlowInput, LoggedRequest, Quirks, RequestFilter, SimulatedAccount, SimulatedAttempt, SimulatedFlow };
export type { Dialect, SimulatedState } from './flow-store.ts';

export interface PortableSimulatorOptions {
  /** The bearer token of the first account. */
  token: string;
  /** The first account's label in requestLog(), requestCount({ account }) and fault scopes. Default 'account-1'. */
  accountLabel?: string;
  /** The simulator's clock (epoch ms): default createdAt / completedAt of attempts. Default Date.now. */
  now?: () => number;
  /** Deviations from the documented API; all off by default. */
  quirks?: Partial<Quirks>;
  /** How many recent requests requestLog() keeps. Default 1000. */
  logSize?: number;
}

export interface PortableSimulator {
  /** Starts serving; resolves to the base URL to give the client as apiUrl. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops serving, cutting open connections and pending delayed answers. */
  close(): Promise<void>;
  /** The base URL once listening. */
  readonly url: string | undefined;

  /** Adds (or redefines, keeping attempts) a flow in the first account. */
  addFlow(input: FlowInput): SimulatedFlow;
  removeFlow(flowId: number): boolean;
  getFlow(flowId: number): SimulatedFlow | undefined;
  /** Adds an attempt (default: running, created now) and returns it; throws for an unknown flow. */
  addAttempt(flowId: number, input?: AttemptInput): SimulatedAttempt;
  /** E.g. `{ state: 'failed', errors: ['boom'] }`; finishing sets completedAt to now() unless given. */
  updateAttempt(flowId: number, attemptId: number, patch: AttemptPatch): SimulatedAttempt;
  getAttempt(flowId: number, attemptId: number): SimulatedAttempt | undefined;

  /** The first account's token; '' refuses every request for it. */
  setToken(token: string): void;
  /** Another account, with flows of its own, answered to requests that carry `token`; label default `account-<n>`. */
  addAccount(token: string, label?: string): SimulatedAccount;
  /** The account whose token this is now (the first one's too); throws for an unknown token. */
  account(token: string): SimulatedAccount;
  /** Forgets an added account and its flows; false for an unknown token. The first account cannot be removed. */
  removeAccount(token: string): boolean;
  setQuirks(quirks: Partial<Quirks>): void;
  /** Every account's requests unless scoped to one (`account: label`); returns an id for removeFault. */
  injectFault(fault: Fault, scope?: FaultScope): number;
  removeFault(faultId: number): boolean;
  clearFaults(): void;

  /** Requests received (before auth or faults), optionally only those for one account, flow or URL path. */
  requestCount(filter?: RequestFilter): number;
  resetCounters(): void;
  /** The most recent requests, oldest first. */
  requestLog(): readonly LoggedRequest[];
}

export function createPortableSimulator(options: PortableSimulatorOptions): PortableSimulator {
  const now = options.now ?? Date.now;
  const faults = createFaultPlan();
  const counters = createRequestCounters(options.logSize ?? 1000);
  const accounts = createAccountBook({ now, token: options.token, label: options.accountLabel, faults, counters });
  const first = accounts.first.view;
  const quirks: Quirks = { ignoreStartTime: false, ignorePaging: false, exclusiveStartTime: false, ...options.quirks };
  const pendingDelays = new Set<NodeJS.Timeout>();
  let server: Server | undefined;
  let url: string | undefined;

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const target = new URL(request.url ?? '/', 'http://simulator.invalid');
    const route = routeOf(target.pathname);
    const flowId = route.ok ? route.flowId : undefined;
    const account = accounts.authorise(request.headers.authorization);
    const entry = counters.record(request.method ?? 'GET', `${target.pathname}${target.search}`, target.pathname, flowId, account?.label);
    const send = (canned: CannedResponse) => {
      entry.status = canned.status;
      // Portable's Date header, from the simulator's clock: a clock set apart from the worker's shows as skew.
      writeResponse(response, { ...canned, headers: { date: new Date(now()).toUTCString(), ...canned.headers } });
    };
    if (request.method !== 'GET') return send(jsonResponse(405, { message: 'Method Not Allowed' }));
    if (account === undefined) return send(jsonResponse(401, { message: 'Unauthorized' }));
    if (!route.ok) return send(route.response);
    const decision = faults.take(flowId, route.endpoint, account.label);
    // The answer is computed after any delay, so changes made meanwhile show, as they would on a slow server.
    const answer = () => send(decision.response ?? answerRoute(account.store, route.endpoint, flowId, target.searchParams, quirks, decision.omitAttemptIds));
    if (decision.delayMs <= 0) return answer();
    const timer = setTimeout(() => {
      pendingDelays.delete(timer);
      answer();
    }, decision.delayMs);
    pendingDelays.add(timer);
    response.once('close', () => {
      clearTimeout(timer);
      pendingDelays.delete(timer);
    });
  }

  return {
    async listen(port = 0, host = '127.0.0.1') {
      if (server !== undefined) throw new Error('simulator: already listening');
      const created = createServer(handle);
      server = created;
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(port, host, () => resolve());
      });
      const address = created.address() as AddressInfo;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      return url;
    },
    async close() {
      for (const timer of pendingDelays) clearTimeout(timer);
      pendingDelays.clear();
      const closing = server;
      server = undefined;
      url = undefined;
      if (closing === undefined) return;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
    get url() {
      return url;
    },
    addFlow: (input) => first.addFlow(input),
    removeFlow: (flowId) => first.removeFlow(flowId),
    getFlow: (flowId) => first.getFlow(flowId),
    addAttempt: (flowId, input) => first.addAttempt(flowId, input),
    updateAttempt: (flowId, attemptId, patch) => first.updateAttempt(flowId, attemptId, patch),
    getAttempt: (flowId, attemptId) => first.getAttempt(flowId, attemptId),
    setToken: (token) => first.setToken(token),
    addAccount: (token, label) => accounts.add(token, label).view,
    account: (token) => accounts.get(token).view,
    removeAccount: (token) => accounts.remove(token),
    setQuirks(next) {
      Object.assign(quirks, next);
    },
    injectFault: (fault, scope) => faults.inject(fault, scope),
    removeFault: (faultId) => faults.remove(faultId),
    clearFaults: () => faults.clear(),
    requestCount: (filter) => counters.count(filter),
    resetCounters: () => counters.reset(),
    requestLog: () => counters.log(),
  };
}

function writeResponse(response: ServerResponse, canned: CannedResponse): void {
  if (response.destroyed) return;
  // Encode once: bodies with U+2010 are not Latin-1, and measuring then writing a string encodes it twice.
  const body = Buffer.from(canned.body, 'utf8');
  response.sendDate = false;
  response.writeHead(canned.status, { ...canned.headers, 'content-length': body.length });
  response.end(body);
}
