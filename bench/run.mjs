#!/usr/bin/env node
// Runs every bench/*.bench.mjs in turn, each in its own process with a time
// bound, and prints their tables. `node bench/run.mjs fibers hub` runs only
// those. Every figure is printed beside a baseline measured in the same run.
// `--short` asks for the short version where a bench has one (the soak: 20 s
// and 2,000 connections instead of 300 s and 10,000; SOAK_SECONDS and
// SOAK_CONNECTIONS set them).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const env = args.includes('--short') ? { ...process.env, SOAK_SHORT: '1' } : process.env;
// The soak runs as long as it is asked to, plus set-up and tear-down.
const bound = Math.max(10 * 60, (Number(process.env.SOAK_SECONDS) || 0) + 5 * 60) * 1000;
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.bench\.mjs$/, '')))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n## ${file.replace(/\.bench\.mjs$/, '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, file)], {
    stdio: 'inherit',
    env,
    timeout: bound,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) {
    failed++;
    console.log(`(${file} ${r.signal ? `was stopped by ${r.signal}` : `exited with ${r.status}`})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
