// Timers of any length: Node's own take at most about 24.8 days.

/** The longest delay a Node timer takes (a longer one fires at once, with a warning). */
export const MAX_TIMER = 2 ** 31 - 1;

/**
 * @internal setTimeout for any number of milliseconds (Infinity never
 * fires and holds no timer); returns a function that clears it.
 */
export function startTimer(ms: number, fn: () => void): () => void {
  if (ms === Infinity) return () => {};
  let timer: NodeJS.Timeout;
  const deadline = Date.now() + ms;
  const arm = (delay: number) => {
    timer = setTimeout(() => {
      const left = deadline - Date.now();
      if (delay === MAX_TIMER && left > 0) arm(Math.min(left, MAX_TIMER));
      else fn();
    }, delay);
  };
  arm(Math.min(ms, MAX_TIMER));
  return () => clearTimeout(timer);
}
