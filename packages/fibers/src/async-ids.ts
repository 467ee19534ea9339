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
// once, at load, through the public inspector API: they are variables of the
// closure of async_hooks.executionAsyncId, which the inspector lists under
// [[Scopes]] (same names on Node 20 to 26). Where that fails (node built
// without the inspector, names changed) `asyncIds` is undefined and a fiber
// must not suspend inside an async scope (the hub refuses it).
import { executionAsyncId, executionAsyncResource } from 'node:async_hooks';

/** One entry of node's async-id stack. */
type Entry = [asyncId: number, triggerId: number, resource: object];

export interface AsyncIds {
  /** How many entries the stack holds now. */
  depth(): number;
  /** Pops the entries above `base` (oldest first in the result); undefined when none. */
  save(base: number): Entry[] | undefined;
  /** Pushes back entries returned by save(). */
  restore(entries: Entry[]): void;
}

interface Internals {
  async_wrap: { constants: Record<string, number> };
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
    kTriggerAsyncId === undefined
  ) {
    return undefined;
  }
  // Checked once: the id node reports must be the one in the fields.
  if (ids[kExecutionAsyncId] !== executionAsyncId()) return undefined;
  return {
    depth: () => fields[kStackLength]!,
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

/** Access to node's async-id stack, or undefined where it cannot be reached. */
export const asyncIds: AsyncIds | undefined = build();
