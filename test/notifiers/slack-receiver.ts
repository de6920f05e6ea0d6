import http from 'node:http';
import net from 'node:net';

export interface ReceivedPost {
  path: string;
  contentType: string | undefined;
  body: unknown;
}

export type Responder = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** A real HTTP server standing in for Slack's incoming webhook endpoint. */
export interface SlackReceiver {
  readonly posts: ReceivedPost[];
  /** The webhook URL for `path` on this server. */
  url(path: string): string;
  /** How the next requests are answered; Slack's 200 "ok" until changed. */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

/** The header text of a posted Block Kit message ('' when it has none): what a person sees first. */
export function headerOf(body: unknown): string {
  const blocks = (body as { blocks?: Array<{ type: string; text?: { text: string } }> }).blocks ?? [];
  return blocks.find((block) => block.type === 'header')?.text?.text ?? '';
}

export const answerOk: Responder = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

export function answer(status: number, body: string, headers: Record<string, string> = {}): Responder {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
  };
}

/** Never answers; the connection stays open until the client gives up or the server closes. */
export const neverAnswer: Responder = () => undefined;

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const posts: ReceivedPost[] = [];
  let responder = answerOk;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      posts.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      });
      responder(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    posts,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    respondWith: (next) => {
      responder = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A port nothing listens on: bound once by us, then released. */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
