// The threads backend: each fiber's body runs on an OS thread of its own
// (a Runner, created lazily and reused from a pool), and exactly one of them
// runs at a time. Only public V8 API: the isolate is handed over with
// v8::Unlocker/v8::Locker, and each flow of control waits on its own Baton,
// so that a switch wakes exactly the next runner. Slower than the native
// backend (two thread wake-ups and a V8 thread archive/restore per switch),
// but it needs nothing from the Node binary beyond its headers.
//
// Switching protocol (HandOff): leave the isolate (every entry this thread
// has), v8::Unlocker, post the next runner's baton, wait on our own, and once
// woken take the isolate back (~Unlocker) and enter it again. Whoever holds
// the turn (the one thread not waiting on its baton) may touch the engine's
// state; the batons' release/acquire order those accesses between threads.
//
// The Node thread itself always waits in ThreadFiber::Enter() while fibers
// run; a fiber that needs a call made on the Node thread's own OS thread
// (CallOnHome) wakes it there, and is woken back when the call returns.
#pragma once

#include <pthread.h>
#include <v8.h>

#include "handoff.h"

#include <cstddef>
#include <unordered_set>
#include <vector>

#include "baton.h"

namespace greenpatch {
namespace threads {

class ThreadFiber;
struct ThreadEngine;

// An OS thread that runs fibers' bodies, one after another.
class Runner {
 public:
  // Starts the thread (parked until its baton is posted). Null with *error
  // set (an errno value) when the system refuses a thread.
  static Runner* Start(ThreadEngine* engine, size_t stack_size, int* error);

  // Tells a parked runner to end its thread, and joins it. Waits a bounded
  // time; a thread that does not finish by then is detached and leaked.
  void Quit();
  // Joins a runner that left its loop by itself (see ThreadEngine::Retire).
  void Join();

  Baton baton;                   // posted to run or resume `fiber`, or to quit
  ThreadFiber* fiber = nullptr;  // the fiber it runs, while it has one
  bool quit = false;             // leave the loop when woken / after the fiber
  size_t stack_size = 0;

 private:
  static void* Main(void* self);
  void Loop();

  ThreadEngine* engine_ = nullptr;
  pthread_t thread_{};
  TimedBaton finished_;  // posted as the thread's last act
};

// A function a fiber asked to run on the Node thread's own OS thread
// (ThreadEngine::CallOnHome); lives on the asking fiber's stack.
struct HomeCall {
  v8::Global<v8::Function> fn;
  v8::Global<v8::Value> result;  // the return value, or what it threw
  bool threw = false;
  bool terminated = false;
  Baton* requester = nullptr;    // the asking fiber's baton
};

// One per Node thread (the main thread, each worker) that started this backend.
struct ThreadEngine {
  v8::Isolate* isolate = nullptr;
  ThreadFiber* current = nullptr;  // null while the Node thread's own stack runs
  Baton home;                      // the Node thread's own baton
  std::vector<Runner*> idle;       // parked runners, at most pool_limit
  std::vector<Runner*> retired;    // runners that ended their thread, to join
  std::unordered_set<ThreadFiber*> suspended;
  size_t pool_limit = 120;
  size_t stack_size = 2 * 1024 * 1024;
  size_t v8_stack_size = 984 * 1024;  // node's --stack-size, in bytes
  double fibers_created = 0;
  bool shutting_down = false;
  HomeCall* pending_call = nullptr;  // posted by a fiber, run by the Node thread
  bool in_home_call = false;         // the Node thread is running one
  v8::Global<v8::FunctionTemplate> fiber_template;
  v8::Global<v8::Function> probe;  // an empty JavaScript function (TerminateNow)


  // The engine of the Node thread this code runs for: on the Node thread
  // itself or on one of its runners. Null where the backend never started.
  static ThreadEngine* Current();
  // Starts the backend on this Node thread (once; later calls return it).
  static ThreadEngine* Start(v8::Isolate* isolate);

  // A runner for a new fiber: from the pool, else a new thread.
  Runner* AcquireRunner(int* error);
  // A runner whose fiber ended: back to the pool, or told to end its thread.
  void ReleaseRunner(Runner* runner);
  void JoinRetired();
  void SetPoolLimit(size_t limit);
  // The environment is going away: unwind every suspended fiber (terminating
  // its JavaScript), then end and join every runner thread.
  void Shutdown();
  // Terminates the JavaScript that called into the engine, before it runs any
  // further. TerminateExecution() alone only requests it: JavaScript notices
  // at its next call or loop iteration, and code that just returns would end
  // normally, the termination lost with its thread's V8 state.
  void TerminateNow();

  // The switching protocol (see the top of this file): leave and release the
  // isolate, post `next`, wait on `mine`, take the isolate back.
  // With `adopt_context`, this thread runs on in the async context the
  // thread that posted `mine` left (see Fiber::Suspend's).
  void HandOff(Baton* mine, Baton* next, bool adopt_context = false);

  // Runs `fn` on the Node thread's own OS thread and returns its result (or
  // rethrows what it throws). Node keeps some per-environment caches in C++
  // thread_local variables (from Node 24 the TLS root certificate store
  // registers an environment cleanup hook once per OS thread, and aborts on
  // a second one): calls that reach them must not run on a fiber's thread.
  // From the Node thread itself, a plain call.
  v8::MaybeLocal<v8::Value> CallOnHome(v8::Local<v8::Context> context, v8::Local<v8::Function> fn);
  // On the Node thread, woken by a fiber's CallOnHome(): runs the call.
  void RunHomeCall(HomeCall* call);
};

class ThreadFiber {
 public:
  enum class State { kNew, kRunning, kSuspended, kDone };
  using Outcome = Handoff::Outcome;

  explicit ThreadFiber(ThreadEngine* engine) : engine_(engine) {}
  ~ThreadFiber();

  State state() const { return state_; }

  // The same contract as the native backend's Fiber::Resume/Suspend.
  v8::MaybeLocal<v8::Value> Resume(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
                                   bool throwing, v8::Local<v8::Value> fn);
  static v8::MaybeLocal<v8::Value> Suspend(ThreadEngine* engine, v8::Local<v8::Value> value, bool adopt_context = false);

  // At shutdown: resumes a suspended fiber with a termination, so that its
  // body returns and its runner is free. Runs on the Node thread.
  void Unwind();

  // On the runner: runs the body under a v8::Locker, then hands the turn back
  // to the resumer. Returns the baton to post.
  Baton* RunToEnd();

  Baton* baton() const { return &runner_->baton; }

  v8::Global<v8::Object> handle;  // weak: the JS object that owns this fiber
  bool orphaned = false;          // handle collected while suspended

 private:
  void RunBody();
  void Enter(Outcome outcome, v8::Local<v8::Value> value);

  ThreadEngine* engine_;
  State state_ = State::kNew;
  Runner* runner_ = nullptr;
  ThreadFiber* resumer_fiber_ = nullptr;
  Baton* resumer_ = nullptr;
  v8::Global<v8::Function> start_fn_;
  v8::Global<v8::Context> start_context_;
  Handoff handoff_;
};

}  // namespace threads
}  // namespace greenpatch
