#!/usr/bin/env node
// Bundles the runtime after tsc (`pnpm build` runs both), in dist/:
//
// - dist/runtime.js: every module of the runtime in one file (esbuild). A
//   process that loads greenpatch/register reads, resolves and compiles one
//   file instead of some fifty, which was most of the hook's start-up cost.
//   Each module in it still runs only when first required, as before.
// - at each module's own path (dist/hub.js, dist/green/fs.js, ...), in place
//   of tsc's output, a stub whose module.exports is that module's exports
//   object from the bundle, so that `greenpatch`, `greenpatch/register`,
//   `greenpatch/green/*` and any path into dist/ share one instance of each
//   module (one hub). The stub lists the module's export names for ES module
//   importers, which Node reads from a CommonJS file's source.
// - the rest as tsc wrote it: declarations (.d.ts) and their maps, the ES
//   module files (.mjs), and the command-line tool (cli/), a program of its
//   own whose files resolve paths relative to their own directory and reach
//   the runtime through the stubs.
//
// A plain `tsc -p packages/greenpatch` afterwards puts tsc's files back: the
// package then works unbundled (slower to start) until this runs again.
// Stack traces name dist/runtime.js; with --enable-source-maps, src/*.ts
// (runtime.js.map chains tsc's maps).
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const RUNTIME = 'runtime.js';
const MARK = 'bundled into runtime.js';

if (!existsSync(join(dist, 'index.js')) || readFileSync(join(dist, 'index.js'), 'utf8').includes(MARK)) {
  console.error(`bundle.mjs: ${dist} holds no fresh tsc output; run \`tsc -p tsconfig.json\` first`);
  process.exit(1);
}

/** Paths (with /) of the files under `dir`, relative to it. */
function walk(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...walk(join(dir, entry.name), `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

const files = walk(dist);
/** The command-line tool stays as tsc wrote it. */
const bundled = (rel) => rel.endsWith('.js') && !rel.startsWith('cli/') && rel !== RUNTIME;
const modules = files.filter(bundled);

// One loader for all modules: load('hub.js') is hub.js's exports.
const entry =
  'const modules = {\n' +
  modules.map((rel) => `  ${JSON.stringify(rel)}: () => require(${JSON.stringify(`./${rel}`)}),\n`).join('') +
  '};\n' +
  'module.exports = function load(name) {\n  return modules[name]();\n};\n';

await build({
  stdin: { contents: entry, resolveDir: dist, sourcefile: 'runtime-entry.js', loader: 'js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Dependencies (@greenpatch/fibers, require-in-the-middle...) stay packages of their own.
  packages: 'external',
  // Functions keep their names (util.inspect, thread labels) where bundling renames them.
  keepNames: true,
  // Node leaves out the source line of an uncaught error thrown on a line
  // that says node-do-not-add-exception-line: kept as a `//!` comment, which
  // esbuild puts on the line after the statement (moved back below).
  legalComments: 'inline',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  // thread-pool.js resolves its worker file beside itself: runtime.js sits in the same directory.
  logOverride: { 'require-resolve-not-external': 'silent' },
  outfile: join(dist, RUNTIME),
});

// Each marker back onto its throw's line; its own line stays, empty, so that the source map still holds.
const runtimeFile = join(dist, RUNTIME);
const lines = readFileSync(runtimeFile, 'utf8').split('\n');
let markers = 0;
for (let i = 1; i < lines.length; i++) {
  if (lines[i].trim() !== '//! node-do-not-add-exception-line') continue;
  lines[i - 1] += ' //! node-do-not-add-exception-line';
  lines[i] = '';
  markers++;
}
const marked = modules.reduce((n, rel) => n + readFileSync(join(dist, rel), 'utf8').split('node-do-not-add-exception-line').length - 1, 0);
if (markers !== marked) {
  console.error(`bundle.mjs: ${marked} throws marked node-do-not-add-exception-line, ${markers} found in ${RUNTIME}`);
  process.exit(1);
}
writeFileSync(runtimeFile, lines.join('\n'));

/** The stub at `rel`: the module from the bundle, and its export names for ES module importers. */
function stub(rel, source) {
  const runtime = relative(dirname(join(dist, rel)), join(dist, RUNTIME)).split(sep).join('/');
  const names = new Set();
  for (const m of source.matchAll(/\bexports\.([A-Za-z_$][\w$]*)\s*=/g)) names.add(m[1]);
  for (const m of source.matchAll(/Object\.defineProperty\(exports,\s*"([^"]+)"/g)) if (m[1] !== '__esModule') names.add(m[1]);
  const reexports = [...source.matchAll(/__exportStar\(require\(("[^"]+")\), exports\)/g)].map((m) => m[1]);
  const esModule = /Object\.defineProperty\(exports,\s*"__esModule"/.test(source);
  let text =
    '"use strict";\n' +
    `// src/${rel.replace(/\.js$/, '.ts')}, ${MARK} with the rest of the runtime (scripts/bundle.mjs).\n` +
    `module.exports = require(${JSON.stringify(runtime.startsWith('.') ? runtime : `./${runtime}`)})(${JSON.stringify(rel)});\n`;
  if (names.size > 0 || reexports.length > 0 || esModule) {
    text += '// The names ES modules may import from here: Node reads them from this source. Never runs.\n';
    text += 'if (0) {\n';
    if (esModule) text += '  Object.defineProperty(exports, "__esModule", { value: true });\n';
    if (names.size > 0) text += `  ${[...names].map((n) => `exports.${n}`).join(' = ')} = void 0;\n`;
    for (const spec of reexports) text += `  __exportStar(require(${spec}), exports);\n`;
    text += '}\n';
  }
  return text;
}

for (const rel of modules) {
  const file = join(dist, rel);
  writeFileSync(file, stub(rel, readFileSync(file, 'utf8')));
  // Its map is now part of runtime.js.map.
  rmSync(`${file}.map`, { force: true });
}
