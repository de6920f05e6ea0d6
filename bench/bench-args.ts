/** `npm run bench -- [--only a,b] [--quick] [--cpu-prof DIR] [--concurrency N]`. */

export interface BenchArgs {
  only: string[] | undefined;
  quick: boolean;
  cpuProfDir: string | undefined;
  checkConcurrency: number | undefined;
  /** Extra Node flags for the worker processes, e.g. --max-semi-space-size=8. */
  workerFlags: string[];
  /** Experiment: the workers' Redis connection batches the commands of one tick into one write. */
  autoPipelining: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [options]

  --only NAME[,NAME]   run only these scenarios (repeatable)
  --quick              smaller sizes and shorter windows, for development; figures are not comparable with the targets
  --cpu-prof DIR       run the worker processes with node --cpu-prof, writing .cpuprofile files into DIR
  --concurrency N      check concurrency of the watch service and bare loop (default: the service's default)
  --worker-flag FLAG   a Node flag for the worker processes, e.g. --worker-flag=--max-semi-space-size=8 (repeatable)
  --auto-pipelining    experiment: the workers' Redis connection uses ioredis enableAutoPipelining (src/main.ts does not)
  --help               this text and the list of scenarios`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { only: undefined, quick: false, cpuProfDir: undefined, checkConcurrency: undefined, workerFlags: [], autoPipelining: false, help: false };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (mayLookLikeFlag = false) => {
      const next = inline ?? argv[++index];
      if (next === undefined || (next.startsWith('--') && !mayLookLikeFlag)) throw new Error(`${flag} needs a value\n\n${USAGE}`);
      return next;
    };
    switch (flag) {
      case '--only':
        args.only = [...(args.only ?? []), ...value().split(',').filter((name) => name !== '')];
        break;
      case '--quick':
        args.quick = true;
        break;
      case '--cpu-prof':
        args.cpuProfDir = value();
        break;
      case '--concurrency': {
        const concurrency = Number(value());
        if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a whole number ≥ 1\n\n${USAGE}`);
        args.checkConcurrency = concurrency;
        break;
      }
      case '--worker-flag':
        args.workerFlags.push(value(true));
        break;
      case '--auto-pipelining':
        args.autoPipelining = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`);
    }
  }
  return args;
}
