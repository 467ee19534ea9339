// On the threads backend, fiber code runs on OS threads other than the Node
// thread's own. Node keeps a few per-environment caches in C++ thread_local
// variables, which assumes one OS thread per environment: from Node 24,
// creating a TLS secure context on a second OS thread registers the root
// certificate store's cleanup hook a second time, and Node aborts (on Node 22
// each thread builds its own copy of the store). The tls functions that reach
// that store are made to run on the Node thread's own OS thread (the
// binding's callOnHome). Their behaviour is otherwise unchanged; Node's own
// callers (https, tls.connect, fetch, servers) go through the same exports.
// tls is loaded only on the threads backend: loading it costs start-up time
// that the native backend has no reason to pay.
import type { Binding } from './binding';

const routed = ['createSecureContext', 'setDefaultCACertificates'] as const;

export function routeHomeCalls(binding: Binding): void {
  const callOnHome = binding.callOnHome;
  if (binding.backend !== 'threads' || callOnHome === undefined) return;
  const exports = require('node:tls') as Record<string, unknown>;
  let changed = false;
  for (const name of routed) {
    const original = exports[name];
    if (typeof original !== 'function') continue;
    const wrapped = {
      [name](this: unknown, ...args: unknown[]): unknown {
        return callOnHome(() => Reflect.apply(original, this, args));
      },
    }[name]!;
    Object.defineProperty(wrapped, 'length', { value: original.length });
    exports[name] = wrapped;
    changed = true;
  }
  if (changed) (require('node:module') as typeof import('node:module')).syncBuiltinESMExports();
}
