// Drives a child `node --inspect-brk=127.0.0.1:0` over the inspector protocol
// (a test helper, not a test file itself).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/**
 * Starts `node --inspect-brk=127.0.0.1:0 <fixture>` in test/fixtures and
 * connects to it. Returns a session: `send(method, params)` resolves with the
 * result; `nextPause()` resolves with the next Debugger.paused event;
 * `exited` resolves with { code, signal, stdout, stderr }; `close()` kills the
 * child if it is still running.
 */
export async function inspect(fixture, env = {}) {
  const child = spawn(process.execPath, ['--inspect-brk=127.0.0.1:0', fixture], {
    cwd: fixtures,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onDone;
  const done = new Promise((resolve) => (onDone = resolve));
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      // Let the pipes drain before reporting.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
  let ws;
  try {
    const url = await within(
      20_000,
      'the child to listen',
      new Promise((resolve, reject) => {
        const onData = (d) => {
          stderr += d;
          const m = /Debugger listening on (ws:\/\/\S+)/.exec(stderr);
          if (m) resolve(m[1]);
          if (stderr.includes('Waiting for the debugger to disconnect')) onDone();
        };
        child.stderr.on('data', onData);
        child.on('exit', () => reject(new Error(`child exited before listening:\n${stderr}`)));
      }),
    );
    ws = new WebSocket(url);
    await within(
      20_000,
      'the WebSocket to open',
      new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
    );
  } catch (error) {
    ws?.terminate();
    child.kill('SIGKILL');
    throw error;
  }
  let nextId = 1;
  const calls = new Map();
  const pauses = [];
  const scripts = new Map();
  const pauseWaiters = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.id !== undefined) {
      const call = calls.get(msg.id);
      calls.delete(msg.id);
      if (msg.error) call.reject(new Error(`${call.method}: ${msg.error.message}`));
      else call.resolve(msg.result);
    } else if (msg.method === 'Debugger.scriptParsed') {
      scripts.set(msg.params.scriptId, msg.params.url);
    } else if (msg.method === 'Debugger.paused') {
      const waiter = pauseWaiters.shift();
      if (waiter) waiter(msg.params);
      else pauses.push(msg.params);
    }
  });
  const session = {
    child,
    exited,
    send(method, params = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => calls.set(id, { method, resolve, reject }));
    },
    nextPause() {
      if (pauses.length > 0) return Promise.resolve(pauses.shift());
      return new Promise((resolve) => pauseWaiters.push(resolve));
    },
    /**
     * Resolves once the program has finished and node waits for the
     * debugger to disconnect (--inspect-brk).
     */
    done,
    /** Where a pause stopped: { line (1-based), url, fn } of its top frame. */
    where(pause) {
      const top = pause.callFrames[0];
      return { line: top.location.lineNumber + 1, url: scripts.get(top.location.scriptId) ?? '', fn: top.functionName };
    },
    /** Disconnects the debugger; the child then exits. */
    detach() {
      ws.close();
    },
    close() {
      ws.terminate();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  return session;
}

/** Resolves with `promise`'s value, or rejects after `ms` saying `what`. */
export function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
