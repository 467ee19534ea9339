// Preloaded into each `greenpatch --workers` worker. Ctrl-C in a terminal
// signals the whole process group: the worker leaves SIGINT to the primary,
// which stops the workers gracefully (see cluster.ts).
import cluster from 'node:cluster';

if (cluster.isWorker) process.on('SIGINT', () => {});
