// Shared helpers of the hub tests (not a test file itself).
import { spawn } from 'greenpatch';

/** Runs fn in a green thread; resolves with its result or rejects with its error. */
export function green(fn, ...args) {
  return new Promise((resolve, reject) => {
    const thread = spawn(fn, ...args);
    thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception)));
  });
}

/** A promise resolved after ms (setTimeout). */
export const delay = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value));

/** A promise resolved after the next few event-loop turns. */
export async function turns(n = 3) {
  for (let i = 0; i < n; i++) await new Promise(setImmediate);
}
