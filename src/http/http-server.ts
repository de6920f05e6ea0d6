import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/**
 * The worker's HTTP endpoint: /healthz (the process runs), /readyz (it can do its job), /metrics, and the status
 * page when one is given (src/web/). Plain node:http: a handful of routes do not need a framework, and nothing
 * here may keep the process from stopping. The probes and /metrics are answered first, never behind the page's auth.
 */

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface OperationsEndpoints {
  /** Liveness; default always healthy. Unhealthy tells the orchestrator to restart the process. */
  health?(): { healthy: true } | { healthy: false; reason: string };
  readiness(): Promise<Readiness>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The status page: handles the request and says so, or leaves it (false) for a 404. */
  page?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
}

export interface OperationsServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startOperationsServer(
  endpoints: OperationsEndpoints,
  options: { host: string; port: number; log: Logger },
): Promise<OperationsServer> {
  const { log } = options;
  const server = createServer((request, response) => {
    route(endpoints, request, response).catch((error: unknown) => {
      log.error({ err: error, path: request.url }, 'operations endpoint failed');
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  // Scrapers and probes keep connections alive; they must not hold up a shutdown.
  server.keepAliveTimeout = 5_000;
  await listen(server, options.host, options.port);
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(endpoints: OperationsEndpoints, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const probe = path === '/healthz' || path === '/readyz' || path === '/metrics';
  if (!probe && endpoints.page !== undefined && (await endpoints.page(request, response))) return;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/healthz': {
      const health = endpoints.health?.() ?? { healthy: true };
      if (health.healthy) send(response, 200, 'text/plain; charset=utf-8', 'ok\n');
      else send(response, 503, 'text/plain; charset=utf-8', `not healthy: ${health.reason}\n`);
      return;
    }
    case '/readyz': {
      const readiness = await endpoints.readiness();
      if (readiness.ready) send(response, 200, 'text/plain; charset=utf-8', 'ready\n');
      else send(response, 503, 'text/plain; charset=utf-8', `not ready: ${readiness.reason}\n`);
      return;
    }
    case '/metrics': {
      const { contentType, body } = await endpoints.metrics();
      send(response, 200, contentType, body);
      return;
    }
    default:
      send(response, 404, 'text/plain; charset=utf-8', `not found: try ${endpoints.page === undefined ? '' : '/ (the status page), '}/healthz, /readyz or /metrics\n`);
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      const hint = error.code === 'EADDRINUSE' ? `${where} is already in use` : `cannot listen on ${where} (${error.code ?? error.message})`;
      reject(new Error(`${hint}: set HTTP_PORT (and HTTP_HOST) to a free address`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
