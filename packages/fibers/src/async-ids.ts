// Carries node's async-id stack with each fiber. Node keeps one stack of
// (execution id, trigger id, resource) per thread; AsyncResource's
// runInAsyncScope() pushes onto it and pops in a finally, checking that the
// top is its own entry (the process dies "async hook stack has become
// corrupted" otherwise). A fiber that suspends inside such a scope would
// leave its entries on top of its resumer's, so at Fiber.yield() the entries
// the fiber pushed since it was entered are popped and kept with it, and
// pushed back when it is entered again (what node-fibers 5 did through
// process.binding('async_wrap'), which warns, and is not the way on 24+).
//
// The functions that push and pop are internal to node; they are reached
// through the public inspector API: they are variables of the closure of
// async_hooks.executionAsyncId, which the inspector lists under [[Scopes]]
// (same names on Node 20 to 26). Loading the inspector (and the
// worker_threads and stream modules it loads) costs every process start-up
// milliseconds, so they are reached only when first needed (see
// onEnter/onYield): until then each entry of a fiber notes the public
// (executionAsyncId, triggerAsyncId) pair, and a fiber that yields with the
// same pair on top has pushed nothing it has not popped, save one case the
// pair cannot tell: a scope entered again inside the fiber, identical to the
// one it was entered in. Only AsyncResource scopes can be entered again by
// JavaScript (a handle's or a timer's is entered by the event loop, which
// does not run inside a fiber), and contexts with id 0 (promise jobs, native
// callbacks without a context) all look alike: a fiber entered in one of
// those reaches the internals before it starts, so that its depth is known.
// A context with id 0 is told apart in one case, by its resource: Node's
// async-id stack is empty (executionAsyncResource() then returns one object,
// Node's top-level resource, which nothing pushes), as in promise jobs at a
// microtask checkpoint. A fiber entered there has depth 0, and yields with
// nothing to carry when that object is again on top; the engine learns it
// from a caller that knows it runs in a promise job (learnTopLevelResource),
// which spares an `--import` program's entry the inspector.
// Where the inspector is missing (node built without it) or the reach fails
// (names changed) nothing is carried and a fiber must not suspend inside an
// async scope (the hub refuses it; Fiber.yield() throws ERR_FIBER_ASYNC_SCOPE
// where it could not be refused beforehand).
import { AsyncResource, executionAsyncId, executionAsyncResource, triggerAsyncId } from 'node:async_hooks';
import { codedError } from './errors';

/** One entry of node's async-id stack. */
type Entry = [asyncId: number, triggerId: number, resource: object];

/** What a fiber's entry noted (the Core of fiber.ts holds these fields). */
export interface AsyncMark {
  /**
   * Depth of node's async-id stack when the fiber was last entered; -1 when
   * unknown (entered, before the internals were reached, where the stack was
   * not known to be empty).
   */
  asyncBase: number;
  /** executionAsyncId() and triggerAsyncId() when the fiber was last entered. */
  asyncEntryId: number;
  asyncEntryTrigger: number;
  /** The async-id stack entries it had pushed when it last yielded. */
  asyncSaved: Entry[] | undefined;
}

interface AsyncIds {
  /** How many entries the stack holds now. */
  depth(): number;
  /** The depth at which (asyncId, triggerId) was on top, searching down from the top; -1 when it is not in the stack. */
  depthOf(asyncId: number, triggerId: number): number;
  /** Pops the entries above `base` (oldest first in the result); undefined when none. */
  save(base: number): Entry[] | undefined;
  /** Pushes back entries returned by save(). */
  restore(entries: Entry[]): void;
}

interface Internals {
  async_wrap: { constants: Record<string, number>; async_ids_stack: Float64Array };
  async_hook_fields: Uint32Array;
  async_id_fields: Float64Array;
  pushAsyncContext: (asyncId: number, triggerId: number, resource: object) => void;
  popAsyncContext: (asyncId: number) => boolean;
}

function reachInternals(): Internals | undefined {
  let inspector: typeof import('node:inspector');
  try {
    inspector = require('node:inspector');
  } catch {
    return undefined;
  }
  const session = new inspector.Session();
  // The inspector evaluates strings: it meets this side through a global
  // registry symbol unique to this load, removed before returning.
  const key = Symbol.for(`greenpatch.asyncIds.${process.pid}.${Math.random()}`);
  const here = `globalThis[Symbol.for(${JSON.stringify(key.description)})]`;
  const found: Record<string, unknown> = {};
  const g = globalThis as unknown as Record<symbol, unknown>;
  g[key] = {
    target: executionAsyncId,
    take: (name: string, value: unknown) => {
      found[name] = value;
    },
  };
  try {
    session.connect();
    // A session on the thread's own inspector answers synchronously.
    const post = (method: string, params: object): any => {
      let result: unknown;
      let failure: unknown;
      session.post(method, params, (error, value) => {
        failure = error;
        result = value;
      });
      if (failure) throw failure;
      return result;
    };
    const target = post('Runtime.evaluate', { expression: `${here}.target` });
    const props = post('Runtime.getProperties', { objectId: target.result.objectId, ownProperties: true });
    const scopes = props.internalProperties?.find((p: { name: string }) => p.name === '[[Scopes]]');
    if (!scopes) return undefined;
    const wanted = ['async_wrap', 'async_hook_fields', 'async_id_fields', 'pushAsyncContext', 'popAsyncContext'];
    const scopeList = post('Runtime.getProperties', { objectId: scopes.value.objectId, ownProperties: true });
    for (const scope of scopeList.result) {
      if (wanted.every((name) => name in found)) break;
      // The global scope is skipped: listing it runs lazy globals' getters
      // (fetch loads undici and compiles its WebAssembly parser).
      if (!scope.value?.objectId || scope.value.description === 'Global') continue;
      const vars = post('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true });
      for (const v of vars.result) {
        if (!wanted.includes(v.name) || v.name in found || !v.value?.objectId) continue;
        // Hands the object itself over to this side.
        post('Runtime.callFunctionOn', {
          objectId: v.value.objectId,
          functionDeclaration: `function (name) { ${here}.take(name, this); }`,
          arguments: [{ value: v.name }],
        });
      }
    }
    if (!wanted.every((name) => name in found)) return undefined;
    return found as unknown as Internals;
  } catch {
    return undefined;
  } finally {
    delete g[key];
    try {
      session.disconnect();
    } catch {
      // already gone
    }
  }
}

function build(): AsyncIds | undefined {
  const internals = reachInternals();
  if (internals === undefined) return undefined;
  const { async_hook_fields: fields, async_id_fields: ids, pushAsyncContext, popAsyncContext } = internals;
  const { kStackLength, kExecutionAsyncId, kTriggerAsyncId } = internals.async_wrap.constants;
  if (
    typeof pushAsyncContext !== 'function' ||
    typeof popAsyncContext !== 'function' ||
    kStackLength === undefined ||
    kExecutionAsyncId === undefined ||
    kTriggerAsyncId === undefined ||
    !(internals.async_wrap.async_ids_stack instanceof Float64Array)
  ) {
    return undefined;
  }
  // Checked once: the id node reports must be the one in the fields.
  if (ids[kExecutionAsyncId] !== executionAsyncId()) return undefined;
  return {
    depth: () => fields[kStackLength]!,
    depthOf(asyncId, triggerId) {
      const top = fields[kStackLength]!;
      if (ids[kExecutionAsyncId] === asyncId && ids[kTriggerAsyncId] === triggerId) return top;
      // Entry k saved the pair that was on top before it: the pair at depth k.
      // Read each time: node replaces the array when the stack outgrows it.
      const stack = internals.async_wrap.async_ids_stack;
      for (let depth = top - 1; depth >= 0; depth--) {
        if (stack[2 * depth] === asyncId && stack[2 * depth + 1] === triggerId) return depth;
      }
      return -1;
    },
    save(base) {
      const n = fields[kStackLength]! - base;
      if (n <= 0) return undefined;
      const entries = new Array<Entry>(n);
      for (let i = n - 1; i >= 0; i--) {
        const asyncId = ids[kExecutionAsyncId]!;
        entries[i] = [asyncId, ids[kTriggerAsyncId]!, executionAsyncResource()];
        popAsyncContext(asyncId);
      }
      return entries;
    },
    restore(entries) {
      for (const [asyncId, triggerId, resource] of entries) pushAsyncContext(asyncId, triggerId, resource);
    },
  };
}

/** Node's resource for an empty async-id stack, once learned (learnTopLevelResource). */
let topLevelResource: object | undefined;

/** Whether node's async-id stack is empty now, as far as is known without the internals. */
function atTopLevel(): boolean {
  return (
    topLevelResource !== undefined &&
    executionAsyncId() === 0 &&
    triggerAsyncId() === 0 &&
    executionAsyncResource() === topLevelResource
  );
}

/**
 * Learns Node's top-level resource, for the caller that knows it runs in a
 * promise job (a reaction run from V8's microtask queue, such as an ES
 * module's evaluation by Node's loader). With async hooks not tracking
 * promises such a job pushes nothing: the async-id stack is as the microtask
 * checkpoint left it, which is empty (Node runs the queue after popping its
 * callback scope) or, when timers' or immediates' runNextTicks ran it,
 * topped by the process object's scope with id 0. In the first case the
 * resource on top is the top-level one. Elsewhere (a promise job with an
 * id, or the process object's scope) nothing is learned. Returns whether
 * it is known now. Not for other callers: in a callback an addon makes
 * without an async context, its receiver is on top with id 0 and would be
 * taken for the top-level resource.
 */
export function learnTopLevelResource(): boolean {
  if (topLevelResource !== undefined) return true;
  if (executionAsyncId() !== 0 || triggerAsyncId() !== 0) return false;
  const resource = executionAsyncResource();
  if (typeof resource !== 'object' || resource === null || resource === process || resource instanceof AsyncResource) return false;
  topLevelResource = resource;
  return true;
}

/** The internals once reached; null when reaching them failed; undefined until tried. */
let asyncIds: AsyncIds | null | undefined = process.features.inspector ? undefined : null;

function reached(): AsyncIds | null {
  if (asyncIds === undefined) asyncIds = build() ?? null;
  return asyncIds;
}

/** Whether fibers carry their async scopes: the inspector is there and reaching the internals has not failed. */
export function carriesAsyncScopes(): boolean {
  return asyncIds !== null;
}

/** Notes where `mark`'s fiber is entered and pushes back its saved entries; called just before entering it. */
export function onEnter(mark: AsyncMark): void {
  let ids = asyncIds;
  if (ids === undefined) {
    if (atTopLevel()) {
      // Depth 0, known without the internals (nothing is saved while they are not reached).
      mark.asyncBase = 0;
      return;
    }
    const asyncId = executionAsyncId();
    if (asyncId !== 0 && !(executionAsyncResource() instanceof AsyncResource)) {
      mark.asyncBase = -1;
      mark.asyncEntryId = asyncId;
      mark.asyncEntryTrigger = triggerAsyncId();
      return;
    }
    ids = reached();
  }
  if (ids === null) return;
  mark.asyncBase = ids.depth();
  const saved = mark.asyncSaved;
  if (saved !== undefined) {
    mark.asyncSaved = undefined;
    ids.restore(saved);
  }
}

/** Pops and keeps with `mark` the entries its fiber pushed since it was entered; called as it yields. */
export function onYield(mark: AsyncMark): void {
  let ids = asyncIds;
  if (ids === null) return;
  if (ids === undefined && mark.asyncBase === 0) {
    // Entered where the stack was empty (onEnter): empty again, nothing to carry.
    if (atTopLevel()) return;
    ids = reached();
    if (ids === null) throw asyncScopeError();
  } else if (ids === undefined || mark.asyncBase < 0) {
    // Entered before the internals were reached, not in a context it could enter again.
    if (executionAsyncId() === mark.asyncEntryId && triggerAsyncId() === mark.asyncEntryTrigger) return;
    ids = reached();
    if (ids === null) throw asyncScopeError();
    // Not in the stack: it was emptied since the entry (node clears it when
    // an 'uncaughtException' listener handles an error), and all it holds
    // now was pushed by this fiber since.
    mark.asyncBase = Math.max(0, ids.depthOf(mark.asyncEntryId, mark.asyncEntryTrigger));
  }
  mark.asyncSaved = ids.save(mark.asyncBase);
}

function asyncScopeError(): Error {
  return codedError(
    'ERR_FIBER_ASYNC_SCOPE',
    'A fiber cannot yield inside an async scope it entered (AsyncResource#runInAsyncScope) on this Node: ' +
      "node's async-id stack cannot be reached here",
  );
}
