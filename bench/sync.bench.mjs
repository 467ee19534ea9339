// Cooperative *Sync: 50 green threads each running a 100 ms child process
// through the patched `execFileSync`, beside the same 50 calls run one after
// another (stock `execFileSync`, which blocks the process), and beside stock
// `child_process.execFile` with `Promise.all` (the asynchronous way to get
// the same overlap). Every figure is measured in this run.
import childProcess from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const { patch, spawn } = require('../packages/greenpatch');

const N = 50;
const CHILD = ['sleep', ['0.1']];
const ROUNDS = 5; // the overlapped runs are short: take the median of a few

const stockExecFileSync = childProcess.execFileSync;
const execFile = promisify(childProcess.execFile);
patch({ child_process: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function joinAll(threads) {
  return Promise.all(threads.map((thread) => new Promise((resolve, reject) =>
    thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception))))));
}

async function greenRun() {
  const t0 = performance.now();
  const threads = Array.from({ length: N }, () => spawn(() => childProcess.execFileSync(...CHILD)));
  await joinAll(threads);
  return performance.now() - t0;
}

async function promiseAllRun() {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: N }, () => execFile(...CHILD)));
  return performance.now() - t0;
}

function serialRun() {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) stockExecFileSync(...CHILD);
  return performance.now() - t0;
}

// Warm up both paths once (first spawns pay for loading code).
await greenRun();
await promiseAllRun();

const green = [];
const promises = [];
for (let r = 0; r < ROUNDS; r++) {
  green.push(await greenRun());
  promises.push(await promiseAllRun());
}
const serial = serialRun();
const g = median(green);
const p = median(promises);

const ms = (v) => `${v.toFixed(0)} ms`;
console.log(`\nNode ${process.version}: ${N} children of \`${CHILD[0]} ${CHILD[1].join(' ')}\` (100 ms each); median of ${ROUNDS} for the overlapped runs`);
console.log('| measure | time | baseline | baseline time | ratio |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| ${N} green threads, patched \`execFileSync\` | ${ms(g)} | same ${N} calls serially (stock \`execFileSync\`) | ${ms(serial)} | ${(g / serial).toFixed(3)} (${(serial / g).toFixed(1)}x faster) |`);
console.log(`| ${N} green threads, patched \`execFileSync\` | ${ms(g)} | stock \`execFile\` + \`Promise.all\` | ${ms(p)} | ${(g / p).toFixed(2)} |`);
