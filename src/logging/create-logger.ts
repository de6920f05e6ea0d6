import type { Writable } from 'node:stream';
import type { WriteStream } from 'node:tty';
import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/**
 * `pretty` for a person at a terminal: one coloured line per event, time, level, message, then the fields.
 * `json` for machines (containers, pipes, files): one JSON object per line.
 */
export type LogFormat = 'pretty' | 'json';

const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

/**
 * LOG_FORMAT (empty counts as unset), else pretty when stdout is a terminal and JSON otherwise. Throws a one-line
 * message naming the variable and its values, for the caller to refuse before anything starts.
 */
export function logFormatFrom(env: Readonly<Record<string, string | undefined>>, stdout: Writable): LogFormat {
  const raw = env.LOG_FORMAT;
  if (raw === undefined || raw === '') return (stdout as Partial<WriteStream>).isTTY === true ? 'pretty' : 'json';
  const format = LOG_FORMATS.find((known) => known === raw);
  if (format === undefined) throw new Error(`LOG_FORMAT must be ${LOG_FORMATS.join(' or ')} (default: pretty at a terminal, json otherwise), got "${raw}"`);
  return format;
}

/**
 * Logs on stdout, JSON unless `format` says pretty. `redact` only reaches object paths, so secrets are also kept out
 * of messages by construction: errors from the Portable client and the notifiers never carry the token, webhook URL
 * or SMTP URL.
 */
export function createLogger(options: { level?: string; format?: LogFormat; destination?: DestinationStream } = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { service: 'portable-watch' },
    redact: {
      paths: ['token', '*.token', 'webhookUrl', '*.webhookUrl', 'smtpUrl', '*.smtpUrl', 'routingKey', '*.routingKey', 'secret', '*.secret', 'headers.authorization', '*.headers.authorization'],
      censor: '[redacted]',
    },
    serializers: { err: serializeError },
  };
  if (options.format === 'pretty') return pino(settings, prettyStream(options.destination));
  return pino(settings, options.destination ?? pino.destination({ sync: false }));
}

/**
 * pino-pretty as a synchronous stream, not a transport: its lines keep their order with what the CLI itself
 * prints, and none is lost on a fast exit. It formats what the JSON line holds, after redaction and serializers.
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  return PinoPretty({
    sync: true,
    ...(destination === undefined ? { destination: 1 } : { destination }),
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss',
    // Every line says portable-watch; pid and host say nothing to the person reading their own terminal.
    ignore: 'pid,hostname,service,err',
    singleLine: true,
    // The error goes with the message, so an event stays one line (pino-pretty would print it below, indented).
    messageFormat: (log, messageKey) => {
      const message = text(log[messageKey] ?? '');
      return log.err === undefined ? message : `${message}: ${describeError(log.err)}`;
    },
  });
}

/** `err` as the serializer left it (an object), or as a call site passed it (a message). */
function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return text(err);
  const { type, message, ...details } = err as { type?: unknown; message?: unknown };
  const head = type === undefined || type === 'Error' ? text(message) : `${text(type)}: ${text(message)}`;
  const extra = Object.entries(details).map(([key, value]) => `${key} ${text(value)}`);
  return extra.length === 0 ? head : `${head} (${extra.join(', ')})`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Only name, message, code and our own classification fields: a raw got error would carry request headers. */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const fields = error as Error & { kind?: unknown; status?: unknown; code?: unknown; retryable?: unknown; path?: unknown };
  return {
    type: error.name,
    message: error.message,
    ...(fields.kind === undefined ? {} : { kind: fields.kind }),
    ...(fields.status === undefined ? {} : { status: fields.status }),
    ...(fields.code === undefined ? {} : { code: fields.code }),
    ...(fields.retryable === undefined ? {} : { retryable: fields.retryable }),
    ...(fields.path === undefined ? {} : { path: fields.path }),
  };
}
