#!/usr/bin/env node
// Runs every bench/*.bench.mjs in turn, each in its own process with a time
// bound, and prints their tables. `node bench/run.mjs fibers hub` runs only
// those. Every figure is printed beside a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.bench\.mjs$/, '')))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n## ${file.replace(/\.bench\.mjs$/, '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, file)], {
    stdio: 'inherit',
    timeout: 10 * 60 * 1000,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) {
    failed++;
    console.log(`(${file} ${r.signal ? `was stopped by ${r.signal}` : `exited with ${r.status}`})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
