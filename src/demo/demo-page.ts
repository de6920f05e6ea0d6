import type { Logger } from 'pino';
import { startOperationsServer } from '../http/http-server.ts';
import { pageUrl } from '../worker/main.ts';
import type { WatchService } from '../worker/watch-service.ts';
import { workerStatusPage } from '../worker/worker-status-page.ts';

/** Where the demo serves its status page when HTTP_PORT does not say: a worker's own port, if free. */
const DEMO_PORT = 8080;

/**
 * The demo's status page: the worker's real page over the demo's worker, on HTTP_PORT (default 8080, or any free
 * port when that one is taken, so a worker already running there does not stop the demo). Read-only.
 */
export async function startDemoPage(input: {
  service: WatchService;
  prefix: string;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
}): Promise<{ url: string; close(): Promise<void> }> {
  const { service, log } = input;
  const page = workerStatusPage(service, { prefix: input.prefix, log });
  const endpoints = { health: () => service.health(), readiness: () => Promise.resolve({ ready: true as const }), metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }), page };
  const host = input.env.HTTP_HOST || '127.0.0.1';
  const wanted = Number(input.env.HTTP_PORT || DEMO_PORT);
  const server = await startOperationsServer(endpoints, { host, port: wanted, log }).catch(() => startOperationsServer(endpoints, { host, port: 0, log }));
  return { url: pageUrl(host, server.port), close: () => server.close() };
}
