// The public API of greenpatch. Each module below is one concept.
// What the patches add to Node's builtins, for TypeScript (an empty module at run time).
import './builtin-types.js';
export { block, blockingOnHubError, inGreenThread, type Register, type Waker } from './hub.js';
export {
  getUnwaitedErrorPolicy,
  reportError,
  setErrorHandler,
  setUnwaitedErrorPolicy,
  type ErrorHandler,
  type ReportedThread,
  type UnwaitedErrorPolicy,
} from './error-handler.js';
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
} from './greenthread.js';
export { GreenPile, GreenPool } from './pool.js';
export { Channel, defaultCompare, JoinableQueue, LifoQueue, PriorityQueue, Queue } from './queue.js';
export { AsyncResult, Event } from './event.js';
export type { LinkCallback, Linkable } from './linkable.js';
export { iwait, waitReady, type IwaitOptions, type Waitable } from './iwait.js';
export { BoundedSemaphore, RLock, Semaphore, type Held } from './lock.js';
export { Timeout, withTimeout, type WithTimeoutOptions } from './timeout.js';
export { local } from './local.js';
export { greenify } from './greenify.js';
export { Empty, Full, GreenThreadExit, TimeoutError, type CodedError } from './errors.js';
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
} from './patcher.js';
export { connect, listen, serve, StopServe, type ServeOptions } from './convenience.js';
export { SyncResponse, type Body } from './green/internal/response.js';
export { moduleFormat } from './module-format.js';
export { DatagramServer, type DatagramHandler, type DatagramListener, type DatagramServerOptions } from './green/dgram.js';
export {
  monitorRunning,
  startMonitor,
  stopMonitor,
  type BlockedReport,
  type MonitorOptions,
  type MonitorReport,
  type StuckReport,
} from './monitor.js';
export { ThreadPool, type TaskSpec, type ThreadPoolOptions } from './thread-pool.js';
export { formatRunInfo, runInfo, type RunInfoOptions, type Spawner, type ThreadInfo, type ThreadState } from './run-info.js';
export { dumpRunInfoOn } from './dump-signal.js';
export {
  threadChannels,
  type ThreadBlockMessage,
  type ThreadExitMessage,
  type ThreadKillMessage,
  type ThreadResumeMessage,
  type ThreadSpawnMessage,
} from './thread-channels.js';
