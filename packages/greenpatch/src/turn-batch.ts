// Work gathered during a hub turn and done once, in one setImmediate, on the
// next: the hub's run queue and the sockets' listener releases use it.

/**
 * Node's runNextTicks (process._tickCallback): what processImmediate runs
 * between two immediates, the nextTick queue and then the microtasks. Taken
 * only when it is Node's own; under --pending-deprecation it is wrapped in a
 * deprecation warning, and a batch then leaves the queues to Node, after it.
 */
const runNextTicks: (() => void) | undefined = (() => {
  const fn = (process as { _tickCallback?: unknown })._tickCallback;
  return typeof fn === 'function' && fn.name === 'runNextTicks' ? (fn as () => void) : undefined;
})();

/**
 * @internal Items added are handed to `each`, in order, from one
 * setImmediate per batch. Only what was added before the batch started is
 * in it: what `each` adds waits for the next turn, after the event loop has
 * polled for I/O and run timers.
 *
 * Between two items the nextTick queue and the microtasks run, as Node runs
 * them between two immediates: what one item's work queued there (a
 * socket's afterWrite, a response's 'finish') runs right after it, as it
 * would if each item had an immediate of its own, while its objects are
 * still in the CPU's caches, instead of after the whole batch.
 */
export class TurnBatch<T> {
  private items: T[] = [];
  private scheduled = false;

  /** `start`, when given, is called at the start of each batch, before its first item. */
  constructor(
    private readonly each: (item: T) => void,
    private readonly start?: () => void,
  ) {}

  add(item: T): void {
    this.items.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.items;
    this.items = [];
    if (this.start !== undefined) this.start();
    // How many items have been handed to `each`.
    let taken = 0;
    try {
      while (taken < batch.length) {
        if (taken > 0 && runNextTicks !== undefined) runNextTicks();
        this.each(batch[taken++]);
      }
    } finally {
      // An error thrown out of a nextTick callback (or out of `each`) leaves
      // this turn, as it leaves processImmediate: the items not yet taken go
      // first in the next batch, as Node keeps the immediates not yet run.
      if (taken < batch.length) this.requeue(batch, taken);
    }
  };

  private requeue(batch: T[], from: number): void {
    this.items = batch.slice(from).concat(this.items);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
}
