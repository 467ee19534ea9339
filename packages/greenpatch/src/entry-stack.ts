// The stack of an uncaught error from the entry module, as stock Node prints
// it. greenpatch/register runs the entry on the main green thread's fiber,
// whose JavaScript stack starts at greenpatch's thread machinery, not at
// Node's entry point: the error's frames end with greenpatch's layers, and
// Node's own frames below the entry (the loader's entry point, the ES module
// job) are on the hub's stack, where the thread was started. The error's
// stack gets greenpatch's frames taken out and the hub's frames at the start
// of the thread put after its own, up to Error.stackTraceLimit frames, so
// the result is what Node prints for the same program without the hook.
import { types } from 'node:util';

import { captureWithRoom, isInternalFrame } from './internal-frames.js';
import { mainLoad } from './load-wrappers.js';
import { asEntryImportFrame } from './main-import-frame.js';

/** The stand-in module of `--import greenpatch/register` carries this in its URL (register-hooks.mts). */
const STAND_IN_MARK = 'greenpatch-main=1';

/** @internal The hub's frames where the entry's green thread starts, formatted when needed. */
export interface EntryStart {
  /** An ES module: Node's loader frames below it in the green thread are require(esm)'s, not Node's entry point's. */
  esm: boolean;
  /** Holds the hub's stack (captured lazily formatted). */
  hub: { stack?: unknown };
}

/** Set when the entry is run from the `--import` preload (preload-entry.ts). */
let fromPreload = false;

/** @internal The entry is run from greenpatch/register's `--import` preload: the hub's frames are the preload import's. */
export function entryRunFromPreload(): void {
  fromPreload = true;
}

/** @internal Captures the hub's frames here, where the entry's green thread is about to start. */
export function entryStart(esm: boolean): EntryStart {
  const hub: { stack?: unknown } = {};
  // greenpatch's own frames on the hub (its runMain, its Module._load
  // wrappers) are filtered out later: Node's, below them, must still be there.
  captureWithRoom(hub, entryStart);
  return { esm, hub };
}

/**
 * @internal Rewrites the stack of `error`, thrown by the entry's code and
 * about to be reported as uncaught, as Node would have it: greenpatch's
 * frames out, and for an ES module the frames of the require(esm) that
 * loaded it in the green thread; then the hub's frames below the start of
 * the thread. Errors that are not native errors, or whose stack is not a
 * string, are left alone.
 */
export function asStockEntryStack(error: unknown, start: EntryStart, format: (read: () => unknown) => unknown): void {
  if (!types.isNativeError(error)) return;
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number' || !(limit > 0)) return;
  const stack = format(() => (error as Error).stack);
  if (typeof stack !== 'string') return;
  const lines = stack.split('\n');
  const first = lines.findIndex((line) => /^\s+at /.test(line));
  if (first < 0) return;
  const head = lines.slice(0, first);
  let frames = lines.slice(first);
  // The stack reached the thread's start (it was not cut short by the limit
  // above it): Node's frames below the entry follow.
  let reachedStart = frames.length > 0 && isInternalFrame(frames[frames.length - 1]);
  if (start.esm) {
    // ES modules' frames are file: URLs; require(esm)'s machinery below the
    // lowest of them is Node's CommonJS loader, greenpatch's, or a hook's.
    let lowest = -1;
    frames.forEach((line, i) => {
      if (line.includes('file://') && !isInternalFrame(line)) lowest = i;
    });
    if (lowest >= 0 && lowest < frames.length - 1) {
      frames = frames.slice(0, lowest + 1);
      reachedStart = true;
    }
  }
  if (!reachedStart && !start.esm) {
    const spliced = spliceMainLoad(frames, format);
    if (spliced !== undefined) {
      frames = spliced;
      reachedStart = true;
    }
  }
  frames = frames.filter((line) => !isInternalFrame(line));
  if (reachedStart && frames.length < limit) {
    const hub = format(() => start.hub.stack);
    if (typeof hub === 'string') {
      for (const line of hub.split('\n').slice(1)) {
        if (frames.length >= limit) break;
        if (!isInternalFrame(line) && !line.includes(STAND_IN_MARK)) frames.push(fromPreload ? asEntryImportFrame(line) : line);
      }
    }
  }
  const rewritten = [...head, ...frames].join('\n');
  if (rewritten === stack) return;
  try {
    (error as Error).stack = rewritten;
  } catch {
    // a frozen error keeps its stack
  }
}

const nodesLoadFrame = /\b_load \(node:internal\/modules\/cjs\/loader/;

/**
 * The error's frames cut short by the limit just below the entry's own load
 * (greenpatch's Module._load wrappers used up the room): the frames up to
 * Node's `_load` of the main module, then Node's frames below its wrappers as
 * captured when it was called (load-wrappers.ts), up to greenpatch's thread;
 * undefined when the error's frames do not end there.
 */
function spliceMainLoad(frames: string[], format: (read: () => unknown) => unknown): string[] | undefined {
  const captured = mainLoad.below;
  if (captured === undefined) return undefined;
  let k = -1;
  for (let i = frames.length - 2; i >= 0; i--) {
    if (nodesLoadFrame.test(frames[i]) && isInternalFrame(frames[i + 1])) {
      k = i;
      break;
    }
  }
  if (k < 0) return undefined;
  const stack = format(() => captured.stack);
  if (typeof stack !== 'string') return undefined;
  const below: string[] = [];
  for (const line of stack.split('\n').slice(1)) {
    if (isInternalFrame(line)) break;
    below.push(line);
  }
  const rest = frames.slice(k + 1).filter((line) => !isInternalFrame(line));
  if (rest.some((line, i) => line !== below[i])) return undefined;
  return [...frames.slice(0, k + 1), ...below];
}
