#!/usr/bin/env node
// Writes V8's code cache of greenpatch's start-up bundles (dist/runtime*.js)
// and of @greenpatch/fibers' for the Node running this script, beside them
// in greenpatch's dist/ (see src/boot/code-cache.ts): a hooked process then
// starts without compiling them. It runs a hooked start in a child (the
// hook, then a program loading the builtins greenpatch patches), whose
// loader compiles the bundles and writes their caches at exit, with every
// function that start compiled. The package's build runs it, and its
// install; run it again with another Node to add that Node's cache
// (`<node> scripts/code-cache.mjs`).
//
// With --install a failure (a read-only package directory, say) is a line
// on stderr and exit 0: greenpatch works without the cache, starting about
// 3 ms slower.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const install = process.argv.includes('--install');
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const register = join(dist, 'register.js');

function fail(message) {
  console.error(install ? `greenpatch: no code cache written for Node ${process.version} (${message}); start-up is about 3 ms slower` : `code-cache.mjs: ${message}`);
  process.exit(install ? 0 : 1);
}

if (!existsSync(join(dist, 'boot/code-cache.js'))) {
  // In the repository before the first build, pnpm runs install scripts too.
  if (install) process.exit(0);
  fail('dist/ is not built; run the build first');
}
const dir = mkdtempSync(join(tmpdir(), 'greenpatch-code-cache-'));
try {
  const entry = join(dir, 'start.cjs');
  writeFileSync(entry, "for (const m of ['net', 'http', 'https', 'dns', 'child_process', 'dgram', 'fs', 'zlib', 'crypto']) require(`node:${m}`);\n");
  const env = { ...process.env, GREENPATCH_WRITE_CODE_CACHE: '1' };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ['--require', register, entry], { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) fail(`the hooked start failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  const written = r.stdout.trim().split('\n').filter(Boolean);
  if (written.length === 0) fail('the hooked start compiled no bundle');
  if (!install) console.log(`code-cache.mjs: ${process.version}: ${written.length} cache(s) written`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
