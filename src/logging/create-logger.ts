import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * JSON logs on stdout. `redact` only reaches object paths, so secrets are also kept out of messages by
 * construction: errors from the Portable client and the notifiers never carry the token, webhook URL or SMTP URL.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'portable-watch' },
      redact: {
        paths: ['token', '*.token', 'webhookUrl', '*.webhookUrl', 'smtpUrl', '*.smtpUrl', 'headers.authorization', '*.headers.authorization'],
        censor: '[redacted]',
      },
      serializers: { err: serializeError },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
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
