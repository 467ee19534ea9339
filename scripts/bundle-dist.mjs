#!/usr/bin/env node
// Bundles a package's runtime after tsc (its `pnpm build` runs both), in
// its dist/:
//
//   node ../../scripts/bundle-dist.mjs --start <module,...> [--patches <module,...>] [--keep <dir/,...>]
//     [--package-through <package>=<module>] [--code-cache <module>]
//   (each package's `bundle` script, which its `build` runs)
//
// - the package's modules in two files (esbuild): dist/runtime-start.js holds
//   the --start modules and what they import at top level (what a process
//   runs at start-up: for greenpatch, what `greenpatch/register` runs for
//   every program, so register.js with the cooperative functions of the
//   patches applied at start-up, fs's (Node loads fs itself) and the global
//   Atomics'; for @greenpatch/fibers, its main module), dist/runtime.js the
//   rest. With --patches, a third file, dist/runtime-patches.js, holds those
//   modules and what they import at top level that is not in the start file:
//   for greenpatch, what the builtin patches install, which a process loads
//   only when it applies one (on Node 20, before an ES entry; elsewhere when
//   the program loads net, http...), so that the start file, compiled by
//   every process, does not grow with it. The start and patches files reach
//   each other's modules through the other file's loader, not the stubs
//   (fewer files to load). A process reads, resolves and
//   compiles one file instead of one per module (about 0.1 ms each, most of
//   greenpatch/register's start-up cost before), and compiles none of the
//   code it does not run (compiling is per byte). Each module still runs
//   only when first required, as before; a module requires one of the
//   other file through its stub.
// - at each module's own path (dist/hub.js, dist/green/fs.js, ...), in place
//   of tsc's output, a stub whose module.exports is that module's exports
//   object from its bundle, so that every way into the package (its exports
//   map, a path into dist/) shares one instance of each module (one hub, one
//   fiber engine). The stub lists the module's export names for ES module
//   importers, which Node reads from a CommonJS file's source.
// - the rest as tsc wrote it: declarations (.d.ts) and their maps, ES module
//   files (.mjs), and the --keep directories (greenpatch's cli/, a program
//   of its own whose files resolve paths relative to their own directory
//   and reach the runtime through the stubs).
//
// - with --code-cache, the stubs and the start and patches files load a
//   bundle through that kept module's load(bundle) (greenpatch's
//   boot/code-cache.js: V8's code cache, when one was written for the
//   running Node), not a plain require(); old caches are removed.
//
// A plain `tsc` afterwards puts tsc's files back: the package then works
// unbundled (slower to start) until this runs again. Stack traces name
// dist/runtime*.js; with --enable-source-maps, src/*.ts (their maps chain
// tsc's).
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1].split(',').filter(Boolean) : [];
};
const dist = join(process.cwd(), 'dist');
const RUNTIME = 'runtime.js';
const START = 'runtime-start.js';
const PATCHES = 'runtime-patches.js';
const MARK = 'bundled into runtime';
const START_ROOTS = option('--start');
const PATCH_ROOTS = option('--patches');
const KEEP = option('--keep');
// package name -> the module (path in dist/) its require goes through.
const THROUGH = new Map(option('--package-through').map((pair) => pair.split('=')));
const [CODE_CACHE] = option('--code-cache');
if (START_ROOTS.length === 0) {
  console.error('usage: bundle-dist.mjs --start <module,...> [--keep <dir/,...>] (in the package directory)');
  process.exit(2);
}

if (!existsSync(join(dist, 'index.js')) || readFileSync(join(dist, 'index.js'), 'utf8').includes(MARK)) {
  console.error(`bundle-dist.mjs: ${dist} holds no fresh tsc output; run \`tsc -p tsconfig.json\` first`);
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
const bundled = (rel) => rel.endsWith('.js') && !KEEP.some((dir) => rel.startsWith(dir)) && rel !== RUNTIME && rel !== START && rel !== PATCHES;
const modules = files.filter(bundled);
const sources = new Map(modules.map((rel) => [rel, readFileSync(join(dist, rel), 'utf8')]));

/** The module in dist/ that `request` (relative) names from directory `from`, as CommonJS resolves it; undefined if none. */
function moduleAt(from, request) {
  const path = relative(dist, join(from, request)).split(sep).join('/');
  return [path, `${path}.js`, `${path}/index.js`].find((candidate) => sources.has(candidate));
}

/** The modules `rel` requires at its top level (tsc writes those unindented), as paths in dist/. */
function imports(rel) {
  const found = [];
  for (const m of sources.get(rel).matchAll(/^(?!\s).*?\brequire\("(\.{1,2}\/[^"]+)"\)/gm)) {
    const dep = moduleAt(join(dist, dirname(rel)), m[1]);
    if (dep !== undefined) found.push(dep);
  }
  for (const [name, through] of THROUGH) {
    if (rel === through) continue;
    const call = `require(${JSON.stringify(name)})`;
    if (sources.get(rel).split('\n').some((line) => !/^\s/.test(line) && line.includes(call))) found.push(through);
  }
  return found;
}

/** `roots` and what they import at top level, but the modules in `outside`. */
function closure(roots, outside = new Set()) {
  const found = new Set();
  const pending = [...roots];
  while (pending.length > 0) {
    const rel = pending.pop();
    if (found.has(rel) || outside.has(rel) || !sources.has(rel)) continue;
    found.add(rel);
    pending.push(...imports(rel));
  }
  return found;
}
const startSet = closure(START_ROOTS);
const patchSet = closure(PATCH_ROOTS, startSet);
const bundleOf = (rel) => (startSet.has(rel) ? START : patchSet.has(rel) ? PATCHES : RUNTIME);
const bundleFiles = patchSet.size > 0 ? [START, PATCHES, RUNTIME] : [START, RUNTIME];

/** The expression that loads `bundleFile`'s loader, from a file in dist/'s directory `fromDir`. */
function loaderOf(bundleFile, fromDir) {
  const rel = (target) => {
    const r = relative(fromDir, join(dist, target)).split(sep).join('/');
    return JSON.stringify(r.startsWith('.') ? r : `./${r}`);
  };
  return CODE_CACHE === undefined ? `require(${rel(bundleFile)})` : `require(${rel(CODE_CACHE)}).load(${JSON.stringify(bundleFile)})`;
}

// Caches of the bundles about to be rewritten are stale.
for (const rel of files) if (/^[\w-]*runtime[\w-]*\.js\..*\.cache$/.test(rel)) rmSync(join(dist, rel));

for (const file of bundleFiles) await bundle(file, modules.filter((rel) => bundleOf(rel) === file));

// One instance of each module: none may be in both files (a require the
// plugin did not send through a stub would put a copy in the other).
const inBundle = (file) =>
  new Set([...readFileSync(join(dist, file), 'utf8').matchAll(/^\/\/ (?:.*\/)?dist\/(\S+\.js)$/gm)].map((m) => m[1]));
const seenIn = new Map();
const twice = [];
for (const file of bundleFiles) {
  for (const rel of inBundle(file)) {
    if (seenIn.has(rel)) twice.push(rel);
    seenIn.set(rel, file);
  }
}
if (twice.length > 0) {
  console.error(`bundle-dist.mjs: in both bundles: ${twice.join(', ')}`);
  process.exit(1);
}

async function bundle(file, members) {
  // One loader per file: load('hub.js') is hub.js's exports.
  const entry =
    'const modules = {\n' +
    members.map((rel) => `  ${JSON.stringify(rel)}: () => require(${JSON.stringify(`./${rel}`)}),\n`).join('') +
    '};\n' +
    'module.exports = function loadBundledModule(name) {\n  return modules[name]();\n};\n';
  await build({
  stdin: { contents: entry, resolveDir: dist, sourcefile: `${file}-entry.js`, loader: 'js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Dependencies (@greenpatch/fibers, require-in-the-middle...) stay packages of their own.
  packages: 'external',
  // Functions and classes keep their names (util.inspect, stack traces) where bundling renames them (class Timeout becomes _Timeout).
  keepNames: true,
  // Node leaves out the source line of an uncaught error thrown on a line
  // that says node-do-not-add-exception-line: kept as a `//!` comment, which
  // esbuild puts on the line after the statement (moved back below).
  legalComments: 'inline',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  // greenpatch's thread-pool.js resolves its worker file beside itself: the bundles sit in the same directory.
  logOverride: { 'require-resolve-not-external': 'silent' },
  outfile: join(dist, file),
  plugins: [
    {
      // A module of the other file is required through its stub.
      name: 'other-file',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, (args) => {
          if (args.namespace === 'bundle-module') return { path: args.path, external: true };
          // A kept module (greenpatch's boot/code-cache.js) stays a file of its own: one instance.
          const kept = relative(dist, join(args.resolveDir, args.path)).split(sep).join('/');
          if (KEEP.some((dir) => kept.startsWith(dir))) return { path: `./${kept}`, external: true };
          const rel = moduleAt(args.resolveDir, args.path);
          if (rel === undefined || bundleOf(rel) === file) return undefined;
          // Between the start and patches files, straight from the other
          // file's loader: no stub file to read (each costs a file load).
          if ((file === PATCHES && bundleOf(rel) === START) || (file === START && bundleOf(rel) === PATCHES)) {
            return { path: rel, namespace: 'bundle-module' };
          }
          return { path: `./${rel}`, external: true };
        });
        b.onLoad({ filter: /.*/, namespace: 'bundle-module' }, (args) => ({
          contents: `module.exports = ${loaderOf(bundleOf(args.path), dist)}(${JSON.stringify(args.path)});`,
          resolveDir: dist,
          loader: 'js',
        }));
      },
    },
    {
      // A package required through a module of this one (--package-through).
      name: 'package-through',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          const through = THROUGH.get(args.path);
          if (through === undefined || args.importer === join(dist, through)) return undefined;
          if (bundleOf(through) === file) return { path: join(dist, through) };
          return { path: `./${through}`, external: true };
        });
      },
    },
  ],
});
  if (file === START) factoriesCompiledEagerly(file, members);
  markersBackOnTheirLines(file, members);
  keptNamesNotRedefined(file);
}

/** Each `__name(f, "f");` statement (f's name already "f") as an empty line: the line numbers and the source map hold. */
function keptNamesNotRedefined(file) {
  const text = readFileSync(join(dist, file), 'utf8');
  writeFileSync(join(dist, file), text.replace(/^[ \t]*__name\(([A-Za-z_$][\w$]*), "\1"\);[ \t]*$/gm, ''));
}

/**
 * In the start file, each module's factory as a parenthesized function
 * expression rather than a method (`"dist/hub.js": (function (exports) {`),
 * which V8 compiles with the file instead of pre-parsing it then parsing it
 * again at its first call: every module there runs at start-up anyway.
 * About 0.2 ms of greenpatch/register's start-up on each major. The
 * function keeps its name (the property's) for stack traces; only the
 * changed lines' columns move in the source map.
 */
function factoriesCompiledEagerly(file, members) {
  const lines = readFileSync(join(dist, file), 'utf8').split('\n');
  let opened = 0;
  let closed = 0;
  let inside = false;
  for (let i = 1; i < lines.length - 1; i++) {
    const open = /^ {2}("dist\/[^"]+\.js")\(([\w$, ]*)\) \{$/.exec(lines[i]);
    if (open !== null && lines[i - 1].endsWith('= __commonJS({')) {
      lines[i] = `  ${open[1]}: (function (${open[2]}) {`;
      opened++;
      inside = true;
    } else if (inside && lines[i] === '  }' && lines[i + 1] === '});') {
      lines[i] = '  })';
      closed++;
      inside = false;
    }
  }
  if (opened !== members.length || closed !== opened) {
    console.error(`bundle-dist.mjs: ${members.length} modules in ${file}, ${opened} factories found, ${closed} closed`);
    process.exit(1);
  }
  writeFileSync(join(dist, file), lines.join('\n'));
}

/** Each marker back onto its throw's line; its own line stays, empty, so that the source map still holds. */
function markersBackOnTheirLines(file, members) {
  const lines = readFileSync(join(dist, file), 'utf8').split('\n');
  let markers = 0;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() !== '//! node-do-not-add-exception-line') continue;
    lines[i - 1] += ' //! node-do-not-add-exception-line';
    lines[i] = '';
    markers++;
  }
  const marked = members.reduce((n, rel) => n + sources.get(rel).split('node-do-not-add-exception-line').length - 1, 0);
  if (markers !== marked) {
    console.error(`bundle-dist.mjs: ${marked} throws marked node-do-not-add-exception-line, ${markers} found in ${file}`);
    process.exit(1);
  }
  writeFileSync(join(dist, file), lines.join('\n'));
}

/** The stub at `rel`: the module from the bundle, and its export names for ES module importers. */
function stub(rel, source) {
  const names = new Set();
  for (const m of source.matchAll(/\bexports\.([A-Za-z_$][\w$]*)\s*=/g)) names.add(m[1]);
  for (const m of source.matchAll(/Object\.defineProperty\(exports,\s*"([^"]+)"/g)) if (m[1] !== '__esModule') names.add(m[1]);
  const reexports = [...source.matchAll(/__exportStar\(require\(("[^"]+")\), exports\)/g)].map((m) => m[1]);
  const esModule = /Object\.defineProperty\(exports,\s*"__esModule"/.test(source);
  let text =
    '"use strict";\n' +
    `// src/${rel.replace(/\.js$/, '.ts')}, ${bundleOf(rel).replace('runtime', MARK)} (scripts/bundle-dist.mjs).\n` +
    // Not `module.exports = require(...)(...)`: Node's reader of CommonJS
    // exports for ES importers would take that for a re-export of the whole
    // bundle and read all of it (Node 20 and 22 read every module an ES
    // module imports this way).
    `const load = ${loaderOf(bundleOf(rel), dirname(join(dist, rel)))};\n` +
    `module.exports = load(${JSON.stringify(rel)});\n`;
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
  writeFileSync(file, stub(rel, sources.get(rel)));
  // Its map is now part of runtime.js.map.
  rmSync(`${file}.map`, { force: true });
}
