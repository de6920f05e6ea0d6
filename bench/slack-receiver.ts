/**
 * A real HTTP server standing in for Slack's incoming webhook: answers 200 "ok" and notes when each post
 * arrived and which flow it was about, which is where detection latency ends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedAlert {
  /** Epoch ms at which the whole body had arrived. */
  at: number;
  /** The flow named in the message (`bench-<id>`), if any. */
  flowId: number | undefined;
  /** The alert's headline, e.g. "Failed: bench-100001". */
  header: string;
}

export interface BenchSlackReceiver {
  readonly posts: ReceivedAlert[];
  /** Every accepted body, as sent (digests are read from these). */
  readonly bodies: string[];
  /** Posts refused with 429 because they came faster than the rate limit. */
  readonly refused: number;
  readonly webhookUrl: string;
  close(): Promise<void>;
}

/**
 * Slack takes about one message per second per webhook, with short bursts: a token bucket of `burst` tokens refilled
 * at `perSecond`. A post finding it empty is answered 429 with Retry-After, as Slack does.
 */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export async function startSlackReceiver(options: { rateLimit?: RateLimit } = {}): Promise<BenchSlackReceiver> {
  const posts: ReceivedAlert[] = [];
  const bodies: string[] = [];
  let refused = 0;
  const limit = options.rateLimit;
  let tokens = limit?.burst ?? 0;
  let filledAt = Date.now();
  const takeToken = (at: number) => {
    if (limit === undefined) return true;
    tokens = Math.min(limit.burst, tokens + ((at - filledAt) / 1000) * limit.perSecond);
    filledAt = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = Date.now();
      if (!takeToken(at)) {
        refused += 1;
        response.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1' }).end('rate_limited');
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      bodies.push(text);
      const flow = /bench-(\d+)/.exec(text);
      const header = /"type":"header","text":\{"type":"plain_text","text":"([^"]*)"/.exec(text);
      posts.push({ at, flowId: flow?.[1] === undefined ? undefined : Number(flow[1]), header: header?.[1] ?? '' });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    posts,
    bodies,
    get refused() {
      return refused;
    },
    webhookUrl: `http://127.0.0.1:${port}/services/TBENCH/BBENCH/bench-webhook`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Posts about each flow, in arrival order. */
export function alertsPerFlow(posts: readonly ReceivedAlert[]): Map<number, ReceivedAlert[]> {
  const byFlow = new Map<number, ReceivedAlert[]>();
  for (const post of posts) {
    if (post.flowId === undefined) continue;
    byFlow.set(post.flowId, [...(byFlow.get(post.flowId) ?? []), post]);
  }
  return byFlow;
}
