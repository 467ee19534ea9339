#!/usr/bin/env node
// The `greenpatch` command: runs a Node program as `node --require
// greenpatch/register` would (its entry in the main green thread, builtins
// patched), on one process or, with --workers, on several behind node:cluster.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import Module = require('node:module');
import { dirname, join, resolve } from 'node:path';

import { parseArgs, UsageError, usage, type Invocation } from './args';
import { runCluster } from './cluster';

function main(argv: string[]): void {
  let invocation: Invocation;
  try {
    invocation = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`greenpatch: ${error.message}\nRun 'greenpatch --help' for usage.\n`);
    process.exitCode = 2;
    return;
  }
  if (invocation.kind === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (invocation.kind === 'version') {
    process.stdout.write(`greenpatch ${ownVersion()} (node ${process.version})\n`);
    return;
  }
  const entry = resolve(invocation.entry);
  if (!existsSync(entry)) {
    process.stderr.write(`greenpatch: cannot find the program '${invocation.entry}' (looked for ${entry})\n`);
    process.exitCode = 2;
    return;
  }
  const register = registerFor(entry);
  if (invocation.workers !== undefined) {
    runCluster({ entry, args: invocation.args, nodeFlags: invocation.nodeFlags, register, workers: invocation.workers });
  } else if (invocation.nodeFlags.length === 0) {
    runHere(entry, invocation.args, register);
  } else {
    runChild(entry, invocation.args, invocation.nodeFlags, register);
  }
}

/**
 * This process becomes the program: same argv, execArgv (so forked children
 * get greenpatch too) and main module as under `node --require`, and signals
 * reach the program directly.
 */
function runHere(entry: string, args: string[], register: string): void {
  process.argv = [process.argv[0]!, entry, ...args];
  process.execArgv.push('--require', register);
  require(register);
  (Module as unknown as { runMain(main: string): void }).runMain(entry);
}

/** Node flags need a fresh process: the program runs in a child; signals sent to this one are passed on. */
function runChild(entry: string, args: string[], nodeFlags: string[], register: string): void {
  const child = spawn(process.execPath, [...nodeFlags, '--require', register, entry, ...args], { stdio: 'inherit' });
  const relay = (signal: NodeJS.Signals) => child.kill(signal);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, relay);
  child.on('error', (error) => {
    process.stderr.write(`greenpatch: cannot start ${process.execPath}: ${error.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, relay);
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}

/** The program's own greenpatch/register when it has one (one hub per process), else this command's. */
function registerFor(entry: string): string {
  try {
    return require.resolve('greenpatch/register', { paths: [dirname(entry)] });
  } catch {
    return require.resolve('../register.js');
  }
}

function ownVersion(): string {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
}

main(process.argv.slice(2));
