import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { bcrypt } from 'hash-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilenceStore } from '../../src/silences/silence-store.ts';
import { eventually } from '../support/redis.ts';
import { startPageServer, type PageServer } from '../support/status-page-server.ts';
import { HARNESS_TOKEN, startHarness, WEBHOOK_PATH, type Harness } from '../support/watch-harness.ts';

/**
 * The status page as HTTP, without a browser: the headers that keep it safe, compression and revalidation, the
 * flow pages and assets, basic auth, and the write actions refused where they must be. Over a real worker watching
 * the simulator, with an alert sent, so every page has something to show (and something it could leak).
 */

const WRITE_TOKEN = 'ui-write-token-7c1e94';
const PASSWORD = 'correct horse battery staple';
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as sent (compressed when it says so). */
  raw: Buffer;
  /** The body decoded. */
  text: string;
}

/** node:http rather than fetch, which would decompress on its own and normalise paths like `/assets/../x`. */
function ask(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    // The path exactly as given, `..` included: new URL() would have resolved it away.
    const path = url.slice(target.origin.length);
    const outgoing = httpRequest({ host: target.hostname, port: target.port, path, method: options.method ?? 'GET', headers: options.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = response.headers['content-encoding'];
        const decoded = encoding === 'br' ? brotliDecompressSync(raw) : encoding === 'gzip' ? gunzipSync(raw) : raw;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, raw, text: decoded.toString('utf8') });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

let harness: Harness;
let writable: PageServer;
let readOnly: PageServer;
let guarded: PageServer;

beforeAll(async () => {
  harness = await startHarness('  - { id: 101, name: Events to Snowflake }\n  - { id: 102, name: Orders, labels: { team: growth } }');
  harness.simulator.addFlow({ id: 101, displayName: 'events' });
  harness.simulator.addFlow({ id: 102, displayName: 'orders' });
  harness.simulator.addAttempt(101, { state: 'failed', errors: ['Failed to connect to the source\n  at connect (source.js:1)'], createdAt: Date.now() - 120_000 });
  harness.simulator.addAttempt(102, { state: 'succeeded', createdAt: Date.now() - 120_000, completedAt: Date.now() - 60_000 });
  const service = await harness.startService();
  // An alert sent: the flow page lists it with where it went, the place a webhook URL could leak.
  await eventually(() => (harness.slack.posts.length >= 1 ? true : undefined), 'the failed alert');
  const hash = await bcrypt({ password: PASSWORD, salt: randomBytes(16), costFactor: 4, outputType: 'encoded' });
  [writable, readOnly, guarded] = await Promise.all([
    startPageServer(service, { prefix: harness.prefix, writeToken: WRITE_TOKEN }),
    startPageServer(service, { prefix: harness.prefix }),
    startPageServer(service, { prefix: harness.prefix, writeToken: WRITE_TOKEN, basicAuth: `admin:${hash}` }),
  ]);
});

afterAll(async () => {
  await Promise.all([writable?.close(), readOnly?.close(), guarded?.close()]);
  await harness?.close();
});

describe('the status page over HTTP', () => {
  it('sends a strict Content-Security-Policy and nosniff, compressed as asked, and a 304 for an unchanged page', async () => {
    const brotli = await ask(writable.url('/'), { headers: { 'accept-encoding': 'br' } });
    expect(brotli.status).toBe(200);
    expect(brotli.headers['content-security-policy']).toBe(CSP);
    expect(brotli.headers['x-content-type-options']).toBe('nosniff');
    expect(brotli.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.raw.length).toBeLessThan(Buffer.byteLength(brotli.text));
    expect(brotli.text).toContain('Events to Snowflake');

    const gzip = await ask(writable.url('/'), { headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.text).toContain('Events to Snowflake');
    const plain = await ask(writable.url('/'));
    expect(plain.headers['content-encoding']).toBeUndefined();

    const etag = plain.headers.etag;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await ask(writable.url('/'), { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
    expect(again.raw.length).toBe(0);
    const stale = await ask(writable.url('/'), { headers: { 'if-none-match': '"not-this-one"' } });
    expect(stale.status).toBe(200);
  });

  it('serves a flow page, a 404 page for an unknown flow, and only its own assets', async () => {
    const flow = await ask(writable.url('/flows/101'));
    expect(flow.status).toBe(200);
    expect(flow.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(flow.text).toContain('Failed to connect to the source');

    const missing = await ask(writable.url('/flows/999999'));
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.text).toMatch(/<html/i);
    expect(missing.headers['content-security-policy']).toBe(CSP);

    const uplot = await ask(writable.url('/assets/uplot.min.js'));
    expect(uplot.status).toBe(200);
    expect(uplot.headers['content-type']).toMatch(/^text\/javascript/);
    expect(uplot.text).toContain('uPlot');

    for (const path of ['/assets/../package.json', '/assets/%2e%2e/package.json', '/assets/..%2fpackage.json', '/assets/nope.js', '/assets/']) {
      const answer = await ask(writable.url(path));
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.text).not.toContain('"devDependencies"');
    }
  });

  it('asks for basic auth when set, for the page and its assets, but never for /healthz', async () => {
    const none = await ask(guarded.url('/'));
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(none.text).not.toContain('Events to Snowflake');
    expect((await ask(guarded.url('/'), { headers: { authorization: basic('admin', 'wrong password') } })).status).toBe(401);
    expect((await ask(guarded.url('/'), { headers: { authorization: basic('someone', PASSWORD) } })).status).toBe(401);
    expect((await ask(guarded.url('/flows/101'))).status).toBe(401);
    expect((await ask(guarded.url('/assets/status-page.css'))).status).toBe(401);

    const right = await ask(guarded.url('/'), { headers: { authorization: basic('admin', PASSWORD) } });
    expect(right.status).toBe(200);
    expect(right.text).toContain('Events to Snowflake');
    expect((await ask(guarded.url('/healthz'))).status).toBe(200);
  });

  it('puts no secret on any page', async () => {
    const pages = ['/', '/flows/101', '/flows/102', '/?state=failing', '/flows/999999', '/assets/status-page.js', '/assets/flow-page.js'];
    for (const server of [writable, readOnly]) {
      for (const path of pages) {
        const answer = await ask(server.url(path));
        for (const secret of [HARNESS_TOKEN, WEBHOOK_PATH, 'harness-secret', WRITE_TOKEN]) {
          expect({ path, leaks: answer.text.includes(secret) }).toEqual({ path, leaks: false });
        }
      }
    }
  });

  it('refuses writes without a token configured, from another origin, and to / itself', async () => {
    const store = createSilenceStore(harness.redis, harness.prefix);
    const form = new URLSearchParams({ flow: '101', for: '2h', reason: 'deploy', token: WRITE_TOKEN }).toString();
    const post = (server: PageServer, path: string, origin: string) =>
      ask(server.url(path), { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: form });

    const unconfigured = await post(readOnly, '/silences', new URL(readOnly.url()).origin);
    expect(unconfigured.status).toBe(403);
    expect(unconfigured.text).toContain('read-only');

    const crossOrigin = await post(writable, '/silences', 'http://evil.example');
    expect(crossOrigin.status).toBe(403);
    const crossSite = await ask(writable.url('/silences'), { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(crossSite.status).toBe(403);
    expect(await store.list(Date.now())).toEqual([]);

    const root = await ask(writable.url('/'), { method: 'POST', headers: { origin: new URL(writable.url()).origin }, body: '' });
    expect(root.status).toBe(405);
    expect(root.headers.allow).toBe('GET, HEAD');

    // The same post from the page's own origin is taken: the refusals above were the origin's and the missing token's.
    const sameOrigin = await post(writable, '/silences', new URL(writable.url()).origin);
    expect(sameOrigin.status).toBe(303);
    const [added] = await store.list(Date.now());
    expect(added?.flow).toBe(101);
    await store.remove(added?.id ?? '');
  });
});
