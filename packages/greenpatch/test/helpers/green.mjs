// Test helpers: run a function in a green thread and get a promise of its
// result, and start/stop plain Node servers on loopback.
import net from 'node:net';
import { spawn } from 'greenpatch';

/** Runs `fn` in a new green thread; resolves with what it returns, rejects with what it throws. */
export function green(fn) {
  return new Promise((resolve, reject) => {
    spawn(() => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** A stock net server on 127.0.0.1 (listener as given); resolves when listening. */
export function plainServer(onConnection) {
  return new Promise((resolve, reject) => {
    const server = net.createServer(onConnection);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** A port on 127.0.0.1 on which nothing listens (it was free a moment ago). */
export async function deadPort() {
  const server = await plainServer(() => {});
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Closes a server, resolving when it has closed. */
export function close(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}
