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
// Headers come from <prefix>/include/node beside the Node binary when they
// are there (offline); otherwise node-gyp fetches them as it always does.
//
// --install: a prebuilt addon that loads in this Node is kept as is; else the
// addon is built from source. If that fails too the install still succeeds,
// with a note on what to install; loading the package then throws
// ERR_GREENPATCH_NOT_BUILT with the same advice.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const require = createRequire(import.meta.url);
const node = process.env.GREENPATCH_NODE ? resolve(process.env.GREENPATCH_NODE) : process.execPath;
const force = process.argv.includes('--force');
const install = process.argv.includes('--install');
const archFlag = process.argv.find((a) => a.startsWith('--arch='))?.slice('--arch='.length);

if (install) {
  if (prebuildLoads()) process.exit(0);
  try {
    build();
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
  build();
} catch (error) {
  console.error(`build-native: ${error.message}`);
  process.exit(1);
}

/** Whether a prebuilt addon for the running Node is there and loads (it may need a newer C library). */
function prebuildLoads() {
  try {
    require(require('node-gyp-build').path(pkg));
    return true;
  } catch {
    return false;
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
  if (!force && !install && existsSync(out) && statSync(out).mtimeMs >= newest) return;

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
}
