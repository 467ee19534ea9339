#!/usr/bin/env node
// Builds the addon and puts it where src/binding.ts (node-gyp-build) looks:
//   prebuilds/<platform>-<arch>/node.abi<ABI>[.glibc|.musl].node
//
//   node scripts/build-native.mjs            for the Node running it
//   GREENPATCH_NODE=/path/to/node ...        for another Node binary
//   ... --arch=arm64                         cross-built (CXX=aarch64-linux-gnu-g++ etc.)
//   ... --force                              even when the output is up to date
//   ... --install                            the package's install script (below)
//
// Then the symbol index for that Node (src/native/symbol_index.h): the
// freshly built addon, loaded by that `node`, looks up V8's symbols as at
// any start and writes down where in the executable's symbol table each one
// is, beside itself (<addon>.<key of the executable>.symbols). Every start
// of that `node` then reads just those entries, each checked, instead of
// scanning the table (milliseconds on Node 24 and 26). Another `node`, even
// of the same ABI, finds no index of its own and scans as before.
//
// Headers come from <prefix>/include/node beside the Node binary when they
// are there (offline); otherwise node-gyp fetches them as it always does.
//
// --install: a prebuilt addon that loads in this Node is kept as is; else the
// addon is built from source. If that fails too the install still succeeds,
// with a note on what to install; loading the package then throws
// ERR_GREENPATCH_NOT_BUILT with the same advice.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const require = createRequire(import.meta.url);
const node = process.env.GREENPATCH_NODE ? resolve(process.env.GREENPATCH_NODE) : process.execPath;
const force = process.argv.includes('--force');
const install = process.argv.includes('--install');
const archFlag = process.argv.find((a) => a.startsWith('--arch='))?.slice('--arch='.length);

if (install) {
  const prebuilt = prebuildLoads();
  if (prebuilt) {
    writeSymbolIndex(prebuilt);
    process.exit(0);
  }
  try {
    writeSymbolIndex(build());
  } catch (error) {
    process.stderr.write(
      '@greenpatch/fibers: no prebuilt addon fits this system ' +
        `(${process.platform}-${process.arch}, Node ${process.version}) and building it from source failed` +
        (error && error.message ? `:\n  ${String(error.message).split('\n')[0]}\n` : '.\n') +
        'The package is installed but cannot load until the addon is built. Install a C++ compiler, make ' +
        'and python3 (Debian/Ubuntu: apt-get install g++ make python3; Alpine: apk add g++ make python3; ' +
        'macOS: xcode-select --install), then run: npm rebuild @greenpatch/fibers\n',
    );
  }
  process.exit(0);
}
try {
  const out = build();
  writeSymbolIndex(out);
} catch (error) {
  console.error(`build-native: ${error.message}`);
  process.exit(1);
}

/** The prebuilt addon's path when one for the running Node is there and loads (it may need a newer C library). */
function prebuildLoads() {
  try {
    const path = require('node-gyp-build').path(pkg);
    require(path);
    return { path, rebuilt: false };
  } catch {
    return null;
  }
}

/**
 * Writes the symbol index of `node` beside the addon at `addon.path`; when
 * the addon was just rebuilt, first removes its indices for other
 * executables (the names they hold are the old build's). Best effort: without
 * an index every start scans the symbol table instead.
 */
function writeSymbolIndex(addon) {
  try {
    writeSymbolIndexOrThrow(addon);
  } catch (error) {
    if (!install) console.log(`build-native: no symbol index written (${error.message})`);
  }
}

function writeSymbolIndexOrThrow({ path: addon, rebuilt }) {
  const dir = realpathSync(dirname(addon));
  const stem = basename(addon).replace(/\.node$/, '');
  const ours = (name) => name.startsWith(`${stem}.`) && name.endsWith('.symbols');
  if (rebuilt) {
    for (const name of readdirSync(dir)) if (ours(name)) rmSync(join(dir, name), { force: true });
  }
  if (archFlag && archFlag !== process.arch) return; // cross-built: this machine cannot load it
  // A clean child: the default switch path and backend, so that every
  // lookup a start makes is made.
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('GREENPATCH_')) delete env[key];
  const code = `const a = require(${JSON.stringify(addon)});
try { a.start('native'); } catch {}
process.stdout.write(JSON.stringify(typeof a.symbolIndex === 'function' ? a.symbolIndex() : []));`;
  const r = spawnSync(node, ['-e', code], { env, encoding: 'utf8', timeout: 60_000 });
  let files = [];
  try {
    if (r.status === 0) files = JSON.parse(r.stdout);
  } catch {}
  for (const file of files) {
    const name = basename(String(file.path));
    if (!ours(name) || realpathSync(dirname(String(file.path))) !== dir || typeof file.text !== 'string') continue;
    const temp = join(dir, `.${name}.${process.pid}`);
    writeFileSync(temp, file.text);
    renameSync(temp, join(dir, name));
    if (!install) console.log(`build-native: symbol index -> ${relative(pkg, join(dir, name))}`);
  }
  if (files.length === 0 && !install) {
    console.log(`build-native: no symbol index written (${r.status === 0 ? 'nothing looked up' : String(r.stderr || r.error).trim().split('\n')[0]})`);
  }
}

function build() {
  const probe = JSON.parse(
    execFileSync(node, ['-p', 'JSON.stringify([process.versions.modules, process.platform, process.arch, process.version])'], {
      encoding: 'utf8',
    }),
  );
  const [abi, platform, hostArch, version] = probe;
  const arch = archFlag ?? hostArch;
  // The same libc test as node-gyp-build's, so that it finds what is built here.
  const libc = platform !== 'linux' ? '' : process.env.LIBC || (existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
  const outDir = join(pkg, 'prebuilds', `${platform}-${arch}`);
  const out = join(outDir, `node.abi${abi}${libc ? `.${libc}` : ''}.node`);

  const sources = [join(pkg, 'binding.gyp'), ...readdirSync(join(pkg, 'src/native')).map((f) => join(pkg, 'src/native', f))];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (!force && !install && existsSync(out) && statSync(out).mtimeMs >= newest) return { path: out, rebuilt: false };

  const gypArgs = ['rebuild', '--jobs=max', '--loglevel=warn'];
  const nodedir = [resolve(dirname(node), '..'), process.env.npm_config_nodedir]
    .filter(Boolean)
    .find((dir) => existsSync(join(dir, 'include', 'node', 'node.h')));
  if (nodedir) gypArgs.push(`--nodedir=${nodedir}`);
  else gypArgs.push(`--target=${version.slice(1)}`);
  if (archFlag) gypArgs.push(`--arch=${archFlag}`);
  const env = { ...process.env };
  delete env.npm_config_nodedir;
  let gyp;
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    gyp = process.env.npm_config_node_gyp;
    if (!gyp) throw new Error('node-gyp is not installed');
  }
  try {
    execFileSync(node, [gyp, ...gypArgs], { cwd: pkg, stdio: ['ignore', 'ignore', 'pipe'], env, encoding: 'utf8' });
  } catch (error) {
    const detail = String(error.stderr || '').trim().split('\n').slice(-12).join('\n');
    throw new Error(`node-gyp ${gypArgs[0]} failed for Node ${version} (${platform}-${arch})${detail ? `:\n${detail}` : ''}`);
  }
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(pkg, 'build', 'Release', 'greenpatch_fibers.node'), out);
  // node-gyp-build prefers build/Release to prebuilds/: leave nothing there
  // that could be for another Node.
  rmSync(join(pkg, 'build'), { recursive: true, force: true });
  if (!install) console.log(`build-native: ${version} ${arch} -> ${out.slice(pkg.length + 1)}`);
  return { path: out, rebuilt: true };
}
