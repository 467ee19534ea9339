// Which of greenpatch's modules a child process ran. tsc writes one file per
// module; `pnpm build` then bundles them into dist/runtime-start.js,
// dist/runtime-patches.js and dist/runtime.js (scripts/bundle-dist.mjs),
// where each still runs only when first required,
// inside a wrapper function named by its path. V8's coverage
// (NODE_V8_COVERAGE) counts the calls of every function, so it tells which
// ran in either layout, where require.cache sees only files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const distDir = /\/packages\/greenpatch\/dist\/(.+\.js)$/;

/**
 * spawnSync(process.execPath, args, options) with coverage on; returns its
 * result and `modules`: the paths inside greenpatch's dist/ of the modules
 * that ran ('hub.js', 'green/fs.js'...), sorted.
 */
export function spawnCountingModules(args, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'greenpatch-coverage-'));
  try {
    const result = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      timeout: 30_000,
      ...options,
      env: { ...(options.env ?? process.env), NODE_V8_COVERAGE: dir },
    });
    const modules = new Set();
    for (const file of readdirSync(dir)) {
      for (const script of JSON.parse(readFileSync(join(dir, file), 'utf8')).result) {
        const path = distDir.exec(script.url)?.[1];
        if (path === undefined) continue;
        if (!/^runtime(-start|-patches)?\.js$/.test(path)) {
          // A file of its own (a stub, or tsc's output): it ran when loaded.
          if (script.functions.some((f) => f.ranges[0]?.count > 0)) modules.add(path);
          continue;
        }
        for (const f of script.functions) {
          const inner = /(?:^|\/)dist\/(.+\.js)$/.exec(f.functionName)?.[1];
          if (inner !== undefined && f.ranges[0]?.count > 0) modules.add(inner);
        }
      }
    }
    return { result, modules: [...modules].sort() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
