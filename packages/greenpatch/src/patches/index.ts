// The patch table: every patch greenpatch knows, in the order patchAll()
// applies them. To add one: write `<name>.ts` beside this file exporting a
// `definition` (see types.ts), and list it here. Reading the table loads
// none of the modules it patches.
import type { PatchDefinition } from './types.js';
import { definition as net } from './net.js';
import { definition as dns } from './dns.js';
import { definition as http } from './http.js';
import { definition as https } from './https.js';
import { definition as child_process } from './child_process.js';
import { definition as fs } from './fs.js';
import { definition as zlib } from './zlib.js';
import { definition as crypto } from './crypto.js';
import { definition as atomics } from './atomics.js';
import { definition as dgram } from './dgram.js';
import { definition as express } from './express.js';
import { definition as router } from './router.js';
import { definition as expressParams } from './express-params.js';
import { definition as routerParams } from './router-params.js';
import { definition as koa } from './koa.js';
import { definition as ws } from './ws.js';
import { definition as wsSocket } from './ws-socket.js';
import { definition as deasync } from './deasync.js';
import { definition as synckit } from './synckit.js';
import { definition as socketIo } from './socket-io.js';
import { definition as fastify } from './fastify.js';
import { definition as fastifyHooks } from './fastify-hooks.js';
import { definition as fastifyErrors } from './fastify-errors.js';

export type { MemberPatch, PatchDefinition } from './types.js';

/** Every patch, in the order `patchAll()` applies them (builtins a patch reaches through come first: net before http). */
export const table: readonly PatchDefinition[] = [
  net,
  dns,
  http,
  https,
  child_process,
  fs,
  zlib,
  crypto,
  atomics,
  dgram,
  // npm packages, patched when they load.
  express,
  expressParams,
  router,
  routerParams,
  fastify,
  fastifyHooks,
  fastifyErrors,
  koa,
  ws,
  wsSocket,
  socketIo,
  deasync,
  synckit,
];
