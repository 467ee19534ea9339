// The public API of greenpatch. Each module below is one concept.
export {
  block,
  blockingOnHubError,
  inGreenThread,
  reportError,
  setErrorHandler,
  type ErrorHandler,
  type Register,
  type Waker,
} from './hub';
export {
  getCurrent,
  GreenThread,
  joinAll,
  killAll,
  sleep,
  spawn,
  spawnAfter,
  spawnN,
  wait,
  type JoinAllOptions,
  type KillAllOptions,
} from './greenthread';
export { GreenPile, GreenPool } from './pool';
export { Channel, defaultCompare, JoinableQueue, LifoQueue, PriorityQueue, Queue } from './queue';
export { AsyncResult, Event } from './event';
export { BoundedSemaphore, RLock, Semaphore, type Held } from './lock';
export { Timeout, withTimeout, type WithTimeoutOptions } from './timeout';
export { local } from './local';
export { Empty, Full, GreenThreadExit, TimeoutError, type CodedError } from './errors';
export {
  getOriginal,
  isPatched,
  patch,
  patchAll,
  patch_all,
  patchNames,
  unpatch,
  type MemberPatch,
  type PatchDefinition,
  type PatchOptions,
} from './patcher';
export { connect, listen, serve, StopServe, type ServeOptions } from './green/helpers';
export { SyncResponse, type Body } from './green/response';
export { DatagramServer, type DatagramHandler, type DatagramListener, type DatagramServerOptions } from './green/dgram';
export { ThreadPool, type TaskSpec, type ThreadPoolOptions } from './thread-pool';
