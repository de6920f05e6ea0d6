import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { DEFAULT_ACCOUNT } from '../accounts/flow-ref.ts';
import type { FlowConfig } from '../config/config-schema.ts';
import { parseKinds, parseMatchers } from '../silences/silence-input.ts';
import { parseFor } from '../silences/parse-until.ts';
import type { SilenceStore } from '../silences/silence-store.ts';

/**
 * The status page's two write actions: add a silence, remove one. Each needs the write token (UI_WRITE_TOKEN,
 * typed into the form) and a same-origin request: a page elsewhere cannot make a visitor's browser post here, and
 * nobody without the token can change what is alerted. The fields are read like `silence add`'s options.
 */

export type SilenceField = 'flow' | 'label' | 'name' | 'kind' | 'for' | 'reason';

export interface SilenceFormOutcome {
  /** Done: where to send the browser (303), so a reload does not post again. */
  redirect?: string;
  /** Refused: the status to answer with, what to say, and the form as it was sent (never the token). */
  status?: number;
  notice?: { kind: 'ok' | 'error'; text: string };
  form?: Partial<Record<SilenceField, string>>;
}

const MAX_BODY_BYTES = 16 * 1024;

export async function handleSilenceForm(input: {
  request: IncomingMessage;
  path: string;
  /** Digest of UI_WRITE_TOKEN; undefined when it is not set. */
  token: Buffer | undefined;
  silences: SilenceStore;
  watched: readonly FlowConfig[];
  now: number;
  log: Pick<Logger, 'warn' | 'info'>;
}): Promise<SilenceFormOutcome> {
  const { request, log } = input;
  if (!sameOrigin(request)) return refuse(403, 'Refused: changes are accepted only from this page itself (a same-origin form post).');
  if (input.token === undefined) return refuse(403, 'This page is read-only: UI_WRITE_TOKEN is not set on the worker. Use `portable-watch silence` from a shell.');
  const body = await readForm(request);
  if (body === undefined) return refuse(400, 'Refused: the form could not be read (send it from the page).');
  const form = formValues(body);
  if (!sameDigest(digest(body.get('token') ?? ''), input.token)) {
    log.warn({ path: input.path }, 'status page write refused: wrong token');
    return { ...refuse(403, 'Refused: the write token is not the one set in UI_WRITE_TOKEN.'), form };
  }
  const remove = /^\/silences\/([^/]+)\/remove$/.exec(input.path);
  if (remove?.[1] !== undefined) {
    const id = decodeURIComponent(remove[1]);
    if (!(await input.silences.remove(id))) return refuse(404, `No silence ${id}: it may have ended or been removed already.`);
    log.info({ silence: id }, 'silence removed from the status page');
    return { redirect: `/?removed=${encodeURIComponent(id)}#silences` };
  }
  const parsed = parseSilence(form, input.watched, input.now);
  if ('problem' in parsed) return { ...refuse(400, `Not added: ${parsed.problem}.`), form };
  const silence = await input.silences.add(parsed.silence, input.now);
  log.info({ silence: silence.id, endsAt: silence.endsAt }, 'silence added from the status page');
  return { redirect: `/?added=${silence.id}#silences` };
}

function refuse(status: number, text: string): SilenceFormOutcome {
  return { status, notice: { kind: 'error', text } };
}

/**
 * A browser says where a form post comes from: Sec-Fetch-Site (every current browser) or else Origin, which must
 * name this host. A request with neither is not a browser's form, and is refused rather than trusted.
 */
function sameOrigin(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return false;
  return origin === `http://${host}` || origin === `https://${host}`;
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = request.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function formValues(body: URLSearchParams): Partial<Record<SilenceField, string>> {
  const form: Partial<Record<SilenceField, string>> = {};
  for (const field of ['flow', 'label', 'name', 'kind', 'for', 'reason'] as const) {
    const value = body.get(field)?.trim();
    if (value !== undefined && value !== '') form[field] = value.slice(0, 500);
  }
  return form;
}

type NewSilence = Parameters<SilenceStore['add']>[0];

function parseSilence(form: Partial<Record<SilenceField, string>>, watched: readonly FlowConfig[], now: number): { silence: NewSilence } | { problem: string } {
  // `42`, or `prod/42` (as the flow's page address has it) for another account's flow: its id plus account=prod.
  const flowMatch = form.flow === undefined ? undefined : /^(?:([A-Za-z0-9_-]+)[/~])?(.+)$/.exec(form.flow);
  const account = flowMatch?.[1];
  const labels = [...(form.label === undefined ? [] : [form.label]), ...(account === undefined || account === DEFAULT_ACCOUNT ? [] : [`account=${account}`])];
  const matchers = parseMatchers({ flow: flowMatch?.[2], label: labels.length === 0 ? undefined : labels, name: form.name });
  if ('problem' in matchers) return { problem: asFields(matchers.problem) };
  const kinds = form.kind === undefined ? undefined : parseKinds([form.kind]);
  if (kinds !== undefined && 'problem' in kinds) return { problem: asFields(kinds.problem) };
  if (form.for === undefined) return { problem: 'say how long in "for" (e.g. 2h)' };
  const end = parseFor(form.for, now);
  if ('problem' in end) return { problem: asFields(end.problem) };
  if (form.reason === undefined) return { problem: 'give a reason: whoever finds the silence needs to know why, and whom to ask' };
  if (matchers.matchers.flow !== undefined && !watched.some((flow) => flow.id === matchers.matchers.flow)) {
    return { problem: `this worker watches no flow ${matchers.matchers.flow}` };
  }
  return { silence: { ...matchers.matchers, ...(kinds === undefined ? {} : { kinds: kinds.kinds }), startsAt: now, endsAt: end.endsAt, reason: form.reason } };
}

/** The shell's messages name options (`--flow`); the form's fields have the same names without dashes. */
function asFields(problem: string): string {
  return problem.replace(/--(\w+)/g, '"$1"');
}

/** The write token as a digest: compared in constant time, and never kept as text. */
export function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sameDigest(first: Buffer, second: Buffer): boolean {
  return first.length === second.length && timingSafeEqual(first, second);
}
