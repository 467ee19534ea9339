// Test helpers: run a function in a green thread and get a promise of its
// result, wait for event-loop turns, and start/stop plain Node servers on loopback.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { spawn } from 'greenpatch';

/** Runs `fn(...args)` in a new green thread; resolves with what it returns, rejects with what it throws (or what killed it). */
export function green(fn, ...args) {
  return new Promise((resolve, reject) => {
    const thread = spawn(fn, ...args);
    thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception)));
  });
}

/** A promise resolved with `value` after `ms` (setTimeout). */
export const delay = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value));

/** A promise resolved after the next `n` event-loop turns. */
export async function turns(n = 3) {
  for (let i = 0; i < n; i++) await new Promise(setImmediate);
}

/** A stock net server on 127.0.0.1 (listener as given); resolves when listening. */
export function plainServer(onConnection) {
  return new Promise((resolve, reject) => {
    const server = net.createServer(onConnection);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * A port on 127.0.0.1 on which nothing listens (it was free a moment ago).
 * Taken below the kernel's ephemeral range: a port from inside it, once
 * freed, can be handed straight to another test's `listen(0)` or client
 * socket, and a connection meant to be refused then meets that instead.
 */
export async function deadPort() {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    const server = net.createServer();
    const listening = await new Promise((resolve, reject) => {
      server.once('error', (error) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
  throw new Error('deadPort: no free port found below the ephemeral range');
}

function ephemeralLow() {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 11_000) return low;
  } catch {
    // not Linux: use the IANA range's start
  }
  return 49_152;
}

/** Closes a server, resolving when it has closed. */
export function close(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}
