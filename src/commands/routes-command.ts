import { ROUTE_KINDS, type RouteKind } from '../alerts/alert.ts';
import type { FlowConfig } from '../config/config-schema.ts';
import { alertableKinds, routeFlow } from '../routing/route-flow.ts';
import type { RoutedDestination } from '../routing/route-types.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch routes --flow ID [--json] [--config PATH]',
  '',
  'Options:',
  '  --flow ID          the Portable flow id, as listed under flows: in the config',
  '  --json             print JSON for scripts instead of the table',
  CONFIG_OPTION_HELP,
  '',
  'Prints where each kind of alert of that flow goes, with its severity and why: which route (routes: in the',
  "config, read top to bottom) or the flow's notify. Reads the config only: no Redis, no Portable, and none of the",
  'secrets the config refers to need be set. Exit status: 0 when printed; 1 when the config cannot be read or has',
  'no such flow.',
].join('\n');

const RECOVERIES = 'Recoveries go where the alert of the incident they end went (a monitor recovery where the monitor error went).';

/** `portable-watch routes --flow ID`: the routing of one flow, explained, so an operator can check a route before a storm does. */
export const routesCommand: Command = {
  summary: "Show where each kind of a flow's alerts goes, with its severity and why (reads the config only).",
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'routes', USAGE, {
      config: { type: 'string', short: 'c' },
      flow: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values === undefined) return 1;
    const id = values.flow === undefined ? undefined : Number(values.flow.trim());
    if (id === undefined || !Number.isSafeInteger(id) || id <= 0) {
      const problem = values.flow === undefined ? 'give the flow with --flow ID' : `--flow ${JSON.stringify(values.flow)} is not a flow id`;
      writeLine(context.stderr, `portable-watch routes: ${problem} (the positive whole number in the flow's Portable URL)\n`);
      writeLine(context.stderr, USAGE);
      return 1;
    }
    // Only flows, labels, routes and notifier names are used: a config whose secrets are unset still serves.
    const configPath = configPathOf(values.config, context);
    const config = await loadConfigOrReport(context, configPath, { unsetVariables: 'stand-in' });
    if (config === undefined) return 1;
    const flow = config.flows.find((candidate) => candidate.id === id);
    if (flow === undefined) {
      writeLine(context.stderr, `portable-watch routes: no flow ${id} under flows: in ${configPath} (${listIds(config.flows)})`);
      return 1;
    }
    const routing = routeFlow(flow, config.routes);
    const kinds = alertableKinds(flow.detect);
    writeLine(context.stdout, values.json === true ? renderJson(flow, kinds, routing) : renderText(flow, kinds, routing));
    return 0;
  },
};

type Routing = Record<RouteKind, RoutedDestination[]>;

function renderJson(flow: FlowConfig, kinds: readonly RouteKind[], routing: Routing): string {
  const byKind = Object.fromEntries(kinds.map((kind) => [kind, routing[kind]]));
  const notDetected = ROUTE_KINDS.filter((kind) => !kinds.includes(kind));
  return JSON.stringify({ flow: { id: flow.id, name: flow.name ?? null, labels: flow.labels }, kinds: byKind, notDetected }, null, 2);
}

function renderText(flow: FlowConfig, kinds: readonly RouteKind[], routing: Routing): string {
  const labels = Object.entries(flow.labels).map(([key, value]) => `${key}=${value}`);
  const title = `Flow ${flow.id}${flow.name === undefined ? '' : ` "${flow.name}"`}, ${labels.length === 0 ? 'no labels' : `labels ${labels.join(', ')}`}`;
  const rows = kinds.flatMap((kind) => {
    const destinations = routing[kind];
    if (destinations.length === 0) return [[kind, 'nobody', '', 'no route matches and the flow has no notify']];
    return destinations.map((destination, index) => [index === 0 ? kind : '', destination.notifier, destination.severity, destination.because]);
  });
  const table = [['KIND', 'NOTIFIER', 'SEVERITY', 'WHY'], ...rows];
  const widths = [0, 1, 2].map((column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  const lines = table.map((row) => row.map((cell, column) => (column < 3 ? cell.padEnd((widths[column] ?? 0) + 2) : cell)).join('').trimEnd());
  const notDetected = ROUTE_KINDS.filter((kind) => !kinds.includes(kind));
  const footer = notDetected.length === 0 ? [] : [`(not detected: ${notDetected.join(', ')}; detect: on the flow or under defaults chooses)`];
  return [title, '', ...lines, '', ...footer, RECOVERIES].join('\n');
}

/** The ids the operator may have meant: all of them when few, else where to read them. */
function listIds(flows: readonly FlowConfig[]): string {
  const ids = flows.map((flow) => flow.id);
  if (ids.length <= 10) return `its flows: ${ids.join(', ')}`;
  return `it lists ${ids.length} flows, first ${ids.slice(0, 10).join(', ')}; portable-watch status lists them all with their names`;
}
