// `require('@greenpatch/fibers')` is the Fiber function itself, as with the
// `fibers` package, so that code written for it runs unchanged.
import { Fiber } from './fiber';

export = Fiber;
