import { pino } from 'pino';
import { startOperationsServer, type OperationsServer } from '../../src/http/http-server.ts';
import type { WorkerHealth } from '../../src/web/status-page-model.ts';
import { createBasicAuth, parseBasicAuthSetting } from '../../src/web/basic-auth.ts';
import type { WatchService } from '../../src/worker/watch-service.ts';
import { workerStatusPage } from '../../src/worker/worker-status-page.ts';

/**
 * The worker's HTTP endpoint with its status page, in process, over a watch service a test started (usually from
 * the watch harness): what `portable-watch start` serves, wired the way src/worker/main.ts wires it.
 */
export interface PageServer {
  url(path?: string): string;
  server: OperationsServer;
  /** What the header says of the last config reload. */
  setReload(reload: WorkerHealth['reload']): void;
  close(): Promise<void>;
}

export async function startPageServer(
  service: WatchService,
  options: { prefix: string; writeToken?: string; basicAuth?: string; now?: () => number },
): Promise<PageServer> {
  let reload: WorkerHealth['reload'] = { result: 'none', at: null, problems: [] };
  const log = pino({ level: 'silent' });
  const page = workerStatusPage(service, {
    prefix: options.prefix,
    log,
    ...(options.now === undefined ? {} : { now: options.now }),
    lastReload: () => reload,
    writeToken: options.writeToken,
    basicAuth: options.basicAuth === undefined ? undefined : createBasicAuth(parseBasicAuthSetting(options.basicAuth)),
  });
  const server = await startOperationsServer(
    { health: () => service.health(), readiness: () => Promise.resolve({ ready: true }), metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }), page },
    { host: '127.0.0.1', port: 0, log },
  );
  return {
    url: (path = '/') => `http://127.0.0.1:${server.port}${path}`,
    server,
    setReload(next) {
      reload = next;
    },
    close: () => server.close(),
  };
}
