// A CommonJS entry run in the main green thread under `--import
// greenpatch/register`, as `--require` runs it (register.ts): loaded with
// Node's `Module._load(file, null, true)`, and what it throws reported from
// the green thread, where Node's report still shows the line that threw (an
// error rethrown to Node's ES module loader would be shown at Node's own).
import Module = require('node:module');

import { expectMainLoad } from './load-wrappers.js';
import { runEntryInGreenThread } from './register.js';

const M = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };

/** @internal Runs the CommonJS entry `file` (a path) in the main green thread. */
export function runCommonJSEntry(file: string): void {
  expectMainLoad();
  runEntryInGreenThread(file, true, () => M._load(file, null, true));
}
