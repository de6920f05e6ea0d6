import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { flowKey, flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import type { BasicAuth } from './basic-auth.ts';
import { buildFlowPage } from './flow-page-model.ts';
import { renderErrorPage } from './render-layout.ts';
import { renderFlowPage } from './render-flow-page.ts';
import { renderStatusPage } from './render-status-page.ts';
import { htmlBody, send, textBody } from './send-response.ts';
import { digest, handleSilenceForm, type SilenceFormOutcome } from './silence-form.ts';
import { readAsset } from './static-assets.ts';
import { buildStatusPage, parseFilters } from './status-page-model.ts';
import type { StatusPageSources } from './status-page-sources.ts';

/**
 * The status page's routes: `/` (every watched flow, worst first), `/flows/{id}` and `/flows/{account}/{id}`,
 * `/assets/*`, and the two write actions (`POST /silences`, `POST /silences/{id}/remove`), which need
 * UI_WRITE_TOKEN and a same-origin request. Basic auth, when set, guards all of it; the probes and /metrics are
 * served before this is asked and never need it.
 */

export interface StatusPageOptions {
  sources: StatusPageSources;
  /** UI_WRITE_TOKEN: without it the page is read-only. */
  writeToken?: string | undefined;
  basicAuth?: BasicAuth | undefined;
  log: Pick<Logger, 'warn' | 'info'>;
}

/** Handles the request if it is the page's, and says whether it was. */
export type StatusPageHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

export function createStatusPage(options: StatusPageOptions): StatusPageHandler {
  const { sources } = options;
  const token = options.writeToken === undefined || options.writeToken === '' ? undefined : digest(options.writeToken);
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://page.invalid');
    const path = url.pathname;
    if (!isPagePath(path)) return false;
    if (options.basicAuth !== undefined && !(await options.basicAuth.verify(request.headers.authorization))) {
      send(request, response, 401, textBody('authentication required\n', { 'www-authenticate': 'Basic realm="portable-watch", charset="UTF-8"' }));
      return true;
    }
    try {
      await answer(request, response, url, path);
      // Once the page is sent, so that reading Redis and building the page do not take turns on one thread.
      if (path === '/' || path.startsWith('/flows/')) sources.refreshReport();
    } catch (error) {
      // Most often Redis not answering; the worker's log has the message whatever it was.
      options.log.warn({ err: error instanceof Error ? error.message : String(error), path }, 'status page could not be served');
      if (response.headersSent) response.destroy();
      else send(request, response, 503, htmlBody(renderErrorPage(503, 'Cannot read the worker\'s state', 'The page could not be built, most often because Redis did not answer in time; the worker\'s log says why. The page tries again at its next refresh; /readyz says whether the worker can do its job.')));
    }
    return true;
  };

  async function answer(request: IncomingMessage, response: ServerResponse, url: URL, path: string): Promise<void> {
    if (request.method === 'POST') {
      if (!path.startsWith('/silences')) {
        methodNotAllowed(request, response, 'GET, HEAD');
        return;
      }
      await silenceAction(request, response, path);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      methodNotAllowed(request, response, path === '/silences' ? 'GET, HEAD, POST' : path.startsWith('/silences') ? 'POST' : 'GET, HEAD');
      return;
    }
    if (path.startsWith('/assets/')) {
      const asset = readAsset(path.slice('/assets/'.length));
      if (asset === undefined) send(request, response, 404, textBody('no such asset\n'));
      else send(request, response, 200, await asset);
      return;
    }
    if (path === '/') {
      await statusPage(request, response, url.searchParams);
      return;
    }
    // Where a refused form leaves the browser: a reload there shows the list.
    if (path === '/silences' || path.startsWith('/silences/')) {
      send(request, response, 303, textBody('see /#silences\n', { location: '/#silences' }));
      return;
    }
    await flowPage(request, response, path);
  }

  async function statusPage(request: IncomingMessage, response: ServerResponse, query: URLSearchParams, outcome?: SilenceFormOutcome): Promise<void> {
    const report = await sources.report();
    const now = sources.now();
    const [health, silences] = await Promise.all([sources.health(report), sources.silences.list(now)]);
    const model = buildStatusPage({
      now,
      report,
      flows: new Map(sources.watched().map((flow) => [flowKey(flow), flow.labels])),
      silences,
      health,
      filters: parseFilters(query),
      canWrite: token !== undefined,
    });
    const notice = outcome?.notice ?? noticeFromQuery(query);
    const html = renderStatusPage(model, { ...(notice === undefined ? {} : { notice }), ...(outcome?.form === undefined ? {} : { silenceForm: outcome.form }) });
    send(request, response, outcome?.status ?? 200, htmlBody(html));
  }

  async function flowPage(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const key = flowKeyOfPath(path);
    const watched = sources.watched();
    let flow = key === undefined ? undefined : watched.find((candidate) => flowKey(candidate) === key);
    // `/flows/42` with named accounts: the one watched flow 42, if there is exactly one.
    if (flow === undefined && key !== undefined && !key.includes('~')) {
      const sameId = watched.filter((candidate) => String(candidate.id) === key);
      if (sameId.length === 1) flow = sameId[0];
    }
    const report = await sources.report();
    const status = flow === undefined ? undefined : report.flows.find((candidate) => flowKeyOf(candidate) === flowKey(flow));
    if (flow === undefined || status === undefined) {
      send(request, response, 404, htmlBody(renderErrorPage(404, 'No such flow', `This worker watches no flow at ${path}. The list of the flows it watches is at /.`)));
      return;
    }
    const now = sources.now();
    const [health, silences, detail] = await Promise.all([sources.health(report), sources.silences.active(now), sources.flowDetail(flowKey(flow))]);
    const model = buildFlowPage({
      now,
      health,
      status,
      flow,
      config: sources.config(),
      state: detail.state,
      portableSchedule: detail.schedule,
      activeSilences: silences,
      alerts: detail.alerts,
      delivered: detail.delivered,
      unsent: detail.unsent,
    });
    send(request, response, 200, htmlBody(renderFlowPage(model)));
  }

  async function silenceAction(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const outcome = await handleSilenceForm({
      request,
      path,
      token,
      silences: sources.silences,
      watched: sources.watched(),
      now: sources.now(),
      log: options.log,
    });
    if (outcome.redirect !== undefined) {
      send(request, response, 303, textBody(`see ${outcome.redirect}\n`, { location: outcome.redirect }));
      return;
    }
    await statusPage(request, response, new URLSearchParams(), outcome);
  }
}

function isPagePath(path: string): boolean {
  return path === '/' || path.startsWith('/flows/') || path.startsWith('/assets/') || path === '/silences' || /^\/silences\/[^/]+\/remove$/.test(path);
}

/** `/flows/42` → `42`, `/flows/prod/42` → `prod~42`; undefined when the path names no flow. */
function flowKeyOfPath(path: string): FlowKey | undefined {
  const parts = path.slice('/flows/'.length).split('/').map((part) => safeDecode(part));
  const [first, second] = parts;
  const isId = (text: string | undefined) => text !== undefined && /^[1-9]\d{0,15}$/.test(text);
  if (parts.length === 1 && isId(first)) return flowKeyOf({ id: Number(first) });
  if (parts.length === 2 && first !== undefined && /^[A-Za-z0-9_-]+$/.test(first) && isId(second)) return flowKeyOf({ id: Number(second), account: first });
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
}

function noticeFromQuery(query: URLSearchParams): { kind: 'ok'; text: string } | undefined {
  const added = query.get('added');
  const removed = query.get('removed');
  if (added !== null && /^s-[0-9a-f]{8}$/.test(added)) return { kind: 'ok', text: `Silence ${added} added.` };
  if (removed !== null && /^s-[0-9a-f]{8}$/.test(removed)) return { kind: 'ok', text: `Silence ${removed} removed.` };
  return undefined;
}

function methodNotAllowed(request: IncomingMessage, response: ServerResponse, allow: string): void {
  send(request, response, 405, textBody('method not allowed\n', { allow }));
}
