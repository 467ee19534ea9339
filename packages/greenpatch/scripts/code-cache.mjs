#!/usr/bin/env node
// Writes V8's code cache of greenpatch's bundles (dist/runtime*.js) for the
// Node running this script, beside them in dist/ (see src/boot/code-cache.ts),
// and of @greenpatch/fibers' bundle:
// a hooked process then starts without compiling them. The package's build
// runs it, and its install; run it again with another Node to add that
// Node's cache (`<node> scripts/code-cache.mjs`).
//
// With --install a failure (a read-only package directory, say) is a line
// on stderr and exit 0: greenpatch works without the cache, starting about
// 3 ms slower.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const install = process.argv.includes('--install');
const loader = fileURLToPath(new URL('../dist/boot/code-cache.js', import.meta.url));
const BUNDLES = ['runtime-start.js', 'runtime-patches.js', 'runtime.js'];

if (!existsSync(loader)) {
  // In the repository before the first build, pnpm runs install scripts too.
  if (!install) {
    console.error('code-cache.mjs: dist/ is not built; run the build first');
    process.exit(1);
  }
  process.exit(0);
}
try {
  const require = createRequire(loader);
  const { writeCodeCaches, FIBERS_BUNDLE, FIBERS_CACHE } = require(loader);
  // The engine's bundle, as greenpatch's fibers-package.ts finds it.
  const fibers = join(dirname(require.resolve('@greenpatch/fibers')), FIBERS_BUNDLE);
  const written = writeCodeCaches(BUNDLES, existsSync(fibers) ? { [FIBERS_CACHE]: fibers } : {});
  if (!install) console.log(`code-cache.mjs: ${process.version}: ${written.length} cache(s) written`);
} catch (error) {
  console.error(`greenpatch: no code cache written for Node ${process.version} (${error.message}); start-up is about 3 ms slower`);
  process.exit(install ? 0 : 1);
}
