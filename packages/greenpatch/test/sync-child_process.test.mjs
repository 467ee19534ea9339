// Cooperative child_process *Sync: call by call, the patched function inside
// a green thread gives what stock Node gives outside one (values, result
// keys and their order, thrown errors and their properties), while other
// green threads and the event loop keep running.
import test from 'ava';
import childProcess from 'node:child_process';
import { createRequire } from 'node:module';
import { Event, getOriginal, isPatched, patch, spawn, unpatch } from 'greenpatch';

const require = createRequire(import.meta.url);
const stock = {
  spawnSync: childProcess.spawnSync,
  execSync: childProcess.execSync,
  execFileSync: childProcess.execFileSync,
};
patch({ child_process: true });

test.beforeEach((t) => t.timeout(30_000));

/** Runs fn in a green thread; resolves with its result or rejects with its error. */
function green(fn) {
  return new Promise((resolve, reject) => {
    const thread = spawn(fn);
    thread.link(() => (thread.successful() ? resolve(thread.value) : reject(thread.exception)));
  });
}

const text = (v) => (Buffer.isBuffer(v) ? { buffer: v.toString('latin1') } : v);

/** What is compared of an error: everything observable but the stack. */
function errorShape(e, opts = {}) {
  if (e === undefined || e === null) return e;
  const shape = {
    class: e.constructor?.name,
    protoIsErrorPrototype: Object.getPrototypeOf(e) === Error.prototype,
    keys: Object.keys(e),
    message: opts.maxBuffer ? e.message.split('\n')[0] : e.message,
  };
  for (const key of ['errno', 'code', 'syscall', 'path', 'spawnargs', 'status', 'signal', 'killed']) {
    if (key in e) shape[key] = e[key];
  }
  if ('pid' in e) shape.pid = e.pid > 0 ? 'positive' : e.pid;
  if ('error' in e) shape.errorIsSelf = e.error === e;
  for (const key of ['stdout', 'stderr']) if (key in e) shape[key] = opts.maxBuffer ? outputLength(e[key]) : text(e[key]);
  if ('output' in e) shape.output = e.output && e.output.map((o) => (opts.maxBuffer ? outputLength(o) : text(o)));
  return shape;
}

/** With maxBuffer exceeded, how much was read is up to the pipe's timing: compare "over the limit". */
function outputLength(v) {
  if (v === null || v === undefined) return v;
  return v.length > 1000 ? 'over 1000' : v.length;
}

/** A spawnSync result, for comparison. */
function resultShape(r, opts = {}) {
  return {
    keys: Object.keys(r),
    status: r.status,
    signal: r.signal,
    pid: r.pid > 0 ? 'positive' : r.pid,
    stdout: opts.maxBuffer ? outputLength(r.stdout) : text(r.stdout),
    stderr: opts.maxBuffer ? outputLength(r.stderr) : text(r.stderr),
    output: r.output && r.output.map((o) => (opts.maxBuffer ? outputLength(o) : text(o))),
    error: errorShape(r.error, opts),
  };
}

/** Calls fn, returning { value } or { thrown: errorShape }. Copies of stderr writes are captured. */
function outcome(fn, opts) {
  const written = [];
  const write = process.stderr.write;
  process.stderr.write = (chunk, ...rest) => {
    written.push(Buffer.from(chunk).toString('latin1'));
    const cb = rest.find((r) => typeof r === 'function');
    if (cb) cb();
    return true;
  };
  try {
    const value = fn();
    return { value: value && typeof value === 'object' && 'status' in value ? resultShape(value, opts) : text(value), stderrCopy: written };
  } catch (error) {
    return { thrown: errorShape(error, opts), stderrCopy: written };
  } finally {
    process.stderr.write = write;
  }
}

const cases = [
  ['spawnSync: stdout as a Buffer', 'spawnSync', ['echo', ['hello', 'world']]],
  ['spawnSync: encoding utf8, stderr, non-zero status', 'spawnSync', ['sh', ['-c', 'echo out; echo err >&2; exit 3'], { encoding: 'utf8' }]],
  ['spawnSync: encoding latin1 and hex', 'spawnSync', ['printf', ['\\377ab'], { encoding: 'hex' }]],
  ['spawnSync: input string to cat', 'spawnSync', ['cat', [], { input: 'fed through stdin\n', encoding: 'utf8' }]],
  ['spawnSync: input Buffer to cat', 'spawnSync', ['cat', { input: Buffer.from([0, 1, 2, 250]) }]],
  ['spawnSync: input as a Uint16Array view', 'spawnSync', ['cat', { input: new Uint16Array([0x4142, 0x4344]) }]],
  ['spawnSync: timeout kills with SIGTERM, ETIMEDOUT', 'spawnSync', ['sleep', ['5'], { timeout: 200 }]],
  ['spawnSync: timeout with killSignal SIGKILL', 'spawnSync', ['sh', ['-c', 'trap "" TERM; echo started; sleep 5'], { timeout: 300, killSignal: 'SIGKILL', encoding: 'utf8' }]],
  ['spawnSync: killSignal as a number', 'spawnSync', ['sleep', ['5'], { timeout: 200, killSignal: 9 }]],
  ['spawnSync: child killed by a signal', 'spawnSync', ['sh', ['-c', 'kill -9 $$']]],
  ['spawnSync: maxBuffer exceeded, ENOBUFS', 'spawnSync', ['sh', ['-c', 'yes | head -c 300000; sleep 5'], { maxBuffer: 1000 }], { maxBuffer: true }],
  ['spawnSync: maxBuffer counts stdout and stderr together', 'spawnSync', ['sh', ['-c', 'head -c 700 /dev/zero; head -c 700 /dev/zero >&2; sleep 5'], { maxBuffer: 1000 }], { maxBuffer: true }],
  ['spawnSync: maxBuffer undefined means no limit', 'spawnSync', ['sh', ['-c', 'head -c 2000000 /dev/zero | tr "\\0" x'], { maxBuffer: undefined, encoding: 'utf8' }]],
  ['spawnSync: output past the default 1 MiB', 'spawnSync', ['sh', ['-c', 'head -c 1100000 /dev/zero; sleep 5'], {}], { maxBuffer: true }],
  ['spawnSync: spawn ENOENT', 'spawnSync', ['greenpatch-no-such-command', ['a', 'b']]],
  ['spawnSync: cwd that does not exist', 'spawnSync', ['ls', { cwd: '/greenpatch/no/such/dir' }]],
  ['spawnSync: cwd and env', 'spawnSync', ['sh', ['-c', 'pwd; echo "$GP_VALUE"'], { cwd: '/tmp', env: { GP_VALUE: 'from env', PATH: process.env.PATH }, encoding: 'utf8' }]],
  ['spawnSync: shell true', 'spawnSync', ['echo $((6 * 7)) | tr 4 X', { shell: true, encoding: 'utf8' }]],
  ['spawnSync: shell as a path, command not found', 'spawnSync', ['greenpatch-nope', { shell: '/bin/sh', encoding: 'utf8' }]],
  ['spawnSync: argv0', 'spawnSync', ['sh', ['-c', 'echo $0'], { argv0: 'custom-zero', encoding: 'utf8' }]],
  ["spawnSync: stdio 'ignore'", 'spawnSync', ['sh', ['-c', 'echo gone; exit 4'], { stdio: 'ignore' }]],
  ['spawnSync: stdio mixed, and an extra pipe on fd 3', 'spawnSync', ['sh', ['-c', 'echo three >&3; echo one'], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'], encoding: 'utf8' }]],
  ['spawnSync: stdio with a file descriptor (stdin from /dev/null)', 'spawnSync', ['cat', { stdio: [require('node:fs').openSync('/dev/null', 'r'), 'pipe', 'pipe'] }]],
  ['spawnSync: unread large input gives EPIPE', 'spawnSync', ['true', { input: Buffer.alloc(1 << 20) }]],
  ['spawnSync: invalid file (TypeError)', 'spawnSync', [123]],
  ['spawnSync: empty file', 'spawnSync', ['']],
  ['spawnSync: negative timeout', 'spawnSync', ['echo', [], { timeout: -1 }]],
  ['spawnSync: unknown killSignal', 'spawnSync', ['echo', [], { killSignal: 'SIGNOPE' }]],
  ["spawnSync: 'ipc' in stdio", 'spawnSync', ['echo', [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }]],
  ['spawnSync: input of a wrong type', 'spawnSync', ['cat', { input: 42 }]],
  ['spawnSync: invalid encoding (thrown after the child ran)', 'spawnSync', ['echo', ['x'], { encoding: 'no-such-encoding' }]],
  ['execSync: returns stdout', 'execSync', ['echo hello; echo there']],
  ['execSync: encoding', 'execSync', ['printf "%s" "$((2 + 3))"', { encoding: 'utf8' }]],
  ['execSync: non-zero exit throws Command failed, stderr copied to process.stderr', 'execSync', ['echo partial; echo oops >&2; exit 7']],
  ['execSync: non-zero exit with stdio given (no stderr copy)', 'execSync', ['echo oops >&2; exit 2', { stdio: 'pipe', encoding: 'utf8' }]],
  ['execSync: timeout', 'execSync', ['sleep 5', { timeout: 200, stdio: 'pipe' }]],
  ['execSync: killed child', 'execSync', ['kill -TERM $$', { encoding: 'utf8' }]],
  ['execSync: maxBuffer exceeded', 'execSync', ['yes | head -c 100000; sleep 5', { maxBuffer: 1000 }], { maxBuffer: true }],
  ['execSync: input', 'execSync', ['tr a-z A-Z', { input: 'shout', encoding: 'utf8' }]],
  ['execSync: shell that does not exist', 'execSync', ['echo hi', { shell: '/greenpatch/no/shell' }]],
  ['execSync: invalid command (TypeError)', 'execSync', [['echo']]],
  ['execFileSync: returns stdout', 'execFileSync', ['echo', ['a', 'b']]],
  ['execFileSync: options in place of args', 'execFileSync', ['pwd', { cwd: '/', encoding: 'utf8' }]],
  ['execFileSync: spawn ENOENT throws the spawn error with the result on it', 'execFileSync', ['greenpatch-no-such-command', ['x']]],
  ['execFileSync: non-zero exit', 'execFileSync', ['sh', ['-c', 'echo bad >&2; exit 9'], { stdio: 'pipe' }]],
  ['execFileSync: non-zero exit, argv0 in the message', 'execFileSync', ['sh', ['-c', 'exit 1'], { argv0: 'zero', stdio: 'pipe' }]],
  ['execFileSync: timeout', 'execFileSync', ['sleep', ['5'], { timeout: 200 }]],
  ['execFileSync: killed child', 'execFileSync', ['sh', ['-c', 'kill -KILL $$']]],
  ['execFileSync: input and encoding', 'execFileSync', ['wc', ['-c'], { input: 'twelve bytes', encoding: 'utf8' }]],
  ['execFileSync: bad options type', 'execFileSync', ['echo', [], 'not options']],
];

for (const [title, name, args, opts] of cases) {
  test.serial(title, async (t) => {
    const expected = outcome(() => stock[name](...args), opts);
    const actual = await green(() => outcome(() => childProcess[name](...args), opts));
    t.deepEqual(actual, expected);
  });
}

test('inside a green thread, the event loop runs while the child runs', async (t) => {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  try {
    const atEnd = await green(() => {
      childProcess.execFileSync('sleep', ['0.3']);
      return ticks;
    });
    t.true(atEnd > 0, 'the interval ticked during execFileSync');
    ticks = 0;
    stock.execFileSync('sleep', ['0.3']);
    t.is(ticks, 0, 'stock blocks the whole process');
  } finally {
    clearInterval(ticker);
  }
});

test('several green threads run their children at the same time', async (t) => {
  const events = [];
  await Promise.all(
    [0, 1, 2, 3].map((i) =>
      green(() => {
        events.push(`start ${i}`);
        childProcess.spawnSync('sleep', ['0.2']);
        events.push(`end ${i}`);
      }),
    ),
  );
  // Every thread started its child before any child finished.
  t.deepEqual(events.slice(0, 4).sort(), ['start 0', 'start 1', 'start 2', 'start 3']);
});

test('outside a green thread the patched functions are the stock ones at work', (t) => {
  t.true(isPatched('child_process'));
  t.is(getOriginal('child_process', 'spawnSync'), stock.spawnSync);
  t.not(childProcess.spawnSync, stock.spawnSync);
  const r = childProcess.spawnSync('sh', ['-c', 'exit 5']);
  t.is(r.status, 5);
  t.is(childProcess.execSync('echo on the hub', { encoding: 'utf8' }), 'on the hub\n');
  const error = t.throws(() => childProcess.execFileSync('greenpatch-no-such-command'));
  t.is(error.code, 'ENOENT');
});

test('inside AsyncResource.runInAsyncScope, where a green thread may not suspend, the call blocks as stock does', async (t) => {
  const { AsyncResource } = await import('node:async_hooks');
  const out = await green(() => new AsyncResource('scope').runInAsyncScope(() => childProcess.execFileSync('echo', ['in scope'], { encoding: 'utf8' })));
  t.is(out, 'in scope\n');
});

test('callback and event APIs are untouched', async (t) => {
  const out = await new Promise((resolve, reject) =>
    childProcess.execFile('echo', ['cb'], (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  t.is(out, 'cb\n');
  t.is(childProcess.execFile, getOriginal('child_process', 'execFile'));
  t.is(childProcess.spawnSync.name, 'spawnSync');
  t.is(childProcess.execSync.length, stock.execSync.length);
});

test('a killed green thread ends its child', async (t) => {
  const marker = `greenpatch-marker-${process.pid}`;
  const thread = spawn(() => childProcess.execFileSync('sh', ['-c', `sleep 30; echo ${marker}`]));
  const running = () => stock.execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(marker);
  // Kill once the child runs (polled, not a fixed wait), then wait for it to go.
  for (let i = 0; i < 500 && !running(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.true(running(), 'the child started');
  thread.kill();
  await new Promise((resolve) => thread.link(resolve));
  t.false(thread.successful());
  for (let i = 0; i < 500 && running(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.false(running(), 'no child left running');
});

test('import from greenpatch/green/child_process gives the same functions as the patch', async (t) => {
  const green = await import('greenpatch/green/child_process');
  t.is(green.spawnSync, childProcess.spawnSync);
  t.is(green.execFileSync, childProcess.execFileSync);
  t.is(green.execSync, childProcess.execSync);
  t.is(green.exec, childProcess.exec);
  unpatch('child_process');
  t.is(childProcess.spawnSync, stock.spawnSync);
  patch({ child_process: true });
});

test('a spawnSync on the hub while a green thread is inside its own spawnSync (blocked in a getter of its options) blocks as stock', async (t) => {
  const hubDone = new Event();
  let hubStatus;
  const options = {
    encoding: 'utf8',
    get env() {
      // Node reads the options before it spawns: the thread waits here, and
      // meanwhile the hub makes its own spawnSync call.
      setImmediate(() => {
        hubStatus = childProcess.spawnSync('sh', ['-c', 'exit 3']).status;
        hubDone.set();
      });
      hubDone.wait();
      return { ...process.env, GP_FROM_GETTER: 'yes' };
    },
  };
  const out = await green(() => childProcess.spawnSync('sh', ['-c', 'echo "$GP_FROM_GETTER"'], options).stdout);
  t.is(hubStatus, 3);
  t.is(out, 'yes\n');
});
