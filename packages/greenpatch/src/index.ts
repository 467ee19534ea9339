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
export { Empty, Full, GreenThreadExit, TimeoutError, type CodedError } from './errors';
