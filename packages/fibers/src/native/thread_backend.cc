#include "thread_backend.h"

#include "termination.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "async_context.h"
#include "async_context_gc.h"
#include "debugger_relock.h"
#include "misuse.h"

namespace greenpatch {
namespace threads {
namespace {

// The engine that code on this OS thread belongs to: set on the Node thread
// when the backend starts there, and on each runner for its whole life.
thread_local ThreadEngine* t_engine = nullptr;

// Room for what glibc keeps at the top of a thread's stack (static TLS, the
// thread descriptor) on top of the fiber's stack size.
constexpr size_t kThreadExtra = 64 * 1024;

// How long joining a runner that was told to end may take before it is
// detached instead (it only has to leave a wait and return).
constexpr auto kJoinTimeout = std::chrono::seconds(10);

}  // namespace

// ---- Runner ----------------------------------------------------------------

Runner* Runner::Start(ThreadEngine* engine, size_t stack_size, int* error) {
  auto* runner = new Runner();
  runner->engine_ = engine;
  runner->stack_size = stack_size;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int rc = pthread_attr_setstacksize(&attr, stack_size + kThreadExtra);
  // Asynchronous signals stay with Node's own threads: the runner starts with
  // them blocked (it inherits this mask). Faults are never blocked.
  sigset_t all, saved;
  sigfillset(&all);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&all, sig);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  if (rc == 0) rc = pthread_create(&runner->thread_, &attr, &Runner::Main, runner);
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    *error = rc;
    delete runner;
    return nullptr;
  }
  return runner;
}

void* Runner::Main(void* self) {
  static_cast<Runner*>(self)->Loop();
  return nullptr;
}

void Runner::Loop() {
  t_engine = engine_;
  // Visible in /proc/<pid>/task/*/comm, top -H, perf and debuggers.
  pthread_setname_np(pthread_self(), "gp-fiber");
  for (;;) {
    baton.Wait();
    if (quit) {
      // Told to end while parked, by a thread now waiting in Join(): V8's
      // table of threads can be trimmed without anyone else running.
      engine_->isolate->DiscardThreadSpecificMetadata();
      break;
    }
    Baton* next = fiber->RunToEnd();
    // Still holding the turn: ReleaseRunner() decided whether this thread
    // stays. Everything is done before the post, after which the engine is
    // not ours to touch.
    if (quit) {
      engine_->isolate->DiscardThreadSpecificMetadata();
      next->Post();
      break;
    }
    next->Post();
  }
  finished_.Post();
}

void Runner::Quit() {
  quit = true;
  baton.Post();
  Join();
}

void Runner::Join() {
  if (finished_.WaitFor(kJoinTimeout)) {
    pthread_join(thread_, nullptr);
    delete this;
  } else {
    pthread_detach(thread_);  // leaked: it may still touch this object
  }
}

// ---- ThreadEngine ----------------------------------------------------------

ThreadEngine* ThreadEngine::Current() { return t_engine; }

ThreadEngine* ThreadEngine::Start(v8::Isolate* isolate) {
  if (t_engine != nullptr) return t_engine;
  auto* engine = new ThreadEngine();
  engine->isolate = isolate;
  // Every Unlocker needs a Locker below it. Node's main thread never takes
  // one; worker threads already hold one. Held for the thread's whole life.
  if (!v8::Locker::IsLocked(isolate)) new v8::Locker(isolate);
  GuardAsyncContextDuringCollections(isolate);
  t_engine = engine;
  return engine;
}

Runner* ThreadEngine::AcquireRunner(int* error) {
  while (!idle.empty()) {
    Runner* runner = idle.back();
    idle.pop_back();
    if (runner->stack_size == stack_size) return runner;
    runner->Quit();  // made before stackSize changed
  }
  return Runner::Start(this, stack_size, error);
}

void ThreadEngine::ReleaseRunner(Runner* runner) {
  runner->fiber = nullptr;
  if (!shutting_down && runner->stack_size == stack_size && idle.size() < pool_limit) {
    idle.push_back(runner);
  } else {
    runner->quit = true;
    retired.push_back(runner);
  }
}

void ThreadEngine::JoinRetired() {
  std::vector<Runner*> done;
  done.swap(retired);
  for (Runner* runner : done) runner->Join();
}

void ThreadEngine::SetPoolLimit(size_t limit) {
  pool_limit = limit;
  while (idle.size() > pool_limit) {
    Runner* runner = idle.back();
    idle.pop_back();
    runner->Quit();
  }
}

void ThreadEngine::Shutdown() {
  shutting_down = true;
  if (current == nullptr) {
    v8::HandleScope scope(isolate);
    // A snapshot: an unwound fiber cannot suspend again (Suspend() refuses
    // during shutdown), but if one did it would simply be left parked.
    std::vector<ThreadFiber*> fibers(suspended.begin(), suspended.end());
    for (ThreadFiber* fiber : fibers) {
      fiber->Unwind();
      if (fiber->orphaned && fiber->state() != ThreadFiber::State::kSuspended) delete fiber;
    }
  }
  std::vector<Runner*> parked;
  parked.swap(idle);
  for (Runner* runner : parked) runner->Quit();
  JoinRetired();
}

void ThreadEngine::TerminateNow() { CarryTermination(isolate, probe); }

void ThreadEngine::HandOff(Baton* mine, Baton* next, bool adopt_context) {
  // Leave the isolate completely, as the native backend does, so that a
  // parked thread keeps no entry on the isolate's entry stack; enter it again
  // once resumed.
  AsyncContextHold async_context(isolate);
  FindThisThreadsSlots(isolate);
  int depth = 0;
  while (v8::Isolate::TryGetCurrent() == isolate) {
    isolate->Exit();
    depth++;
  }
  {
    v8::Unlocker unlocker(isolate);
    next->Post();
    mine->Wait();
    MarkThisThreadForRelock(isolate);
    // ~Unlocker takes the isolate back; V8 restores this thread's state.
  }
  while (depth-- > 0) isolate->Enter();
  async_context.Finish(adopt_context);
}

v8::MaybeLocal<v8::Value> ThreadEngine::CallOnHome(v8::Local<v8::Context> context, v8::Local<v8::Function> fn) {
  if (current == nullptr) return fn->Call(context, v8::Undefined(isolate), 0, nullptr);
  HomeCall call;
  call.fn.Reset(isolate, fn);
  call.requester = current->baton();
  pending_call = &call;
  // The Node thread waits in ThreadFiber::Enter() for the first fiber of the
  // chain that leads here; it runs the call and posts us back.
  HandOff(call.requester, &home);
  v8::EscapableHandleScope scope(isolate);
  if (call.terminated) {
    TerminateNow();
    return {};
  }
  v8::Local<v8::Value> result = call.result.Get(isolate);
  if (call.threw) {
    isolate->ThrowException(result);
    return {};
  }
  return scope.Escape(result);
}

void ThreadEngine::RunHomeCall(HomeCall* call) {
  v8::HandleScope scope(isolate);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> out;
  in_home_call = true;
  bool ok = !context.IsEmpty() && call->fn.Get(isolate)->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&out);
  in_home_call = false;
  if (ok) {
    call->result.Reset(isolate, out);
  } else if (try_catch.HasTerminated() || !try_catch.CanContinue()) {
    call->terminated = true;
  } else {
    call->threw = true;
    if (try_catch.HasCaught()) call->result.Reset(isolate, try_catch.Exception());
  }
}

// ---- ThreadFiber -----------------------------------------------------------

ThreadFiber::~ThreadFiber() {
  // Only new or finished fibers are deleted; they hold no runner.
}

void ThreadFiber::Enter(Outcome outcome, v8::Local<v8::Value> value) {
  handoff_.Set(engine_->isolate, outcome, value);
  resumer_fiber_ = engine_->current;
  resumer_ = resumer_fiber_ ? &resumer_fiber_->runner_->baton : &engine_->home;
  state_ = State::kRunning;
  engine_->current = this;
  engine_->HandOff(resumer_, &runner_->baton);
  // Woken on the Node thread by a fiber down the chain that wants a call run
  // here (CallOnHome): run it, hand back to that fiber, wait again.
  while (resumer_fiber_ == nullptr && engine_->pending_call != nullptr) {
    HomeCall* call = engine_->pending_call;
    engine_->pending_call = nullptr;
    engine_->RunHomeCall(call);
    engine_->HandOff(&engine_->home, call->requester);
  }
  // The fiber suspended or ended, and set engine_->current back to us.
  if (state_ == State::kDone) {
    runner_ = nullptr;
    engine_->JoinRetired();
  } else if (state_ == State::kSuspended) {
    engine_->suspended.insert(this);
  }
}

v8::MaybeLocal<v8::Value> ThreadFiber::Resume(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
                                              bool throwing, v8::Local<v8::Value> fn) {
  v8::Isolate* isolate = engine_->isolate;
  if (engine_->in_home_call) {
    ThrowCoded(isolate, "ERR_FIBER_HOME_CALL", "Fibers cannot be switched inside a call run on the Node thread");
    return {};
  }
  const bool starting = state_ == State::kNew || state_ == State::kDone;
  if (!CheckResume(isolate, state_ == State::kRunning, starting, throwing, fn, engine_->shutting_down)) return {};
  if (starting) {
    int error = 0;
    Runner* runner = engine_->AcquireRunner(&error);
    if (runner == nullptr) {
      std::string msg = std::string("Cannot start a thread for the fiber: ") + strerror(error);
      ThrowCoded(isolate, "ERR_FIBER_STACK_ALLOCATION", msg.c_str());
      return {};
    }
    runner_ = runner;
    runner->fiber = this;
    start_fn_.Reset(isolate, fn.As<v8::Function>());
    start_context_.Reset(isolate, context);
    engine_->fibers_created++;
  } else {
    engine_->suspended.erase(this);
  }
  Enter(throwing ? Outcome::kThrow : Outcome::kValue, value);
  return handoff_.Deliver(isolate, engine_->probe);
}

v8::MaybeLocal<v8::Value> ThreadFiber::Suspend(ThreadEngine* engine, v8::Local<v8::Value> value, bool adopt_context) {
  v8::Isolate* isolate = engine->isolate;
  ThreadFiber* self = engine->current;
  if (self == nullptr) {
    ThrowCoded(isolate, "ERR_FIBER_YIELD_OUTSIDE", "Fiber.yield() called with no fiber running");
    return {};
  }
  if (engine->in_home_call) {
    ThrowCoded(isolate, "ERR_FIBER_HOME_CALL", "Fibers cannot be switched inside a call run on the Node thread");
    return {};
  }
  if (engine->shutting_down) {
    // Its thread is being unwound: go on terminating instead of parking.
    isolate->TerminateExecution();
    return {};
  }
  self->handoff_.Set(isolate, Outcome::kValue, value);
  self->state_ = State::kSuspended;
  engine->current = self->resumer_fiber_;
  engine->HandOff(&self->runner_->baton, self->resumer_, adopt_context);
  // Resumed: Enter() set state and current.
  return self->handoff_.Deliver(isolate, engine->probe);
}

void ThreadFiber::Unwind() {
  if (state_ != State::kSuspended || engine_->current != nullptr) return;
  engine_->suspended.erase(this);
  Enter(Outcome::kExit, {});
  handoff_.Clear();  // the body's outcome goes nowhere
}

Baton* ThreadFiber::RunToEnd() {
  RunBody();
  // The isolate is released but this thread still holds the turn: nobody
  // else runs until the resumer's baton is posted.
  state_ = State::kDone;
  engine_->current = resumer_fiber_;
  Baton* next = resumer_;
  engine_->ReleaseRunner(runner_);
  return next;
}

void ThreadFiber::RunBody() {
  v8::Isolate* isolate = engine_->isolate;
  // A new V8 "thread": V8 takes this OS thread's own stack for it, with the
  // usual JavaScript stack area (--stack-size) below where it starts.
  v8::Locker locker(isolate);
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Context> context = start_context_.Get(isolate);
  start_context_.Reset();
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Function> fn = start_fn_.Get(isolate);
  start_fn_.Reset();
  handoff_.CallEntry(isolate, context, fn);
}

}  // namespace threads
}  // namespace greenpatch
