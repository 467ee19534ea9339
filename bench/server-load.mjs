// What the server-under-load benchmarks (net, udp) share: a parent that
// forks a server and a load process, which talk to it over IPC messages
// ({ port }, { measuring }, { rate }, { cpu }), and the measurement taken
// between them: the load's rate and the server's CPU over the same window.
import { once } from 'node:events';

/** Resolves with the value of the first IPC message of `proc` carrying `key`. */
export function message(proc, key) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m && key in m) {
        proc.off('message', onMessage);
        resolve(m[key]);
      }
    };
    proc.on('message', onMessage);
    proc.once('exit', (code) => reject(new Error(`child exited with ${code} before sending ${key}`)));
  });
}

/**
 * Once `load` says it is measuring, takes the server's CPU over the window
 * the load reports a rate for, then stops both. Returns the rate (per second)
 * and the server's CPU microseconds per operation over `seconds`.
 */
export async function measure(server, load, seconds) {
  await message(load, 'measuring');
  server.send('cpu-start');
  const rate = await message(load, 'rate');
  server.send('cpu');
  const cpu = await message(server, 'cpu');
  server.send('stop');
  await Promise.race([once(server, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
  server.kill('SIGKILL');
  load.kill('SIGKILL');
  return { rate, cpuPerOp: cpu / (rate * seconds) };
}
