import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback standing in for what sits between a worker and its Redis in production: a managed
 * Redis's endpoint whose backend changes at a failover, or a network that stops carrying packets without closing
 * anything.
 */
export interface TcpProxy {
  readonly port: number;
  /**
   * New connections go to `port`. The ones open now are cut, as they are when the old primary dies, or with
   * `keepOpen` stay with the old backend, as they do when it lives on, demoted to a replica.
   */
  switchTo(port: number, options?: { keepOpen?: boolean }): void;
  /**
   * Connections open now stop carrying bytes either way, and stay open: a socket gone quiet, which no error
   * ever ends. With `newOnes: true` new connections are accepted and go quiet too.
   */
  freeze(options?: { newOnes?: boolean }): void;
  /** New connections are forwarded again (frozen ones stay frozen). */
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let freezeNew = false;
  const pairs = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();

  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    const pair = { client, upstream, frozen: freezeNew };
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (!pair.frozen) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    switchTo(next, options = {}) {
      target = next;
      if (options.keepOpen === true) return;
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
    },
    freeze(options = {}) {
      for (const pair of pairs) pair.frozen = true;
      freezeNew = options.newOnes === true;
    },
    thaw() {
      freezeNew = false;
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
