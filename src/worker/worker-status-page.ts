import type { Logger } from 'pino';
import type { BasicAuth } from '../web/basic-auth.ts';
import type { WorkerHealth } from '../web/status-page-model.ts';
import { createStatusPage, type StatusPageHandler } from '../web/status-page-routes.ts';
import { createStatusPageSources } from '../web/status-page-sources.ts';
import { withDeadline } from './deadlines.ts';
import type { WatchService } from './watch-service.ts';

/** How long the header waits for Redis to answer a PING before it says Redis does not answer. */
const PING_WAIT_MS = 1_000;

/**
 * The status page of a running watch service: what `start` serves, and the demo, the tests and the benchmark with
 * it. The service is read at each request (the watchdog may replace its connection, a reload its config).
 */
export function workerStatusPage(
  service: WatchService,
  options: {
    prefix: string;
    log: Pick<Logger, 'warn' | 'info'>;
    now?: () => number;
    /** The last config reload, for the header; none when the process never reloads. */
    lastReload?: () => WorkerHealth['reload'];
    writeToken?: string | undefined;
    basicAuth?: BasicAuth | undefined;
  },
): StatusPageHandler {
  const now = options.now ?? Date.now;
  return createStatusPage({
    sources: createStatusPageSources({
      redis: () => service.redis,
      prefix: options.prefix,
      now,
      statusReport: () => service.statusReport({ allowStale: true }),
      refreshStatus: () => service.refreshStatus(),
      watched: () => service.watched(),
      config: () => service.config(),
      redisAnswers: async () => (await withDeadline(service.redis.ping(), PING_WAIT_MS)) !== undefined,
      checksHealth: () => service.health(),
      lastReload: options.lastReload ?? (() => ({ result: 'none', at: null, problems: [] })),
    }),
    writeToken: options.writeToken,
    basicAuth: options.basicAuth,
    log: options.log,
  });
}
