import http from 'node:http';
import type net from 'node:net';
import type { AdaptiveCard } from '../../src/notifiers/teams/teams-message.ts';
import type { Responder } from './slack-receiver.ts';

/** Teams' documented limit for a message; the receiver refuses anything larger, as Teams does. */
export const TEAMS_LIMIT_BYTES = 28_000;

/** The card types Teams renders in a channel; anything else is refused here. */
const KNOWN_ELEMENTS = new Set(['TextBlock', 'FactSet', 'Container', 'ColumnSet', 'Column', 'RichTextBlock', 'TextRun', 'ActionSet']);

export interface ReceivedCard {
  path: string;
  /** The UTF-8 length of the body as it arrived. */
  bytes: number;
  card: AdaptiveCard;
}

/** A real HTTP server standing in for a Teams Workflows webhook ("Post to a channel when a webhook request is received"). */
export interface TeamsReceiver {
  /** Every card that passed the checks, in order. */
  readonly cards: ReceivedCard[];
  /** Why each refused request was refused (400 or 413), in order. */
  readonly refused: string[];
  url(path: string): string;
  /** How the next valid requests are answered; 202 Accepted, as a workflow answers, until changed. */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

export const answerAccepted: Responder = (_request, response) => {
  response.writeHead(202).end();
};

/** A Power Automate error answer: `{"error":{"code":…,"message":…}}`. */
export function answerWorkflowError(status: number, code: string, message: string, headers: Record<string, string> = {}): Responder {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error: { code, message } }));
  };
}

/**
 * What a Workflows endpoint would refuse, and why, or undefined for a request it would take: the content type, the
 * message envelope with exactly one Adaptive Card attachment, the card's type, schema and version, element and action
 * types it knows (anywhere in the card), text where text belongs, and http(s) URLs on actions.
 */
export function cardProblem(contentType: string | undefined, raw: string): string | undefined {
  if (!/^application\/json\b/i.test(contentType ?? '')) return `content-type ${contentType ?? 'missing'}`;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return 'body is not JSON';
  }
  const message = body as { type?: unknown; attachments?: unknown };
  if (message.type !== 'message') return 'type is not "message"';
  if (!Array.isArray(message.attachments) || message.attachments.length !== 1) return 'not exactly one attachment';
  const attachment = message.attachments[0] as { contentType?: unknown; content?: Record<string, unknown> };
  if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') return 'attachment is not an Adaptive Card';
  const card = attachment.content;
  if (card?.type !== 'AdaptiveCard') return 'content.type is not AdaptiveCard';
  if (typeof card.$schema !== 'string' || card.$schema === '') return '$schema missing';
  if (card.version !== '1.5') return 'version is not 1.5';
  if (!Array.isArray(card.body) || card.body.length === 0) return 'empty body';
  return elementsProblem(card.body) ?? actionsProblem(card.actions ?? []);
}

function elementsProblem(elements: unknown): string | undefined {
  if (!Array.isArray(elements)) return 'element list is not a list';
  for (const element of elements as Array<Record<string, unknown>>) {
    const type = element.type;
    if (typeof type !== 'string' || !KNOWN_ELEMENTS.has(type)) return `unknown element type ${String(type)}`;
    if ((type === 'TextBlock' || type === 'TextRun') && (typeof element.text !== 'string' || element.text === '')) return `${type} without text`;
    if (type === 'FactSet') {
      const facts = element.facts as Array<Record<string, unknown>> | undefined;
      if (!Array.isArray(facts) || facts.some((fact) => typeof fact.title !== 'string' || typeof fact.value !== 'string')) return 'bad FactSet';
    }
    const nested = element.items ?? element.columns ?? element.inlines;
    const problem = (nested === undefined ? undefined : elementsProblem(nested)) ?? (type === 'ActionSet' ? actionsProblem(element.actions) : undefined);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function actionsProblem(actions: unknown): string | undefined {
  if (!Array.isArray(actions)) return 'actions is not a list';
  for (const action of actions as Array<Record<string, unknown>>) {
    if (action.type !== 'Action.OpenUrl') return `unknown action type ${String(action.type)}`;
    if (typeof action.url !== 'string' || !/^https?:\/\//.test(action.url)) return 'action without an http(s) url';
  }
  return undefined;
}

export async function startTeamsReceiver(): Promise<TeamsReceiver> {
  const cards: ReceivedCard[] = [];
  const refused: string[] = [];
  let responder = answerAccepted;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (raw.length > TEAMS_LIMIT_BYTES) {
        refused.push(`too large: ${raw.length} bytes`);
        response.writeHead(413, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'RequestEntityTooLarge', message: 'The request is too large.' } }));
        return;
      }
      const problem = cardProblem(request.headers['content-type'], raw.toString('utf8'));
      if (problem !== undefined) {
        refused.push(problem);
        response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'InvalidRequestContent', message: problem } }));
        return;
      }
      const body = JSON.parse(raw.toString('utf8')) as { attachments: Array<{ content: AdaptiveCard }> };
      cards.push({ path: request.url ?? '', bytes: raw.length, card: body.attachments[0]!.content });
      responder(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    cards,
    refused,
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
