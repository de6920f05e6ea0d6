import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startOperationsServer, type OperationsServer } from '../../src/http/http-server.ts';
import { createSilenceStore } from '../../src/silences/silence-store.ts';
import { createStatusPage } from '../../src/web/status-page-routes.ts';
import type { StatusPageSources } from '../../src/web/status-page-sources.ts';
import { connectRedis, uniquePrefix } from '../support/redis.ts';
import { healthy } from './page-fixtures.ts';

/** A page whose state cannot be read (Redis gone): a readable 503, the probes unaffected, the reason in the log. */

let server: OperationsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the status page when the state cannot be read', () => {
  it('answers 503 with a page that says so, logs why, and leaves /healthz alone', async () => {
    const redis = connectRedis();
    const logged: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    const sources: StatusPageSources = {
      now: Date.now,
      report: () => Promise.reject(new Error('Command timed out')),
      refreshReport: () => undefined,
      watched: () => [],
      config: () => {
        throw new Error('not read on this path');
      },
      health: () => Promise.resolve(healthy()),
      silences: createSilenceStore(redis, uniquePrefix('page-errors')),
      flowDetail: () => Promise.reject(new Error('not read on this path')),
    };
    try {
      const page = createStatusPage({ sources, log });
      server = await startOperationsServer(
        { readiness: () => Promise.resolve({ ready: true }), metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }), page },
        { host: '127.0.0.1', port: 0, log },
      );
      const response = await fetch(`http://127.0.0.1:${server.port}/`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      const body = await response.text();
      expect(body).toContain('Cannot read the worker&#39;s state');
      expect(body).toContain('most often because Redis did not answer in time');
      expect(logged.find((line) => line.msg === 'status page could not be served')).toMatchObject({ err: 'Command timed out', path: '/' });
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      redis.disconnect();
    }
  });
});
