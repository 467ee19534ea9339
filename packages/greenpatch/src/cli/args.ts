// The command line of `greenpatch`: its own options, then Node's, then the
// program and the program's arguments, as with `node`.
import { availableParallelism } from 'node:os';

export type Invocation =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; entry: string; args: string[]; nodeFlags: string[]; workers: number | undefined };

/** A bad command line (exit code 2). */
export class UsageError extends Error {
  readonly code = 'ERR_GREENPATCH_USAGE';
}

// Node options whose value may follow as a separate word; any other option
// takes its value after '=' (--max-old-space-size=100).
const NODE_OPTIONS_WITH_VALUE = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file',
  '--env-file-if-exists', '--inspect-port', '--debug-port', '--title',
  '--unhandled-rejections', '--dns-result-order', '--input-type', '--redirect-warnings',
  '--disable-warning', '--diagnostic-dir', '--heapsnapshot-signal', '--secure-heap', '--secure-heap-min',
]);

// Node options that would make node not run a program file.
const NOT_A_PROGRAM = new Set(['-e', '--eval', '-p', '--print', '-i', '--interactive', '-c', '--check', '--test', '--run']);

export function parseArgs(argv: string[]): Invocation {
  const nodeFlags: string[] = [];
  let workers: number | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '-v' || arg === '--version') return { kind: 'version' };
    const [name, inline] = splitOption(arg);
    if (name === '-w' || name === '--workers') {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a number of processes, or 'auto'`);
      workers = parseWorkers(value);
      continue;
    }
    if (NOT_A_PROGRAM.has(name)) throw new UsageError(`${name} does not run a program; use node ${name} with --require greenpatch/register`);
    nodeFlags.push(arg);
    if (inline === undefined && NODE_OPTIONS_WITH_VALUE.has(name)) {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      nodeFlags.push(value);
    }
  }
  const entry = argv[i];
  if (entry === undefined) throw new UsageError('no program given: greenpatch [options] <program.js> [arguments]');
  return { kind: 'run', entry, args: argv.slice(i + 1), nodeFlags, workers };
}

function splitOption(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}

function parseWorkers(value: string): number {
  if (value === 'auto') return availableParallelism();
  if (!/^[1-9]\d*$/.test(value) || Number(value) > 1024) {
    throw new UsageError(`--workers takes a whole number of processes from 1 to 1024, or 'auto' (got '${value}')`);
  }
  return Number(value);
}

export function usage(): string {
  return `Usage: greenpatch [options] [node options] <program.js> [arguments]

Runs a Node program with green threads, as 'node --require greenpatch/register'
would: builtins patched at start-up, the program's top-level code in the main
green thread (CommonJS and ES module programs alike).

Options:
  -w, --workers <n|auto>  serve on n processes (auto: one per CPU) with
                          node:cluster; a worker that dies is restarted, and
                          SIGTERM or SIGINT lets requests in progress finish
                          before the processes exit
  -h, --help              print this help
  -v, --version           print greenpatch's version

Node options go before the program, as with node:
  greenpatch --max-old-space-size=100 --enable-source-maps app.js --port 8080
Give an option's value after '=' (common ones such as -r, --import, -C and
--env-file also take it as the next word). '--' ends the options.

Environment: GREENPATCH_PATCH=net,dns,... patches only those modules;
GREENPATCH_BACKEND=threads|native picks the fiber backend.
Documentation: https://www.npmjs.com/package/greenpatch
`;
}
