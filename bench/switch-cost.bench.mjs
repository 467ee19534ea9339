// What one native fiber switch costs, counted in instructions with
// callgrind, and where they go. Two runs of the same script that differ only
// in the number of run()+yield() round trips (after the same warm-up, so that
// both compile the same code); the difference divided by the extra round
// trips is the cost of one round trip (two switches). The same difference is
// taken per function (self cost), grouped by what the function is part of,
// and for a few entry points inclusively. docs/engine-direct-switch.md
// explains the groups.
//
//   node bench/switch-cost.bench.mjs              the running Node
//   SWITCH_COST_NODES=/a/node:/b/node node ...    those Nodes too (each needs
//                                                 its addon built)
//
// Needs valgrind (callgrind, callgrind_annotate); without it, says so and
// exits 0. About 30 s per Node on a quiet machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WARMUP = 30_000;
const SMALL = 2_000;
const LARGE = 22_000;

if (process.argv[2] === '--child') {
  const require = createRequire(import.meta.url);
  const Fiber = require('../packages/fibers');
  if (Fiber.backend !== 'native') {
    process.stderr.write(`backend is ${Fiber.backend}, not native\n`);
    process.exit(2);
  }
  const fiber = Fiber(() => {
    for (;;) Fiber.yield();
  });
  fiber.run();
  const loop = (n) => {
    for (let i = 0; i < n; i++) fiber.run();
  };
  loop(WARMUP);
  loop(Number(process.argv[3]));
  process.exit(0);
}

// Where a function's own instructions are counted. First match wins; the
// patterns are matched against callgrind_annotate's "file:function [object]".
const GROUPS = [
  ['Debug archive/restore and its stack walk', /Debug::|DebugScope|StackFrameIterator|StackFrame::|StackFrame\b|ExitFrame|InnerPointerToCodeCache|OffHeapInstructionStream|WasmCodeManager::LookupCode|WasmCodeRefScope|WasmCode::DecrementRefCount|InterruptsScope|GcSafe|Builtins::Lookup|ComputeStackFrameType|IsValidFrame|SafeStackFrameIterator|TypedFrame|StubFrame|EntryFrame|JavaScriptFrame|PostponeInterrupts|LookupCode/],
  ['mutexes (glibc, v8::base, absl)', /pthread_mutex|base::Mutex|base::RecursiveMutex|absl::Mutex|absl::DebugOnly|absl::.*Lock|__lll_lock|lll_mutex|futex|SpinLock/],
  ['Locker/Unlocker and ThreadManager bookkeeping', /v8::Locker::|v8::Unlocker::|ThreadManager::|ThreadState::|Locker::IsLocked/],
  ['archiving/restoring thread state', /ArchiveThread|RestoreThread|ArchiveStack|RestoreStack|ArchiveStackGuard|RestoreStackGuard|FreeThreadResources|Relocatable|Bootstrapper|ThreadLocalTop|InitThread|ArchiveSpacePerThread|RegExpStack|memcpy|memmove|memset/],
  ['per-thread data and thread ids', /PerThreadData|ThreadId::|ThreadDataTable|thread_id|GetCurrentThreadId|FindOrAllocate/],
  ['Isolate::Enter/Exit', /Isolate::Enter|Isolate::Exit|Isolate::Scope|SetStackStart|SetStackLimit|LocalHeap|MarkingBarrier|Heap::SetStack|SetStackStart/],
  ['malloc/free', /malloc|_int_free|\bfree\b|operator new|operator delete|cfree/],
  ['greenpatch engine (switch, handoff)', /greenpatch::|gp_switch|gp_trampoline/],
  ['JavaScript, API calls, handle scopes', /Builtins_|HandleScope|v8::Object::|v8::Value::|FunctionTemplate|Isolate::GetCurrent|v8::internal::|v8::|0x0000/],
];

// Entry points whose inclusive cost per round trip is reported. The rows
// overlap (RestoreThread includes RestoreDebug, which on V8 12+ includes an
// Isolate::Enter and Exit of its own).
const ENTRIES = [
  ['v8::Unlocker::Initialize(', 'Unlocker (leaving: lazy archive)'],
  ['v8::Unlocker::~Unlocker(', '~Unlocker (arriving: takes the lock, archives the other, restores)'],
  ['v8::internal::ThreadManager::EagerlyArchiveThread(', '  ThreadManager::EagerlyArchiveThread'],
  ['v8::internal::ThreadManager::RestoreThread(', '  ThreadManager::RestoreThread'],
  ['v8::internal::Debug::RestoreDebug(', '    Debug::RestoreDebug'],
  ['v8::internal::DebugScope::DebugScope(', '      DebugScope (its stack walk)'],
  ['v8::internal::Isolate::Enter(', 'Isolate::Enter (all callers)'],
  ['v8::internal::Isolate::Exit(', 'Isolate::Exit (all callers)'],
  ['v8::internal::Isolate::FindOrAllocatePerThreadDataForThisThread(', 'FindOrAllocatePerThreadDataForThisThread'],
  ['v8::internal::Isolate::FindPerThreadDataForThisThread(', 'FindPerThreadDataForThisThread'],
  ['pthread_mutex_lock', 'pthread_mutex_lock (all callers)'],
  ['absl::Mutex::lock(', 'absl::Mutex::lock (all callers)'],
  ['v8::base::RecursiveMutex::Lock(', 'RecursiveMutex::Lock (all callers)'],
  ['v8::internal::Heap::CollectGarbage(', 'garbage collections (Heap::CollectGarbage)'],
];

// What a direct switch would still call: the per-subsystem archive and
// restore functions (Debug's restore only while a debugger is attached),
// and the heap's stack start. Their inclusive costs are summed into the
// estimate printed for each Node (docs/engine-direct-switch.md).
const KEPT = [
  'v8::internal::HandleScopeImplementer::ArchiveThread(',
  'v8::internal::Isolate::ArchiveThread(',
  'v8::internal::Relocatable::ArchiveState(',
  'v8::internal::StackGuard::ArchiveStackGuard(',
  'v8::internal::Debug::ArchiveDebug(',
  'v8::internal::RegExpStack::ArchiveStack(',
  'v8::internal::Bootstrapper::ArchiveState(',
  'v8::internal::HandleScopeImplementer::RestoreThread(',
  'v8::internal::Isolate::RestoreThread(',
  'v8::internal::Relocatable::RestoreState(',
  'v8::internal::StackGuard::RestoreStackGuard(',
  'v8::internal::RegExpStack::RestoreStack(',
  'v8::internal::Bootstrapper::RestoreState(',
  'v8::internal::Heap::SetStackStart(',
];
// Own instructions that stay whatever the V8 path: the JavaScript and API
// calls around a switch, and the engine's own code.
const KEPT_GROUPS = ['greenpatch engine (switch, handoff)', 'JavaScript, API calls, handle scopes'];

function annotate(file, inclusive) {
  const r = spawnSync('callgrind_annotate', ['--threshold=100', `--inclusive=${inclusive ? 'yes' : 'no'}`, file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = new Map();
  let total = 0;
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([\d,]+) (?:\([^)]*\))?\s+(.*)$/.exec(line);
    if (!m) continue;
    const n = Number(m[1].replaceAll(',', ''));
    if (m[2] === 'PROGRAM TOTALS') total = n;
    else if (m[2].includes(':')) out.set(m[2], (out.get(m[2]) ?? 0) + n);
  }
  return { total, out };
}

function callgrind(node, dir, n) {
  const file = join(dir, `cg.${n}`);
  const r = spawnSync(
    'valgrind',
    // --single-threaded: no concurrent compiler or GC threads whose work
    // would differ between the two runs.
    ['--tool=callgrind', `--callgrind-out-file=${file}`, node, '--single-threaded', fileURLToPath(import.meta.url), '--child', String(n)],
    { encoding: 'utf8', timeout: 180_000, killSignal: 'SIGKILL', env: { ...process.env, GREENPATCH_BACKEND: 'native' } },
  );
  if (r.status !== 0) {
    const why = r.signal ? `stopped by ${r.signal}` : (r.stderr.split('\n').find((l) => /ERR_|Error|backend/.test(l)) ?? `exit ${r.status}`);
    throw new Error(why.trim());
  }
  return file;
}

function measure(node) {
  const version = spawnSync(node, ['-p', 'process.version + " (V8 " + process.versions.v8.split("-")[0] + ")"'], { encoding: 'utf8' }).stdout.trim();
  const dir = mkdtempSync(join(tmpdir(), 'switch-cost-'));
  try {
    const small = callgrind(node, dir, SMALL);
    const large = callgrind(node, dir, LARGE);
    const dn = LARGE - SMALL;
    const selfA = annotate(small, false);
    const selfB = annotate(large, false);
    const inclA = annotate(small, true).out;
    const inclB = annotate(large, true).out;
    const perRoundTrip = (selfB.total - selfA.total) / dn;
    const groups = new Map(GROUPS.map(([name]) => [name, 0]));
    groups.set('other', 0);
    for (const key of new Set([...selfA.out.keys(), ...selfB.out.keys()])) {
      const d = ((selfB.out.get(key) ?? 0) - (selfA.out.get(key) ?? 0)) / dn;
      const group = GROUPS.find(([, re]) => re.test(key))?.[0] ?? 'other';
      groups.set(group, groups.get(group) + d);
    }
    const keys = new Set([...inclA.keys(), ...inclB.keys()]);
    const inclusive = (prefix) => {
      let d = 0;
      for (const key of keys) {
        const fn = key.slice(key.indexOf(':') + 1);
        // Exact function, not its recursive instances ('2), nor callers whose name contains it.
        if (fn.startsWith(prefix) && !/'\d+ \[/.test(fn)) d += ((inclB.get(key) ?? 0) - (inclA.get(key) ?? 0)) / dn;
      }
      return d;
    };
    const entries = ENTRIES.map(([prefix, label]) => [label, inclusive(prefix)]);
    const kept = KEPT.map((prefix) => [prefix.replace(/^v8::internal::|\($/g, ''), inclusive(prefix)]);
    const keptOwn = KEPT_GROUPS.reduce((sum, name) => sum + groups.get(name), 0);
    const estimate = keptOwn + kept.reduce((sum, [, v]) => sum + v, 0);
    return { node: version, perRoundTrip, groups: [...groups], entries, kept, keptOwn, estimate };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.log('valgrind is not installed: instruction counts not measured (apt-get install valgrind)');
  process.exit(0);
}
const nodes = [process.execPath, ...(process.env.SWITCH_COST_NODES ?? '').split(':').filter(Boolean)];
let failed = 0;
for (const node of nodes) {
  let r;
  try {
    r = measure(node);
  } catch (error) {
    console.log(`${node}: not measured (${error.message})`);
    failed++;
    continue;
  }
  const gc = r.entries.find(([name]) => name.startsWith('garbage'))[1];
  console.log(
    `\nNode ${r.node}, native backend: ${Math.round(r.perRoundTrip)} instructions per run()+yield() round trip, ` +
      `${Math.round(r.perRoundTrip / 2)} per switch; without garbage collections ${Math.round((r.perRoundTrip - gc) / 2)} per switch`,
  );
  console.log('| own instructions in | per round trip | per switch |');
  console.log('| --- | ---: | ---: |');
  for (const [name, v] of r.groups) console.log(`| ${name} | ${Math.round(v)} | ${Math.round(v / 2)} |`);
  console.log('\n| inclusive | per round trip | per switch |');
  console.log('| --- | ---: | ---: |');
  for (const [name, v] of r.entries) console.log(`| ${name} | ${Math.round(v)} | ${Math.round(v / 2)} |`);
  console.log('\n| a direct switch would keep | per round trip | per switch |');
  console.log('| --- | ---: | ---: |');
  console.log(`| own instructions: ${KEPT_GROUPS.join(', ')} | ${Math.round(r.keptOwn)} | ${Math.round(r.keptOwn / 2)} |`);
  for (const [name, v] of r.kept) console.log(`| ${name} | ${Math.round(v)} | ${Math.round(v / 2)} |`);
  const now = r.perRoundTrip - gc;
  console.log(
    `| **estimate** (now ${Math.round(now / 2)} per switch without GC) | ${Math.round(r.estimate)} | ` +
      `${Math.round(r.estimate / 2)} (${Math.round((100 * (now - r.estimate)) / now)}% fewer) |`,
  );
}
process.exit(failed === nodes.length ? 1 : 0);
