// What the main thread and the loader hooks agree on.

/** URL search parameter holding a patched graph's id. */
export const GRAPH_PARAM = 'greenpatch-graph';
/** URL search parameter listing the graph's green builtins. */
export const MODULES_PARAM = 'greenpatch-modules';
/** URL scheme of the modules that re-export a green builtin. */
export const GREEN_SCHEME = 'greenpatch-green:';
/** `Symbol.for()` key of the main-thread runtime the generated modules call. */
export const RUNTIME_KEY = 'greenpatch.import-patched.runtime';

/** Sent to the hooks once, at registration. */
export interface HookData {
  /** Export names of each green module, for the re-exporting modules. */
  exportNames: Record<string, string[]>;
}

/** The main-thread functions the generated modules call. */
export interface Runtime {
  green(name: string): unknown;
  commonjs(filename: string, graphId: number): unknown;
}
