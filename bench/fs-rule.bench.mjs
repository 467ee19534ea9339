// The cost of the cooperative fs rule on regular files: inside a green
// thread the patched `readFileSync` and `writeSync` first stat/fstat their
// target (a FIFO, pipe, socket or character device cooperates; anything else
// runs Node's own), so on a regular file they cost stock's time plus that
// check. Measured beside stock in the same run, per call, median of rounds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { patch, spawn } = require('../packages/greenpatch');

const CALLS = 50_000;
const ROUNDS = 5;
const stock = { readFileSync: fs.readFileSync, writeSync: fs.writeSync };
patch({ fs: true });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greenpatch-fs-rule-'));
const file = path.join(dir, 'small');
fs.writeFileSync(file, 'x'.repeat(100));
const fd = fs.openSync(path.join(dir, 'out'), 'w');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function perCall(fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) fn();
  return Number(process.hrtime.bigint() - t0) / CALLS / 1000; // µs
}

const rows = await new Promise((resolve, reject) => {
  const thread = spawn(() => {
    const runs = { readStock: [], readPatched: [], writeStock: [], writePatched: [] };
    for (let r = 0; r < ROUNDS; r++) {
      runs.readStock.push(perCall(() => stock.readFileSync(file)));
      runs.readPatched.push(perCall(() => fs.readFileSync(file)));
      runs.writeStock.push(perCall(() => stock.writeSync(fd, 'y', 0)));
      runs.writePatched.push(perCall(() => fs.writeSync(fd, 'y', 0)));
    }
    return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
  });
  thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception)));
});
fs.closeSync(fd);
fs.rmSync(dir, { recursive: true, force: true });

const us = (v) => `${v.toFixed(2)} µs`;
console.log(`\nNode ${process.version}: ${CALLS} calls on a regular file inside a green thread, median of ${ROUNDS}`);
console.log('| measure | time per call | baseline | baseline time | ratio |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| patched \`readFileSync\` (100 bytes) | ${us(rows.readPatched)} | stock \`readFileSync\` | ${us(rows.readStock)} | ${(rows.readPatched / rows.readStock).toFixed(2)} |`);
console.log(`| patched \`writeSync\` (1 byte) | ${us(rows.writePatched)} | stock \`writeSync\` | ${us(rows.writeStock)} | ${(rows.writePatched / rows.writeStock).toFixed(2)} |`);
