// The node-fibers API on top of the native coroutine handle.
import { binding, CoroutineState, type NativeCoroutine } from './binding';
import { carriesAsyncScopes, learnTopLevelResource, onEnter, onYield, type AsyncMark } from './async-ids';
import { codedError } from './errors';

/** A fiber: a function with a stack of its own that can stop at `Fiber.yield()` and be resumed. */
export interface Fiber {
  /**
   * Starts the fiber (its function receives `value`) or, when it is suspended
   * in `Fiber.yield()`, resumes it (that call returns `value`). Returns what
   * the fiber passes to its next `Fiber.yield()`, or what its function
   * returns. An exception thrown inside the fiber comes out of here.
   * A fiber whose function has returned starts over.
   */
  run(value?: unknown): any;
  /**
   * Resumes a fiber suspended in `Fiber.yield()` by throwing `error` there.
   * Returns or throws like `run()`.
   */
  throwInto(error: unknown): any;
  /**
   * Ends a suspended fiber: throws a `FiberResetError` at its `Fiber.yield()`
   * so that its `finally` blocks run, then makes it new again. Until its
   * function ends the fiber is a zombie: each further `Fiber.yield()` throws
   * the same error at once (as node-fibers did), so a loop that catches it
   * still runs to its end. Returns the function's return value if it caught
   * the error and returned, undefined if it unwound. Does nothing to a fiber
   * that is not started.
   */
  reset(): any;
  /** True from the first `run()` until the fiber's function returns or throws. */
  readonly started: boolean;
}

/** The `Fiber` function: `Fiber(fn)` and `new Fiber(fn)` both create a fiber. */
export interface FiberConstructor {
  new (fn: (value?: any) => any): Fiber;
  (fn: (value?: any) => any): Fiber;
  readonly prototype: Fiber;
  /**
   * Suspends the current fiber, handing `value` to whoever resumed it (their
   * `run()` returns it). Returns the value of the `run()` that resumes it.
   * Throws `ERR_FIBER_YIELD_OUTSIDE` when no fiber is running.
   */
  yield(value?: unknown): any;
  /** The fiber that is running, or undefined on the thread's own stack. */
  readonly current: Fiber | undefined;
  /** How many finished fibers' stacks are kept for reuse (default 120). */
  poolSize: number;
  /**
   * Stack bytes of each new fiber (default 2 MiB, reserved, not committed:
   * only touched pages cost memory). At least V8's JavaScript stack area
   * (node's --stack-size, so that fibers recurse as deep as the thread) plus
   * a native reserve; smaller values throw ERR_OUT_OF_RANGE.
   */
  stackSize: number;
  /** How many fibers have been started on this thread. */
  readonly fibersCreated: number;
  /**
   * Which engine backend runs fibers: "native" (own stacks, V8 thread state
   * swapped) or "threads" (an OS thread per fiber, one running at a time).
   */
  readonly backend: 'native' | 'threads';
  /**
   * How a switch hands V8's per-thread state over on this thread. "direct"
   * (the default wherever the engine's load checks pass): V8's own archive
   * and restore functions are called directly and every fiber is the same
   * V8 thread, which costs less than half as much and lets CPU profilers
   * see the fibers' work. "locker": `v8::Unlocker`/`v8::Locker`, each
   * fiber a V8 thread of its own (the threads backend always works so).
   * `GREENPATCH_SWITCH=locker` selects it; `=direct` makes loading fail
   * with `ERR_GREENPATCH_SWITCH_UNAVAILABLE` where the direct path cannot run.
   */
  readonly switchPath: 'direct' | 'locker';
  /**
   * Why {@link FiberConstructor.switchPath} is what it is: "every load check
   * passed", the check that failed (then the Locker path runs), or the
   * setting that chose it.
   */
  readonly switchReason: string;
  /**
   * True where the engine carries node's async-id stack with each fiber, so
   * that a fiber may suspend inside `AsyncResource#runInAsyncScope()` or an
   * `AsyncResource.bind()` function (see async-ids.ts); false on a node
   * built without the inspector, or once node's async-id stack was found
   * out of reach.
   */
  readonly carriesAsyncScopes: boolean;
  /**
   * Not in node-fibers. Calls `fn()`; an exception it throws is reported as
   * Node reports an uncaught exception: to the process's
   * `'uncaughtException'` listeners, or printed with the source line it was
   * thrown from and the stack, ending the process with status 1. That line
   * is the throw's own, as for an exception nothing catches, which a
   * JavaScript catch-and-rethrow cannot give (the rethrow's line would be
   * shown). For code whose exceptions are uncaught but that runs where Node
   * does not catch them itself, such as a program's entry run on a fiber.
   *
   * `keep(error)`, when given, is asked first; when it returns true, the
   * exception is not reported (the caller has recorded it). Returns true
   * when `fn` threw (and a listener handled it, or `keep` kept it), false
   * when it returned.
   */
  reportUncaught(fn: () => unknown, keep?: (error: unknown) => boolean): boolean;
  /** Thrown into a fiber by `reset()` and when a suspended fiber is collected. */
  readonly ResetError: typeof FiberResetError;
}

/** Thrown into a suspended fiber to unwind it (`reset()`, or collection). */
export class FiberResetError extends Error {
  readonly code = 'ERR_FIBER_RESET';
  constructor() {
    super('This fiber was reset');
    this.name = 'FiberResetError';
  }
}

/** What outlives the Fiber object: the collection unwinder holds this. */
interface Core extends AsyncMark {
  co: NativeCoroutine;
  /**
   * Set while the fiber is being unwound (reset() or collection): as in
   * node-fibers, every Fiber.yield() it makes then throws this error again,
   * so a loop that catches it still runs to its end.
   */
  zombie: FiberResetError | undefined;
}

/** Enters `core`'s coroutine with its async-id stack entries pushed back (see async-ids.ts). */
function resumeCore(core: Core, value: unknown, throwing: boolean, fn?: (value: unknown) => unknown): unknown {
  onEnter(core);
  return core.co.resume(value, throwing, fn);
}

interface FiberState {
  fn: (value?: unknown) => unknown;
  co: NativeCoroutine;
  core: Core;
  /** The Fiber this belongs to: an object inheriting from a fiber is not one. */
  owner: Fiber;
}

// Kept on the fiber under a private symbol rather than in a WeakMap: a
// server's hub switches fibers at every blocking call, and a property load
// beats a hash lookup among thousands of fibers.
const kState = Symbol('greenpatch.fiberState');
type WithState = { [kState]?: FiberState };
let current: Fiber | undefined;
/** The Core of the running fiber (also set while a collected one unwinds). */
let currentCore: Core | undefined;

// A suspended fiber whose Fiber object nobody can reach is unwound here, in
// an ordinary task after the collection: its finally blocks run and its stack
// goes back to the pool. The held value is the native handle alone, which
// does not reach the Fiber object.
const unwinder = new FinalizationRegistry<Core>((core) => {
  if (core.co.state() !== CoroutineState.Suspended) return;
  const saved = current;
  const savedCore = currentCore;
  current = undefined;
  currentCore = core;
  core.zombie = new FiberResetError();
  try {
    resumeCore(core, core.zombie, true);
  } catch (error) {
    if (error !== core.zombie) throw error;
  } finally {
    core.zombie = undefined;
    current = saved;
    currentCore = savedCore;
  }
});

function stateOf(fiber: unknown): FiberState {
  const state = (fiber as WithState | null | undefined)?.[kState];
  if (state === undefined || state.owner !== fiber) {
    throw codedError('ERR_INVALID_THIS', 'Receiver is not a Fiber', TypeError);
  }
  return state;
}

function enter(fiber: Fiber, state: FiberState, value: unknown, throwing: boolean): unknown {
  const saved = current;
  const savedCore = currentCore;
  current = fiber;
  currentCore = state.core;
  try {
    return resumeCore(state.core, value, throwing, state.fn);
  } finally {
    current = saved;
    currentCore = savedCore;
  }
}

const FiberFunction = function Fiber(this: Fiber | undefined, fn: (value?: unknown) => unknown): Fiber {
  if (!(this instanceof FiberFunction)) return new FiberFunction(fn);
  if (typeof fn !== 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'The "fn" argument must be a function', TypeError);
  }
  const co = new binding.Coroutine();
  const core: Core = { co, zombie: undefined, asyncBase: 0, asyncEntryId: 0, asyncEntryTrigger: 0, asyncSaved: undefined };
  Object.defineProperty(this, kState, { value: { fn, co, core, owner: this } });
  unwinder.register(this, core);
  return this;
} as unknown as FiberConstructor;

Object.defineProperties(FiberFunction.prototype, {
  run: {
    value: function run(this: Fiber, value?: unknown) {
      return enter(this, stateOf(this), value, false);
    },
    writable: true,
    configurable: true,
  },
  throwInto: {
    value: function throwInto(this: Fiber, error: unknown) {
      return enter(this, stateOf(this), error, true);
    },
    writable: true,
    configurable: true,
  },
  reset: {
    value: function reset(this: Fiber) {
      const state = stateOf(this);
      if (state.co.state() !== CoroutineState.Suspended) {
        if (state.co.state() === CoroutineState.Running) {
          throw codedError('ERR_FIBER_RUNNING', 'A running fiber cannot be reset');
        }
        return undefined;
      }
      // A zombie until its function ends: each Fiber.yield() it makes throws
      // the same error without switching, so it cannot suspend again.
      const zombie = new FiberResetError();
      state.core.zombie = zombie;
      try {
        return enter(this, state, zombie, true);
      } catch (error) {
        if (error !== zombie) throw error;
        return undefined;
      } finally {
        state.core.zombie = undefined;
      }
    },
    writable: true,
    configurable: true,
  },
  started: {
    get(this: Fiber) {
      const s = stateOf(this).co.state();
      return s === CoroutineState.Running || s === CoroutineState.Suspended;
    },
    configurable: true,
  },
});

function suspend(value: unknown, adoptContext: boolean): unknown {
  const zombie = currentCore?.zombie;
  if (zombie !== undefined) throw zombie;
  // Async scopes entered in this fiber leave the stack with it.
  if (currentCore !== undefined) onYield(currentCore);
  return binding.suspend(value, adoptContext);
}

Object.defineProperties(FiberFunction, {
  yield: {
    value: function yield_(value?: unknown) {
      return suspend(value, false);
    },
    writable: true,
    configurable: true,
  },
  current: {
    get: () => current,
    configurable: true,
  },
  poolSize: {
    get: () => binding.settings().poolSize,
    set: (n: number) => {
      binding.settings({ poolSize: n });
    },
    configurable: true,
  },
  stackSize: {
    get: () => binding.settings().stackSize,
    set: (n: number) => {
      binding.settings({ stackSize: n });
    },
    configurable: true,
  },
  fibersCreated: {
    get: () => binding.settings().fibersCreated,
    configurable: true,
  },
  backend: {
    value: binding.backend,
    enumerable: true,
  },
  switchPath: {
    value: binding.switchPath,
    enumerable: true,
  },
  switchReason: {
    value: binding.switchNote,
  },
  ResetError: {
    value: FiberResetError,
  },
  carriesAsyncScopes: {
    get: carriesAsyncScopes,
  },
  reportUncaught: {
    value: function reportUncaught(fn: () => unknown, keep?: (error: unknown) => boolean): boolean {
      return binding.reportUncaught(fn, keep);
    },
  },
});

// Not public: greenpatch/register calls it from its `--import` module's
// evaluation, a promise job by Node's construction (async-ids.ts says why
// that matters and what it must not be called from).
Object.defineProperty(FiberFunction, Symbol.for('@greenpatch/fibers.learnTopLevelResource'), {
  value: learnTopLevelResource,
});

// Not public: greenpatch's reusable fibers yield with it when their thread
// has finished. Like Fiber.yield(), but once resumed the fiber runs in its
// resumer's AsyncLocalStorage context (Node 24+ keeps that per flow of
// control), as a new fiber starts in it: the next green thread it runs
// belongs to whoever started that thread.
Object.defineProperty(FiberFunction, Symbol.for('@greenpatch/fibers.yieldIdle'), {
  value: function yieldIdle(value?: unknown) {
    return suspend(value, true);
  },
});

/** Creates and runs fibers; see {@link FiberConstructor}. */
export const Fiber: FiberConstructor = FiberFunction;
