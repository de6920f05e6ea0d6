import type net from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Who logged in, when the server asked for a login. */
  user: string | undefined;
  envelopeFrom: string | undefined;
  envelopeTo: string[];
  parsed: ParsedMail;
}

export interface SmtpReceiverOptions {
  /** When set, a login is required and must use this user and password; otherwise any login is accepted. */
  login?: { user: string; password: string };
  /** Reject a recipient: return the SMTP reply code and text, or undefined to accept. */
  rejectRecipient?: (address: string) => { responseCode: number; message: string } | undefined;
}

/** A real SMTP server (smtp-server) on 127.0.0.1, parsing what arrives with mailparser. */
export interface SmtpReceiver {
  readonly port: number;
  readonly mails: ReceivedMail[];
  /** SMTP sessions currently open, e.g. held by a client's connection pool. */
  openConnections(): number;
  /** SMTP sessions opened since the receiver started. */
  connectionsOpened(): number;
  close(): Promise<void>;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startSmtpReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const { login } = options;
  let opened = 0;
  const server = new SMTPServer({
    logger: false,
    // no certificate to offer: nodemailer would otherwise try STARTTLS and refuse the test certificate
    disabledCommands: ['STARTTLS'],
    authOptional: login === undefined,
    allowInsecureAuth: true,
    onConnect(_session, callback) {
      opened += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (!login || (auth.username === login.user && auth.password === login.password)) {
        callback(null, { user: auth.username });
        return;
      }
      // echoes the password on purpose: the notifier must blank it out of what it reports
      callback(smtpError(`Authentication failed for ${auth.username ?? '?'} with password ${auth.password ?? '?'}`, 535));
    },
    onRcptTo(address, _session, callback) {
      const rejection = options.rejectRecipient?.(address.address);
      callback(rejection ? smtpError(rejection.message, rejection.responseCode) : null);
    },
    onData(stream, session, callback) {
      // parsed before answering, so a resolved sendMail means the mail is in `mails`
      simpleParser(stream).then(
        (parsed) => {
          mails.push({
            user: typeof session.user === 'string' ? session.user : undefined,
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            envelopeTo: session.envelope.rcptTo.map((recipient) => recipient.address),
            parsed,
          });
          callback();
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error('unparsable message')),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as net.AddressInfo;
  return {
    port,
    mails,
    openConnections: () => server.connections.size,
    connectionsOpened: () => opened,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
