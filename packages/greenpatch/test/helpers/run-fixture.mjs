// Runs a test fixture in a child node process (not a test file itself).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/**
 * `node ...args` in test/fixtures, with `env` added to this process's
 * environment; resolves with its exit code, signal, stdout and stderr.
 */
export function runFixture(args, env = {}) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: fixtures, env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, signal: error?.signal ?? null, stdout, stderr }),
    );
  });
}
