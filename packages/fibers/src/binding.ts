// Loads the addon for the running Node: a prebuilt one shipped in
// prebuilds/, or one built from source at install (scripts/build-native.mjs),
// found by node-gyp-build.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { codedError } from './errors';
import { routeHomeCalls } from './home-calls';

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
  /** With `adoptContext`, the fiber runs on, when resumed, in its resumer's async context (AsyncLocalStorage on Node 24+). */
  suspend(value: unknown, adoptContext?: boolean): unknown;
  settings(change?: { poolSize?: number; stackSize?: number; v8StackSize?: number }): EngineSettings;
  backend: 'native' | 'threads';
  /**
   * How a switch hands V8's per-thread state over: "direct" (V8's archive
   * and restore functions called directly, every fiber one V8 thread) or
   * "locker" (v8::Unlocker/v8::Locker, each fiber a V8 thread of its own;
   * always so on the threads backend). See docs/engine-direct-switch.md.
   */
  switchPath: 'direct' | 'locker';
  /** Why that path: "every load check passed", the check that failed, or the setting that chose it. */
  switchNote: string;
  /**
   * Calls fn(); what it throws is reported as Node reports an uncaught
   * exception, from the throw's own line, unless keep(error) returns true.
   * Returns whether fn threw (src/native/uncaught.cc).
   */
  reportUncaught(fn: () => unknown, keep?: (error: unknown) => boolean): boolean;
  /** Direct path only, for a test: [same, report] comparing the symbol lookup done at load with a full scan of the symbol table (src/native/elf_symbols.cc). */
  compareSymbolLookups?(): [boolean, string];
  /** Test hook: how the direct path's one collection under a suspended fiber went (native/switch_self_test.h). */
  collectionCheck?(): string;
  /** Threads backend only: fn() run on the Node thread's own OS thread (see home-calls.ts). */
  callOnHome?(fn: () => unknown): unknown;
}

/** The addon's entry (src/native/addon.cc). */
interface Addon {
  /**
   * The named backend's surface for this thread (the native one switching
   * by `switchPath`, "auto" when not given); throws
   * ERR_GREENPATCH_UNSUPPORTED_RUNTIME when it cannot start.
   */
  start(backend: 'native' | 'threads', switchPath?: SwitchChoice): Binding;
  /** True the first time it is called in the process. */
  claimFallbackNotice(): boolean;
}

type SwitchChoice = 'auto' | 'direct' | 'locker';

/**
 * GREENPATCH_SWITCH: unset or empty, the direct switch path wherever its
 * load checks pass (the Locker path otherwise); "locker" selects the Locker
 * path; "direct" requires the direct one (loading throws
 * ERR_GREENPATCH_SWITCH_UNAVAILABLE, with the reason, where it cannot run).
 */
function switchChoice(): SwitchChoice {
  const wanted = process.env.GREENPATCH_SWITCH || undefined;
  if (wanted === undefined) return 'auto';
  if (wanted === 'direct' || wanted === 'locker') return wanted;
  throw codedError(
    'ERR_GREENPATCH_UNSUPPORTED_SWITCH',
    `GREENPATCH_SWITCH=${wanted} is not a switch path; use "direct" or "locker" (or leave it unset)`,
  );
}

/**
 * GREENPATCH_BACKEND=threads selects the threads backend, =native forces the
 * native one (an error if it cannot start); unset, native is tried first and
 * the threads backend takes over when it cannot start, with one line on
 * stderr saying why (once per process).
 *
 * GREENPATCH_TEST_NATIVE_FAILURE (for tests only): makes the native backend
 * fail to start as on an unsupported build, its value standing for the reason.
 * GREENPATCH_TEST_SWITCH_FAILURE (for tests only): makes the direct switch
 * path's load checks fail, likewise.
 */
function load(): Binding {
  const wanted = process.env.GREENPATCH_BACKEND || undefined;
  if (wanted !== undefined && wanted !== 'native' && wanted !== 'threads') {
    throw codedError(
      'ERR_GREENPATCH_UNSUPPORTED_BACKEND',
      `GREENPATCH_BACKEND=${wanted} is not a backend; use "native" or "threads" (or leave it unset)`,
    );
  }
  const switchPath = switchChoice();
  const file = addonPath();
  const addon = require(file) as Addon;
  let loaded: Binding;
  let nativeFailure: string | undefined;
  if (wanted === 'threads') {
    loaded = addon.start('threads');
  } else {
    try {
      loaded = startNative(addon, switchPath);
    } catch (error) {
      if (wanted === 'native' || (error as { code?: unknown }).code !== 'ERR_GREENPATCH_UNSUPPORTED_RUNTIME') throw error;
      nativeFailure = (error as Error).message;
      loaded = addon.start('threads');
      if (addon.claimFallbackNotice()) {
        const why = (error as Error).message.replace(/^@greenpatch\/fibers cannot run on this Node build: /, '');
        process.stderr.write(
          `@greenpatch/fibers: using the threads backend (slower), the native one cannot start: ${why.replace(/\s+/g, ' ')} ` +
            '(GREENPATCH_BACKEND=threads selects it without this notice)\n',
        );
      }
    }
  }
  if (loaded.backend === 'threads') {
    loaded.switchPath = 'locker';
    loaded.switchNote = 'the threads backend hands the isolate over with v8::Locker';
  }
  if (switchPath === 'direct' && loaded.switchPath !== 'direct') {
    const why = nativeFailure ?? loaded.switchNote;
    throw codedError(
      'ERR_GREENPATCH_SWITCH_UNAVAILABLE',
      `GREENPATCH_SWITCH=direct, but the direct switch path cannot run here: ${why.replace(/\s+/g, ' ')}`,
    );
  }
  // start() has also set V8's --no-wasm-code-gc (see src/native/addon.cc).
  loaded.settings({ v8StackSize: v8StackSizeFlag() * 1024 });
  routeHomeCalls(loaded);
  return loaded;
}

/**
 * The usual case, found without loading node-gyp-build (and `os`), which
 * costs every process start-up time: the file scripts/build-native.mjs
 * writes for this Node, when there is no build/ directory (which
 * node-gyp-build would look in first) and no LIBC override. Undefined otherwise.
 */
function prebuiltPath(): string | undefined {
  const dir = join(__dirname, '..');
  if (existsSync(join(dir, 'build')) || process.env.LIBC !== undefined) return undefined;
  // node-gyp-build's own test for musl.
  const libc = process.platform !== 'linux' ? '' : existsSync('/etc/alpine-release') ? '.musl' : '.glibc';
  const file = join(dir, 'prebuilds', `${process.platform}-${process.arch}`, `node.abi${process.versions.modules}${libc}.node`);
  return existsSync(file) ? file : undefined;
}

/** The addon's path; ERR_GREENPATCH_NOT_BUILT when there is none for this Node. */
function addonPath(): string {
  const prebuilt = prebuiltPath();
  if (prebuilt !== undefined) return prebuilt;
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  try {
    return nodeGypBuild.path(join(__dirname, '..'));
  } catch {
    // Both backends (native and threads) are in the addon: nothing runs without it.
    throw codedError(
      'ERR_GREENPATCH_NOT_BUILT',
      `@greenpatch/fibers has no compiled addon for Node ${process.version} on ${process.platform}-${process.arch} ` +
        '(prebuilt ones cover Node 20, 22, 24 and 26 on Linux x64 and arm64 with glibc), and building it from source ' +
        'at install did not happen or failed. Install a C++ compiler, make and python3 (Debian/Ubuntu: ' +
        '`apt-get install g++ make python3`; Alpine: `apk add g++ make python3`; macOS: `xcode-select --install`), ' +
        'then run `npm rebuild @greenpatch/fibers` (pnpm: `pnpm rebuild @greenpatch/fibers`; yarn: ' +
        '`yarn install --force`) in your project',
    );
  }
}

function startNative(addon: Addon, switchPath: SwitchChoice): Binding {
  const forced = process.env.GREENPATCH_TEST_NATIVE_FAILURE;
  if (forced) {
    throw codedError(
      'ERR_GREENPATCH_UNSUPPORTED_RUNTIME',
      `@greenpatch/fibers cannot run on this Node build: ${forced} (GREENPATCH_TEST_NATIVE_FAILURE is set)`,
    );
  }
  // For tests only: the direct path's load checks fail, with this reason.
  const refused = process.env.GREENPATCH_TEST_SWITCH_FAILURE;
  if (refused && switchPath !== 'locker') {
    const loaded = addon.start('native', 'locker');
    if (loaded.switchPath === 'locker') loaded.switchNote = `${refused} (GREENPATCH_TEST_SWITCH_FAILURE is set)`;
    return loaded;
  }
  return addon.start('native', switchPath);
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
