// Loads the addon built by scripts/build-native.mjs for the running Node.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { codedError } from './errors';

/** The native handle behind one fiber. */
export interface NativeCoroutine {
  /**
   * Enters the fiber: starts `fn` (when new or finished) with `value`, or
   * resumes its suspend() with `value`, thrown there when `throwing`.
   * Returns what the fiber suspends with or returns; rethrows what it throws.
   */
  resume(value: unknown, throwing: boolean, fn?: (value: unknown) => unknown): unknown;
  /** 0 new, 1 running, 2 suspended, 3 finished. */
  state(): CoroutineState;
}

export const enum CoroutineState {
  New = 0,
  Running = 1,
  Suspended = 2,
  Done = 3,
}

export interface EngineSettings {
  poolSize: number;
  stackSize: number;
  minStackSize: number;
  fibersCreated: number;
  pooled: number;
  suspended: number;
}

export interface Binding {
  Coroutine: new () => NativeCoroutine;
  /** Leaves the current fiber for its resumer; returns what the next resume hands in. */
  suspend(value: unknown): unknown;
  settings(change?: { poolSize?: number; stackSize?: number; v8StackSize?: number }): EngineSettings;
  backend: 'native' | 'threads';
}

function load(): Binding {
  const wanted = process.env.GREENPATCH_BACKEND;
  if (wanted !== undefined && wanted !== '' && wanted !== 'native') {
    throw codedError(
      'ERR_GREENPATCH_UNSUPPORTED_BACKEND',
      `GREENPATCH_BACKEND=${wanted} is not available in this build; the only backend is "native"`,
    );
  }
  const dir = `${process.platform}-${process.arch}-node${process.versions.modules}`;
  const file = join(__dirname, '..', 'prebuilds', dir, 'greenpatch_fibers.node');
  if (!existsSync(file)) {
    throw codedError(
      'ERR_GREENPATCH_NOT_BUILT',
      `@greenpatch/fibers has no addon for Node ${process.version} (${dir}); ` +
        'build it with `pnpm build` (or `node scripts/build-native.mjs` in packages/fibers)',
    );
  }
  const loaded = require(file) as Binding;
  loaded.settings({ v8StackSize: v8StackSizeFlag() * 1024 });
  return loaded;
}

/**
 * V8's JavaScript stack area per thread, in KiB: the last --stack-size given
 * to node, else V8's default for 64-bit targets. Fibers get the same area.
 */
function v8StackSizeFlag(): number {
  let kib = 984;
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const m = /^--stack[-_]size(?:=(\d+))?$/.exec(args[i]!);
    if (m === null) continue;
    const value = Number(m[1] ?? args[i + 1]);
    if (Number.isInteger(value) && value > 0) kib = value;
  }
  return kib;
}

export const binding: Binding = load();
