// `greenpatch --workers N`: the primary process of node:cluster. It forks N
// workers running the program (listening sockets are shared by cluster),
// restarts a worker that dies, backing off when they die young, and on
// SIGTERM or SIGINT disconnects every worker: each closes its servers, lets
// the requests in progress finish, and exits; then the primary exits 0.
import cluster, { type Worker } from 'node:cluster';

export interface ClusterOptions {
  entry: string;
  args: string[];
  nodeFlags: string[];
  /** Path of greenpatch/register for the workers. */
  register: string;
  workers: number;
}

/** A worker that lived this long before dying is restarted at once and resets the backoff. */
const STABLE_MS = 5_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;
/** How long a worker may take to finish its requests once told to stop. */
const GRACE_MS = 30_000;

export function runCluster(options: ClusterOptions): void {
  cluster.setupPrimary({
    exec: options.entry,
    args: options.args,
    execArgv: [...options.nodeFlags, '--require', options.register, '--require', require.resolve('./worker.js')],
  });
  const started = new Map<Worker, number>();
  const restarts = new Set<NodeJS.Timeout>();
  let delay = 0;
  let stopping = false;

  const fork = () => started.set(cluster.fork(), Date.now());
  for (let i = 0; i < options.workers; i++) fork();

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) process.exit(0);
      return;
    }
    delay = lived >= STABLE_MS ? 0 : Math.min(MAX_DELAY_MS, delay === 0 ? FIRST_DELAY_MS : delay * 2);
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    process.stderr.write(`greenpatch: worker ${worker.process.pid} ${how}; starting another${delay ? ` in ${delay} ms` : ''}\n`);
    const timer = setTimeout(() => {
      restarts.delete(timer);
      fork();
    }, delay);
    restarts.add(timer);
  });

  // Once a worker has disconnected its servers are closed and their
  // connections done; what still keeps it alive (timers) is stopped.
  cluster.on('disconnect', (worker) => {
    if (stopping && !worker.isDead()) worker.process.kill('SIGTERM');
  });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    if (started.size === 0) process.exit(0);
    for (const worker of started.keys()) worker.disconnect();
    setTimeout(() => {
      for (const worker of started.keys()) worker.process.kill('SIGKILL');
    }, GRACE_MS).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
