// child_process's `spawnSync`, `execSync` and `execFileSync`, cooperative:
// what the `child_process` patch puts on Node's module and what
// greenpatch/green/child_process exports, the very same functions. Light to
// apply: each is Node's own until called inside a green thread, and the
// machinery that makes the call cooperative (spawn-cooperative.ts, where the
// rule is) loads at the first such call, so that applying the patch before an
// ES entry on Node 20 costs little.
import type * as childProcessTypes from 'node:child_process';

import { calledByNode } from './cooperative.js';
import { lazily } from './deferred.js';
import { likeOriginal } from './like-original.js';
import { mayBlock } from './runtime.js';

// Not in the start-up bundle: loaded at the first cooperative call.
const machinery = lazily((): typeof import('./spawn-cooperative.js') => require('./spawn-cooperative.js'));

/** The three cooperative functions, and what the machinery takes from the module when they are made. */
export interface ChildProcessSyncApi {
  readonly spawnSync: typeof childProcessTypes.spawnSync;
  readonly execSync: typeof childProcessTypes.execSync;
  readonly execFileSync: typeof childProcessTypes.execFileSync;
  /** @internal Node's `ChildProcess`, for the machinery. */
  readonly ChildProcessClass: typeof childProcessTypes.ChildProcess;
  /**
   * @internal `ChildProcess.prototype.spawn` as it was when the functions
   * were made: a cooperative spawnSync calls no method a program may later
   * wrap on ChildProcess.prototype (stock spawnSync calls none).
   */
  readonly spawnChild: (options: object) => unknown;
}

/**
 * The cooperative form of one of Node's three functions: Node's own, called
 * as it is, with its one call of the binding made cooperative when the
 * caller may block (inside a green thread, not on the hub, not where Node
 * itself is the caller).
 */
function cooperative<F extends (...args: any[]) => any>(fn: F): F {
  return likeOriginal(function (this: unknown, ...args: unknown[]) {
    if (!mayBlock() || calledByNode()) return Reflect.apply(fn, this, args);
    const { bindingWrapped, callCooperatively } = machinery();
    if (!bindingWrapped()) return Reflect.apply(fn, this, args);
    return callCooperatively(fn, this, args);
  }, fn) as unknown as F;
}

/** Made at the first call (loading child_process), then the same. */
export const childProcessSyncApi = lazily((): ChildProcessSyncApi => {
  const childProcess = require('node:child_process') as typeof childProcessTypes;
  const { ChildProcess } = childProcess;
  return {
    spawnSync: cooperative(childProcess.spawnSync),
    execSync: cooperative(childProcess.execSync),
    execFileSync: cooperative(childProcess.execFileSync),
    ChildProcessClass: ChildProcess,
    spawnChild: (ChildProcess.prototype as unknown as { spawn: (options: object) => unknown }).spawn,
  };
});
