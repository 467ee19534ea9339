// What greenpatch adds to Node's builtins, told to TypeScript: a program that
// imports `node:http` and runs under greenpatch/register (or after
// patchAll()) may call `http.getSync(url)`, `dns.lookupSync(name)`,
// `socket.recv()`... and have them type-checked. Types only: this module
// holds no code. The signatures are those of the green modules, so the two
// cannot drift apart.
import type * as greenDns from './green/dns.js';
import type * as greenHttp from './green/http.js';
import type * as greenHttps from './green/https.js';
import type * as greenNet from './green/net.js';

declare module 'http' {
  /** Added by the `http` patch: see greenpatch/green/http. Blocks only the calling green thread. */
  const requestSync: typeof greenHttp.requestSync;
  /** Added by the `http` patch: see greenpatch/green/http. Blocks only the calling green thread. */
  const getSync: typeof greenHttp.getSync;
}

declare module 'https' {
  /** Added by the `https` patch: see greenpatch/green/https. Blocks only the calling green thread. */
  const requestSync: typeof greenHttps.requestSync;
  /** Added by the `https` patch: see greenpatch/green/https. Blocks only the calling green thread. */
  const getSync: typeof greenHttps.getSync;
}

declare module 'net' {
  /** Added by the `net` patch: see greenpatch/green/net. Blocks only the calling green thread. */
  const connectSync: typeof greenNet.connectSync;
  // Installed on the prototypes as soon as greenpatch's net support loads.
  interface Socket {
    /** Blocks the green thread until data is there; at most `max` bytes; empty at the end. */
    recv(max?: number): Buffer;
    /** Blocks until exactly `n` bytes are there; throws ERR_GREENPATCH_INCOMPLETE_READ at an early end. */
    recvExactly(n: number): Buffer;
    /** Blocks until a whole line is there; returns it without its terminator; null at the end. */
    readLine(): string | null;
    /** Writes and blocks until the data is handed to the kernel. */
    sendall(data: string | Uint8Array, encoding?: BufferEncoding): void;
  }
  interface Server {
    /** Blocks the green thread until a client connects. */
    accept(): [Socket, AddressInfo];
  }
}

declare module 'dns' {
  /** Added by the `dns` patch (as every `*Sync` below): blocks only the calling green thread. */
  const lookupSync: typeof greenDns.lookupSync;
  const lookupServiceSync: typeof greenDns.lookupServiceSync;
  const resolveSync: typeof greenDns.resolveSync;
  const resolve4Sync: typeof greenDns.resolve4Sync;
  const resolve6Sync: typeof greenDns.resolve6Sync;
  const resolveAnySync: typeof greenDns.resolveAnySync;
  const resolveCaaSync: typeof greenDns.resolveCaaSync;
  const resolveCnameSync: typeof greenDns.resolveCnameSync;
  const resolveMxSync: typeof greenDns.resolveMxSync;
  const resolveNaptrSync: typeof greenDns.resolveNaptrSync;
  const resolveNsSync: typeof greenDns.resolveNsSync;
  const resolvePtrSync: typeof greenDns.resolvePtrSync;
  const resolveSoaSync: typeof greenDns.resolveSoaSync;
  const resolveSrvSync: typeof greenDns.resolveSrvSync;
  const resolveTxtSync: typeof greenDns.resolveTxtSync;
  const reverseSync: typeof greenDns.reverseSync;
}
