// Work gathered during a hub turn and done once, in one setImmediate, on the
// next: the hub's run queue and the sockets' listener releases use it.

/**
 * @internal Items added are handed to `each`, in order, from one
 * setImmediate per batch. Only what was added before the batch started is
 * in it: what `each` adds waits for the next turn, after the event loop has
 * polled for I/O and run timers.
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
    for (let i = 0; i < batch.length; i++) this.each(batch[i]);
  };
}
