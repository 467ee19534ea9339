// The hub monitor's watcher (see monitor.ts), on a worker thread of its own:
// the thread it watches is the one that is stuck. It polls the progress
// counter the main thread bumps at every green-thread switch and every
// heartbeat; when the counter has not moved for the threshold (plus one
// heartbeat, so an idle loop never counts), it takes the main thread's
// stack through the inspector: a session connected to the main thread
// (only for the capture: a connected session makes console calls slower),
// Debugger.pause, which V8 serves from an interrupt in the middle of the
// running JavaScript, then Runtime.evaluate of the monitor's describe
// function for the green thread's name, and Debugger.resume.
import { writeSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';

import type { MonitorWorkerData, WorkerBlockedMessage, WorkerMessage } from './monitor.js';

const data = workerData as MonitorWorkerData;
const cells = new Int32Array(data.progress);
const threshold = data.maxBlockingTime;
/**
 * How long to wait for the main thread to pause before saying it is outside
 * JavaScript: generous, since on a loaded machine connecting and enabling
 * the debugger alone can take a few hundred milliseconds.
 */
const PAUSE_WAIT_MS = Math.max(1000, Math.min(threshold, 5000));
const MAX_FRAMES = 30;

interface CallFrame {
  callFrameId: string;
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
  url?: string;
}

/** One blocked stretch being reported. */
interface Stretch {
  /** Counter value during the stretch. */
  readonly count: number;
  /** When the worker first saw that value. */
  readonly since: number;
  thread: string | null;
  stack: string[];
  /** 'js' (stack taken in JavaScript), 'native' (paused only on return), 'none' (no stack). */
  capture: 'pending' | 'js' | 'native' | 'none';
  note: string | undefined;
  ended: number | undefined;
}

let lastCount = Atomics.load(cells, 0);
let lastChange = Date.now();
let current: Stretch | undefined;

function write(text: string): void {
  if (!data.stderr) return;
  try {
    // Straight to the file descriptor: a worker's process.stderr goes
    // through the main thread, which is the one that is stuck.
    writeSync(2, text);
  } catch {
    // stderr is gone: the report still reaches onReport.
  }
}

function describeCulprit(s: Stretch): string {
  if (s.capture !== 'js' && s.stack.length === 0) return 'something';
  return s.thread !== null ? `green thread "${s.thread}"` : 'a callback on the hub (not in a green thread)';
}

function poll(): void {
  const count = Atomics.load(cells, 0);
  const now = Date.now();
  if (count !== lastCount) {
    const s = current;
    if (s !== undefined) {
      current = undefined;
      s.ended = now;
      finish(s);
    }
    lastCount = count;
    lastChange = now;
    return;
  }
  if (current === undefined && now - lastChange >= threshold + data.heartbeat) {
    const s: Stretch = { count, since: lastChange, thread: null, stack: [], capture: 'pending', note: undefined, ended: undefined };
    current = s;
    capture(s);
  }
}

/** Once the loop turned again: the total, to stderr and to the main thread. */
function finish(s: Stretch): void {
  const duration = (s.ended as number) - s.since;
  if (s.capture === 'pending') {
    // The capture is still under way (the stack arrives when the main thread pauses).
    s.note ??= 'it ended before its stack could be taken';
  }
  write(`greenpatch monitor: the event loop turned again after about ${duration} ms\n`);
  const message: WorkerBlockedMessage = {
    duration,
    thread: s.thread,
    stack: s.stack.join('\n'),
    inNativeCode: s.capture === 'native',
    note: s.note,
  };
  parentPort?.postMessage(message);
}

function capture(s: Stretch): void {
  const session = new Session();
  const scripts = new Map<string, string>();
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const post = (method: string, params: object = {}): Promise<any> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  const close = (): void => {
    try {
      session.disconnect();
    } catch {
      // already gone
    }
  };
  try {
    session.connectToMainThread();
  } catch (error) {
    s.capture = 'none';
    s.note = `no stack: the inspector is not available (${(error as Error).message})`;
    announce(s);
    return;
  }
  session.on('Debugger.scriptParsed', (m: { params: { scriptId: string; url: string } }) => {
    scripts.set(m.params.scriptId, m.params.url);
  });
  session.once('Debugger.paused', (m: { params: { callFrames: CallFrame[] } }) => {
    void (async () => {
      const late = settled;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      // The main thread stays paused until Debugger.resume: the stretch is
      // settled before it can move on.
      let thread: string | null = null;
      try {
        const r = await post('Runtime.evaluate', { expression: data.describeExpression, returnByValue: true });
        const v = r?.result?.value;
        if (typeof v === 'string' || v === null) thread = v;
      } catch {
        // no name then
      }
      const stack = formatFrames(m.params.callFrames, scripts);
      if (!late) {
        // Paused in the stretch itself, unless the loop moved on meanwhile.
        if (Atomics.load(cells, 0) === s.count && !isMonitorFrame(stack)) {
          s.thread = thread;
          s.stack = stack;
          s.capture = 'js';
        } else {
          s.capture = 'none';
          s.note = 'it ended before its stack could be taken';
        }
        announce(s);
      } else if (s.capture === 'native') {
        s.thread = thread;
        s.stack = stack;
        s.note = 'it was inside native code (a synchronous call outside JavaScript); the stack is where it came back';
        write(
          `greenpatch monitor: ${describeCulprit(s)} came back to JavaScript from the native call here:\n` +
            `${stack.join('\n')}\n`,
        );
      }
      try {
        await post('Debugger.resume');
        await post('Debugger.disable');
      } catch {
        // the session is closing
      }
      close();
    })();
  });
  post('Debugger.enable').catch(() => {});
  post('Debugger.pause').catch((error: Error) => {
    if (settled) return;
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    s.capture = 'none';
    s.note = `no stack: the inspector refused to pause (${error.message})`;
    close();
    announce(s);
  });
  timer = setTimeout(() => {
    if (settled) return;
    // Not in JavaScript (a synchronous call into native code: an execSync,
    // a *Sync file call, a native addon): V8 serves the pause when it
    // returns; the session stays open for that.
    settled = true;
    s.capture = 'native';
    s.note = 'it is inside native code (a synchronous call outside JavaScript): who called it is shown when it returns';
    announce(s);
  }, PAUSE_WAIT_MS);
}

/** The report at detection time, to stderr. */
function announce(s: Stretch): void {
  const blocked = Date.now() - s.since;
  let text =
    `greenpatch monitor: ${describeCulprit(s)} has kept the event loop from turning for ${blocked} ms ` +
    `(threshold ${threshold} ms)`;
  if (s.capture === 'js') text += `; its stack:\n${s.stack.join('\n')}\n`;
  else text += `; ${s.note}\n`;
  write(text);
}

function isMonitorFrame(stack: string[]): boolean {
  return stack.some((line) => line.includes(data.heartbeatName));
}

/** V8's stack-trace format, greenpatch's own frames at the bottom left out. */
function formatFrames(frames: CallFrame[], scripts: Map<string, string>): string[] {
  const lines = frames.map((f) => {
    const url = scripts.get(f.location.scriptId) ?? f.url ?? '';
    const where = `${url === '' ? '<anonymous>' : url}:${f.location.lineNumber + 1}:${f.location.columnNumber + 1}`;
    return { url, text: f.functionName === '' ? `    at ${where}` : `    at ${f.functionName} (${where})` };
  });
  while (lines.length > 1 && data.internalDirs.some((dir) => lines[lines.length - 1].url.includes(dir))) lines.pop();
  const shown = lines.slice(0, MAX_FRAMES).map((l) => l.text);
  if (lines.length > MAX_FRAMES) shown.push(`    ... ${lines.length - MAX_FRAMES} more`);
  return shown;
}

setInterval(poll, data.poll);
parentPort?.postMessage({ ready: true } satisfies WorkerMessage);
