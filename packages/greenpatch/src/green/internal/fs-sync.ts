// The cooperative fs functions behind greenpatch/green/fs and the `fs`
// patch (the rule is in green/fs.ts and docs/cooperative-sync.md). Apart from
// green/fs.ts, which also re-exports all of node:fs, so that the patch, which
// greenpatch/register applies at start-up, does not run that re-export: it
// reads every property of node:fs, which loads fs's lazily loaded parts.
import fs = require('node:fs');

import { cooperate, cooperativeSync, FALLBACK, withoutTrailingUndefined, type Done } from './cooperative.js';

/**
 * The `*Sync` functions that cooperate on a FIFO, pipe, socket or character
 * device, each with its callback form: those that open such a file or move
 * data through it, the calls that wait for the other end. (Metadata calls
 * such as `statSync` or `closeSync` never wait for it.)
 */
const pairs = ['open', 'read', 'readv', 'write', 'writev', 'readFile', 'writeFile', 'appendFile'] as const;

type AnyFunction = (...args: any[]) => any;

/** Extra handling for a few functions whose sync form differs from a plain "callback value". */
interface Special {
  /** The result came back after the caller was gone: release it. */
  onLate?: (value: any) => void;
  /** Given the error of the callback form, whether to rerun the original instead (its exact behaviour). */
  rerunOn?: (error: any, args: unknown[]) => boolean;
  /** Given the arguments, whether the call stays synchronous. */
  inline?: (args: unknown[]) => boolean;
}

/**
 * Writes to the process's own stdout and stderr (fd 1 and 2) stay
 * synchronous whatever they are: log lines, kept in order with
 * `process.stdout`/`process.stderr` writes, which Node itself performs
 * synchronously for files and terminals.
 */
const toStdio = (args: unknown[]) => args[0] === 1 || args[0] === 2;

const always = () => true;

const statOriginal = fs.statSync;
const fstatOriginal = fs.fstatSync;

/**
 * Whether `target` (a path, a `file:` URL or a file descriptor) is a FIFO,
 * a socket or a character device: what a read or write may wait on for as
 * long as the other end likes. One stat or fstat system call (about a
 * microsecond, measured in docs/cooperative-sync.md); anything it cannot
 * tell (a missing file, an invalid argument) counts as no, so that Node's
 * own function runs and gives its own result or error.
 */
function waitsOnOtherEnd(target: unknown): boolean {
  let stats: fs.Stats | undefined;
  try {
    if (typeof target === 'number') stats = Reflect.apply(fstatOriginal, fs, [target]) as fs.Stats;
    else if (typeof target === 'string' || Buffer.isBuffer(target) || target instanceof URL) {
      stats = Reflect.apply(statOriginal, fs, [target, { throwIfNoEntry: false }]) as fs.Stats | undefined;
    }
  } catch {
    return false;
  }
  return stats !== undefined && (stats.isFIFO() || stats.isSocket() || stats.isCharacterDevice());
}

/** The call stays Node's own: its target is a regular file, a directory, or unknown. */
const onRegularFile = (args: unknown[]) => !waitsOnOtherEnd(args[0]);

/**
 * The error of a failed open or readFile is taken from the original, which
 * repeats the call: on some Node majors the sync form builds its error
 * differently from the callback form, and repeating an open that failed
 * changed nothing. Writes are never repeated; their callback forms' errors
 * match.
 */
const specials: Record<string, Special> = {
  open: { onLate: (fd: number) => fs.close(fd, () => {}), rerunOn: always, inline: onRegularFile },
  readFile: { rerunOn: always, inline: onRegularFile },
  write: { inline: (args) => toStdio(args) || onRegularFile(args) },
  writev: { inline: (args) => toStdio(args) || onRegularFile(args) },
};

function makeCooperative(name: string, syncFn: AnyFunction, asyncFn: AnyFunction, owner: object): AnyFunction {
  const special = specials[name] ?? { inline: onRegularFile };
  const what = `fs.${name}Sync()`;
  const body = function (this: unknown, args: unknown[]) {
    // Only an error the operation itself reported may be answered by the
    // original; a kill() or Timeout interrupting the wait propagates.
    let reported: unknown = undefined;
    try {
      return cooperate<unknown>(
        what,
        (done: Done<unknown>) =>
          Reflect.apply(asyncFn, owner, [
            ...withoutTrailingUndefined(args),
            (error: unknown, value?: unknown) => {
              if (error) reported = error;
              done(error, value);
            },
          ]),
        undefined,
        special.onLate,
      );
    } catch (error) {
      // The original, called by cooperativeSync, replays the option reads.
      if (error === reported && special.rerunOn?.(error, args)) return FALLBACK;
      throw error;
    }
  };
  return cooperativeSync(syncFn, body, { inline: special.inline, originalForNode: true });
}

/** The cooperative functions, by export name (`readFileSync`, ...): what the `fs` patch installs. */
export const syncFunctions: Record<string, AnyFunction> = {};

for (const name of pairs) {
  const syncFn = (fs as any)[`${name}Sync`];
  const asyncFn = (fs as any)[name];
  if (typeof syncFn !== 'function' || typeof asyncFn !== 'function') continue; // e.g. lchmod off macOS
  syncFunctions[`${name}Sync`] = makeCooperative(name, syncFn, asyncFn, fs);
}
