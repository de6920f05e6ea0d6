import { createPortableSimulator } from '../simulator/portable-simulator.ts';
import { MAX_SIMULATED_FLOWS, planAccount, runAccount, type AccountFlow } from '../simulator/simulated-account.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { parseOptions } from './command-support.ts';

export const SIMULATOR_DEFAULTS = { port: 4010, host: '127.0.0.1', flows: 5, token: 'simulated-token' } as const;

const USAGE = [
  'Usage: portable-watch simulate [--port 4010] [--flows 5] [--host 127.0.0.1] [--json]',
  '',
  'Options:',
  `  --port N     the port to serve on (default ${SIMULATOR_DEFAULTS.port}; 0 picks a free one)`,
  `  --flows N    how many flows, 1 to ${MAX_SIMULATED_FLOWS} (default ${SIMULATOR_DEFAULTS.flows}): the first fails on a loop, the second hangs,`,
  '               the third succeeds, the fourth misses scheduled runs, the fifth loads partially and drops volume;',
  '               any more succeed',
  `  --host HOST  the address to listen on (default ${SIMULATOR_DEFAULTS.host}; 0.0.0.0 to reach it from a container)`,
  '  --json       print the apiUrl, token and flows as one line of JSON instead of the text',
  '',
  'Serves a simulated Portable API until Ctrl-C, so start, check, status and the HTTP endpoints can be tried',
  'with no account. Its flow ids are those of config/flows.example.yaml, each with a Portable schedule (frequency',
  'or cron) and history to learn from. It keeps nothing when it stops.',
].join('\n');

/** `portable-watch simulate`: a Portable to try against, on its own. */
export const simulateCommand: Command = {
  summary: 'Serve a simulated Portable API whose flows fail, hang, miss runs and load short on a loop, to try the worker with no account.',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'simulate', USAGE, {
      port: { type: 'string' },
      flows: { type: 'string' },
      host: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values === undefined) return 1;
    const port = wholeNumber(values.port, SIMULATOR_DEFAULTS.port, 0, 65_535);
    const count = wholeNumber(values.flows, SIMULATOR_DEFAULTS.flows, 1, MAX_SIMULATED_FLOWS);
    if (port === undefined || count === undefined) {
      const [name, range] = port === undefined ? ['--port', '0 to 65535'] : ['--flows', `1 to ${MAX_SIMULATED_FLOWS}`];
      writeLine(context.stderr, `portable-watch simulate: ${name} must be a whole number from ${range}`);
      return 1;
    }
    const host = values.host ?? SIMULATOR_DEFAULTS.host;
    const simulator = createPortableSimulator({ token: SIMULATOR_DEFAULTS.token });
    let apiUrl: string;
    try {
      apiUrl = await simulator.listen(port, host);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const reason = code === 'EADDRINUSE' ? `port ${port} is in use; choose another with --port` : error instanceof Error ? error.message : String(error);
      writeLine(context.stderr, `portable-watch simulate: cannot listen on ${host}:${port}: ${reason}`);
      return 1;
    }
    const flows = planAccount(count);
    const account = runAccount(simulator, flows);
    const { token } = SIMULATOR_DEFAULTS;
    writeLine(context.stdout, values.json === true ? JSON.stringify({ apiUrl, token, flows }) : describe(apiUrl, token, flows));

    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    account.stop();
    await simulator.close();
    return 0;
  },
};

function describe(apiUrl: string, token: string, flows: readonly AccountFlow[]): string {
  const width = Math.max(...flows.map((flow) => flow.name.length));
  const schedule = (flow: AccountFlow) => (flow.cron !== undefined ? `cron ${flow.cron}` : `every ${flow.frequency ?? 'manual'}`);
  return [
    `A simulated Portable API is serving on ${apiUrl} (Ctrl-C stops it).`,
    '',
    `  apiUrl: ${apiUrl}`,
    `  token:  ${token}`,
    '',
    'In the shell that runs portable-watch (config/flows.example.yaml reads both):',
    `  export PORTABLE_API_URL=${apiUrl}`,
    `  export PORTABLE_API_TOKEN=${token}`,
    '',
    'Flows (the ids of config/flows.example.yaml come first):',
    ...flows.map((flow) => `  ${flow.id}  ${flow.name.padEnd(width)}  ${flow.role} (${schedule(flow)}): ${flow.behaviour}`),
  ].join('\n');
}

function wholeNumber(raw: string | undefined, fallback: number, min: number, max: number): number | undefined {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  return /^\d+$/.test(raw) && value >= min && value <= max ? value : undefined;
}
