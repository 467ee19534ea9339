// What greenpatch/green/http and greenpatch/green/https add to Node's
// modules, written once: `requestSync`/`getSync`, the green `Server`'s
// `emit`, `createServer`, and the `emit` the patch puts on the module's
// `Server.prototype`. https is the same over TLS.
//
// The `http` and `https` patches use this module directly (the same values
// as the green modules export): it loads no builtin, and the response reader
// (response.ts, not in the start-up bundle) loads at the first blocking call,
// so that applying the patches before an ES entry on Node 20 costs little.
import type { RequestListener, RequestOptions } from 'node:http';

import { lazily } from './deferred.js';
import type { Emit } from './listeners.js';
import type { Body, SyncResponse } from './response.js';
import { greenServerClass, patchedServerEmit } from './server-emit.js';

const response = lazily((): typeof import('./response.js') => require('./response.js'));

/** The part of `node:http` or `node:https` the green additions use. */
interface HttpModule {
  request(...args: any[]): import('node:http').ClientRequest;
  get(...args: any[]): import('node:http').ClientRequest;
  Server: { prototype: { emit: Emit } };
}

/** `requestSync`'s overloads; `R` is the module's request options (https adds TLS ones). */
export interface RequestSync<R = RequestOptions> {
  (url: string | URL | R, body?: Body): SyncResponse;
  (url: string | URL, options: R, body?: Body): SyncResponse;
}

/** `getSync`'s forms: `getSync(url)`, `getSync(url, options)`, `getSync(options)`. */
export type GetSync<R = RequestOptions> = (url: string | URL | R, options?: R) => SyncResponse;

const serverEvents: ReadonlySet<string | symbol> = new Set(['request', 'connection']);
const requestEvents: ReadonlySet<string | symbol> = new Set(['request']);

/** `createServer`'s overloads; `O` is the module's server options. */
export interface CreateServer<S, O> {
  (requestListener?: RequestListener): S;
  (options: O, requestListener?: RequestListener): S;
}

/** What the patch of `mod` adds: `requestSync`, `getSync`, and the `emit` for its `Server.prototype`. */
export interface HttpPatchApi<R = RequestOptions> {
  readonly requestSync: RequestSync<R>;
  readonly getSync: GetSync<R>;
  readonly makeServerEmit: (original: Emit) => Emit;
}

/** One set of functions per module: the patch and the green module hand out the same ones. */
const made = new WeakMap<HttpModule, HttpPatchApi<any>>();

/** The additions to `mod` (`name` is `'http'` or `'https'`, for messages) that its patch puts on it. */
export function httpPatchApi<R = RequestOptions>(mod: HttpModule, name: string): HttpPatchApi<R> {
  let api = made.get(mod);
  if (api !== undefined) return api;
  // http.Server's emit is net.Server's; https.Server's is tls.Server's.
  const parent = Object.getPrototypeOf(mod.Server.prototype) as { emit: Emit };
  api = {
    /**
     * Sends a request and blocks the green thread until the response head
     * is there: `requestSync(url, body?)`, `requestSync(options, body?)` or
     * `requestSync(url, options, body?)`, with what `request` takes (method,
     * headers, agent, ...). Keep-alive agents reuse the connection once the
     * body has been read. Throws Node's errors (ECONNREFUSED, certificate
     * errors over TLS, ...).
     */
    requestSync: function requestSync(...args: unknown[]): SyncResponse {
      const { requestArgs, sendSync } = response();
      const { call, body } = requestArgs(args);
      return sendSync(`${name}.requestSync()`, () => Reflect.apply(mod.request, mod, call), body);
    } as RequestSync<R>,
    /** `requestSync` with method GET: `getSync(url)`, `getSync(url, options)`, `getSync(options)`. */
    getSync: function getSync(url: string | URL | R, options?: R): SyncResponse {
      return response().sendSync(`${name}.getSync()`, () => (options === undefined ? mod.get(url) : mod.get(url, options)), undefined);
    } as GetSync<R>,
    /**
     * The `emit` the patch puts on `Server.prototype` in place of `original`:
     * 'request' listeners each run in their own green thread; other events
     * go to `original` (the parent's, green for 'connection' when `net` is
     * patched, or whatever wrapper was put on the prototype before).
     */
    makeServerEmit: (original: Emit): Emit => patchedServerEmit(requestEvents, original, parent),
  };
  made.set(mod, api);
  return api;
}

/** The green additions for `mod` (`name` is `'http'` or `'https'`, for messages), around its green `Server`. */
export function greenHttpApi<S, O, R = RequestOptions>(mod: HttpModule, name: string, Server: new (...args: any[]) => S) {
  greenServerClass(Server, serverEvents, mod.Server);
  const { requestSync, getSync, makeServerEmit } = httpPatchApi<R>(mod, name);
  return {
    requestSync,
    getSync,
    makeServerEmit,
    /** `createServer`, returning a green `Server`. */
    createServer: ((...args: any[]): S => new Server(...args)) as CreateServer<S, O>,
  };
}
