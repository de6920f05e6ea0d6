import http from 'node:http';
import type net from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Responder } from './slack-receiver.ts';
import { webhookSchemaErrors } from './webhook-schema.ts';

/** One request as it arrived, whatever the receiver answered. */
export interface ReceivedWebhook {
  path: string;
  headers: http.IncomingHttpHeaders;
  webhookId: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  /** The exact bytes of the body, as the signature covers them. */
  rawBody: string;
  body: unknown;
  /** How the body breaks schemas/webhook-v1.json; empty when valid. */
  schemaErrors: string[];
  /** What the receiver answered; 0 while it has not. */
  status: number;
}

/**
 * A real HTTP server doing what the README tells a receiver to do: verify each request with the standardwebhooks
 * package and the receiver's secret (401 when it does not verify), then read the JSON body. It also checks every body
 * against the published schema and answers 422 when it breaks it, so a body the schema refuses fails the send.
 */
export interface WebhookReceiver {
  readonly received: ReceivedWebhook[];
  url(path: string): string;
  /** How verified, valid requests are answered from now on; 204 until changed. */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  /** The secret requests must be signed with. Without it, signatures are not checked (an unsigned notifier). */
  secret?: string;
}

export const answerNoContent: Responder = (_request, response) => {
  response.writeHead(204).end();
};

export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let responder = answerNoContent;
  const verifier = options.secret === undefined ? undefined : new Webhook(options.secret);

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const body = parseJson(rawBody);
      const refusal = body === undefined ? 'not JSON' : check(request, rawBody, verifier);
      const schemaErrors = body === undefined ? ['not JSON'] : webhookSchemaErrors(body);
      const entry: ReceivedWebhook = {
        path: request.url ?? '',
        headers: request.headers,
        webhookId: header(request, 'webhook-id'),
        timestamp: header(request, 'webhook-timestamp'),
        signature: header(request, 'webhook-signature'),
        rawBody,
        body,
        schemaErrors,
        status: 0,
      };
      received.push(entry);
      if (refusal !== undefined) {
        response.writeHead(refusal === 'signature' ? 401 : 400, { 'content-type': 'text/plain' }).end(`refused: ${refusal}`);
      } else if (schemaErrors.length > 0) {
        response.writeHead(422, { 'content-type': 'text/plain' }).end(schemaErrors.join('\n'));
      } else {
        responder(request, response);
      }
      // Every responder here answers at once or never (0).
      entry.status = response.headersSent ? response.statusCode : 0;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    received,
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

/** Why the request is refused before its body is read, or undefined when it is a proper Standard Webhooks request. */
function check(request: http.IncomingMessage, rawBody: string, verifier: Webhook | undefined): string | undefined {
  if (request.method !== 'POST') return 'not a POST';
  if (request.headers['content-type'] !== 'application/json') return 'not application/json';
  if (!/^msg_[A-Za-z0-9_-]+$/.test(header(request, 'webhook-id') ?? '')) return 'no webhook-id';
  if (!/^\d+$/.test(header(request, 'webhook-timestamp') ?? '')) return 'no webhook-timestamp';
  if (verifier === undefined) return undefined;
  try {
    // What the README shows a receiver doing: the raw body and the request's headers, as they came.
    verifier.verify(rawBody, request.headers as Record<string, string>);
    return undefined;
  } catch {
    return 'signature';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
