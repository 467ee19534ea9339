// Printing run info on a signal: GREENPATCH_DUMP_ON=SIGUSR2 (read by
// greenpatch/register and patchAll()) or dumpRunInfoOn('SIGUSR2').
// os and run-info.js are loaded when a dump is asked for, not at every start-up.
import { reportError } from './error-handler.js';
import { codedError, describeValue } from './errors.js';

/** Signals a listener cannot take (KILL, STOP) or must not (faults, after which no JavaScript is safe). */
const refused = new Set(['SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL']);
const installed = new Set<string>();

function dump(): void {
  try {
    const { formatRunInfo } = require('./run-info.js') as typeof import('./run-info.js');
    process.stderr.write(formatRunInfo());
  } catch (error) {
    reportError(error, undefined);
  }
}

/** 'SIGUSR2', 'sigusr2' and 'USR2' → 'SIGUSR2'; undefined for what is not a signal one may listen to. */
function signalName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let name = value.trim().toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  const signalNumbers = (require('node:os') as typeof import('node:os')).constants.signals as Record<string, number | undefined>;
  return signalNumbers[name] !== undefined && !refused.has(name) ? name : undefined;
}

/**
 * Writes `formatRunInfo()`'s dump of every live green thread to stderr
 * each time the process receives `signal` (e.g. `'SIGUSR2'`; `kill -USR2
 * <pid>`). Listening replaces the signal's default action (for SIGUSR2,
 * ending the process), as any `process.on(signal)` listener does; it does
 * not keep the process alive. Calling it again for the same signal does
 * nothing. `GREENPATCH_DUMP_ON=SIGUSR2` in the environment does the same
 * from `greenpatch/register` and `patchAll()`.
 *
 * @throws `ERR_GREENPATCH_INVALID_DUMP_SIGNAL` for a name that is not a
 *   signal, or is one that cannot be listened to (SIGKILL, SIGSTOP, and the
 *   fault signals SIGSEGV, SIGBUS, SIGFPE, SIGILL).
 */
export function dumpRunInfoOn(signal: NodeJS.Signals): void {
  const name = signalName(signal);
  if (name === undefined) {
    throw codedError(
      'ERR_GREENPATCH_INVALID_DUMP_SIGNAL',
      `dumpRunInfoOn(signal): ${describeValue(signal)} is not a signal run info can be dumped on (e.g. 'SIGUSR2')`,
      TypeError,
    );
  }
  if (installed.has(name)) return;
  installed.add(name);
  process.on(name as NodeJS.Signals, dump);
}

/** @internal Installs the dump GREENPATCH_DUMP_ON asks for, if any. */
export function dumpOnSignalFromEnv(): void {
  const value = process.env.GREENPATCH_DUMP_ON;
  if (value === undefined || value.trim() === '') return;
  if (signalName(value) === undefined) {
    throw codedError(
      'ERR_GREENPATCH_INVALID_DUMP_SIGNAL',
      `GREENPATCH_DUMP_ON=${value} is not a signal run info can be dumped on (e.g. GREENPATCH_DUMP_ON=SIGUSR2)`,
      TypeError,
    );
  }
  dumpRunInfoOn(value as NodeJS.Signals);
}
