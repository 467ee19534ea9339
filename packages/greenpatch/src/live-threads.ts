// The registry of live green threads, for run info: an intrusive doubly
// linked list through the threads themselves, so that a spawn and an exit
// each cost a few field writes and no allocation. A thread is in it from
// construction until it has exited. It holds nothing a thread's own stack
// does not already: a suspended green thread's stack references the thread,
// and the engine's collector scans suspended stacks, so a live thread is
// never collected whether it is listed here or not.

/** @internal The links a thread carries for the registry. */
export interface LiveLinks {
  liveNext: LiveLinks | undefined;
  livePrev: LiveLinks | undefined;
}

let head: LiveLinks | undefined;
let tail: LiveLinks | undefined;
let count = 0;

/** @internal Lists `thread` as live (at the end: the list is in spawn order). */
export function addLive(thread: LiveLinks): void {
  thread.livePrev = tail;
  thread.liveNext = undefined;
  if (tail === undefined) head = thread;
  else tail.liveNext = thread;
  tail = thread;
  count++;
}

/** @internal Unlists `thread`; does nothing if it is not listed. */
export function removeLive(thread: LiveLinks): void {
  const prev = thread.livePrev;
  const next = thread.liveNext;
  if (prev === undefined && head !== thread) return;
  if (prev === undefined) head = next;
  else prev.liveNext = next;
  if (next === undefined) tail = prev;
  else next.livePrev = prev;
  thread.livePrev = undefined;
  thread.liveNext = undefined;
  count--;
}

/** @internal The live threads, oldest first (a copy: safe to hold while threads come and go). */
export function liveThreads<T extends LiveLinks>(): T[] {
  const list: T[] = new Array(count);
  let i = 0;
  for (let t = head; t !== undefined; t = t.liveNext) list[i++] = t as T;
  list.length = i;
  return list;
}

/** @internal How many threads are live. */
export function liveCount(): number {
  return count;
}
