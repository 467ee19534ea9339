#include "fiber.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "async_context.h"
#include "debugger_relock.h"
#include "misuse.h"
#include "stack_switch.h"

namespace greenpatch {
namespace {

thread_local Engine* t_engine = nullptr;

}  // namespace

Engine* Engine::ForThisThread() {
  if (t_engine == nullptr) t_engine = new Engine();
  return t_engine;
}

Fiber::~Fiber() {
  // Only new or finished fibers are deleted (see the weak callback in
  // binding.cc); a finished fiber gave its stack back when it ended.
  if (has_stack_ && state_ != State::kSuspended) engine_->pool.Release(stack_);
  if (ctx_.v8_state != nullptr && state_ != State::kSuspended) engine_->direct.Release(ctx_.v8_state);
}

void Fiber::SwitchTo(Context* from, Context* to, bool adopt_context) {
  v8::Isolate* isolate = engine_->isolate;
  AsyncContextHold async_context(isolate);
  if (engine_->use_direct) {
    // One V8 thread for every flow: archive this flow's state, switch, and
    // once back, restore it (docs/engine-direct-switch.md). The isolate
    // stays entered: each flow keeps its own entry count (so none is left
    // counted by a suspended fiber at exit), and entering once more, on
    // V8's fast path, hands this stack's start to the heap.
    const int entries = *engine_->direct.entry_count();
    engine_->direct.Archive(&from->v8_state);
    engine_->slots.Save(&from->slots);
    if (to->fresh) {
      const uint64_t start = to->slots.values[kStackStartSlot];
      to->slots = from->slots;
      to->slots.values[kStackStartSlot] = start;
      to->fresh = false;
    }
    engine_->slots.Load(to->slots);
    gp_switch(&from->sp, to->sp);
    engine_->direct.Restore(from->v8_state);
    *engine_->direct.entry_count() = entries;
    isolate->Enter();
    isolate->Exit();
    async_context.Finish(adopt_context);
    return;
  }
  // Locker path: leave the isolate completely, and enter it again once
  // resumed. Then no suspended context keeps an entry on the isolate's entry
  // stack (Node would refuse to dispose of the isolate at exit), and each
  // re-entry makes V8 record this context's own stack start for the heap's
  // conservative stack scan, and its thread id as the isolate's current one.
  int depth = 0;
  while (v8::Isolate::TryGetCurrent() == isolate) {
    isolate->Exit();
    depth++;
  }
  {
    v8::Unlocker unlocker(isolate);
    engine_->slots.Save(&from->slots);
    engine_->slots.Load(to->slots);
    MarkIsolateForRelock(engine_->slots, isolate);
    gp_switch(&from->sp, to->sp);
    // Back on `from`: whoever switched here loaded our slots; ~Unlocker takes
    // the isolate and V8 restores this context's thread state.
  }
  while (depth-- > 0) isolate->Enter();
  async_context.Finish(adopt_context);
}

v8::MaybeLocal<v8::Value> Fiber::Resume(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
                                        bool throwing, v8::Local<v8::Value> fn) {
  v8::Isolate* isolate = engine_->isolate;
  const bool starting = state_ == State::kNew || state_ == State::kDone;
  if (!CheckResume(isolate, state_ == State::kRunning, starting, throwing, fn, engine_->shutting_down)) return {};
  if (starting) {
    if (!engine_->pool.Acquire(engine_->stack_size, &stack_)) {
      std::string msg = std::string("Cannot allocate a fiber stack: ") + strerror(errno);
      ThrowCoded(isolate, "ERR_FIBER_STACK_ALLOCATION", msg.c_str());
      return {};
    }
    has_stack_ = true;
    ctx_.sp = PrepareStack(stack_.high(), &Fiber::Main, this);
    // All zero, V8 sees a thread it has never met; but its stack is this one.
    ctx_.slots = SlotValues();
    ctx_.slots.values[kStackStartSlot] = reinterpret_cast<uint64_t>(stack_.high());
    ctx_.fresh = true;
    start_fn_.Reset(isolate, fn.As<v8::Function>());
    start_context_.Reset(isolate, context);
    engine_->fibers_created++;
  } else {
    engine_->suspended--;
  }
  handoff_.Set(isolate, throwing ? Handoff::Outcome::kThrow : Handoff::Outcome::kValue, value);

  resumer_fiber_ = engine_->current;
  resumer_ = resumer_fiber_ ? &resumer_fiber_->ctx_ : &engine_->root;
  state_ = State::kRunning;
  engine_->current = this;
  SwitchTo(resumer_, &ctx_);

  // The fiber yielded or ended; it set engine_->current back to our context.
  if (state_ == State::kDone && has_stack_) {
    engine_->pool.Release(stack_);
    has_stack_ = false;
  }
  if (state_ == State::kDone && ctx_.v8_state != nullptr) {
    engine_->direct.Release(ctx_.v8_state);
    ctx_.v8_state = nullptr;
  } else if (state_ == State::kSuspended) {
    engine_->suspended++;
  }
  return handoff_.Deliver(isolate, engine_->probe);
}

v8::MaybeLocal<v8::Value> Fiber::Suspend(Engine* engine, v8::Local<v8::Value> value, bool adopt_context) {
  v8::Isolate* isolate = engine->isolate;
  Fiber* self = engine->current;
  if (self == nullptr) {
    ThrowCoded(isolate, "ERR_FIBER_YIELD_OUTSIDE", "Fiber.yield() called with no fiber running");
    return {};
  }
  self->handoff_.Set(isolate, Handoff::Outcome::kValue, value);
  self->state_ = State::kSuspended;
  engine->current = self->resumer_fiber_;
  self->SwitchTo(&self->ctx_, self->resumer_, adopt_context);
  // Resumed: Resume() set state and current.
  return self->handoff_.Deliver(isolate, engine->probe);
}

void Fiber::Main(void* self_ptr) {
  Fiber* self = static_cast<Fiber*>(self_ptr);
  self->RunBody();
  // Nothing with a destructor may live in this frame: it is abandoned.
  Engine* engine = self->engine_;
  // Direct switch: free what this flow's live V8 state owned; the resumer's
  // restore then overwrites it.
  if (engine->use_direct) engine->direct.EndFlow();
  self->state_ = State::kDone;
  engine->current = self->resumer_fiber_;
  engine->slots.Load(self->resumer_->slots);
  MarkIsolateForRelock(engine->slots, engine->isolate);
  gp_switch(&self->ctx_.sp, self->resumer_->sp);
  __builtin_trap();  // a finished fiber is never switched to again
}

void Fiber::RunBody() {
  v8::Isolate* isolate = engine_->isolate;
  // Direct switch: this stack is a new flow of the same V8 thread (the
  // Locker below is then already held and does nothing).
  if (engine_->use_direct) {
    engine_->direct.StartFlow(reinterpret_cast<uintptr_t>(stack_.high()) - engine_->v8_stack_size);
  }
  {
    v8::Locker locker(isolate);
    v8::Isolate::Scope isolate_scope(isolate);
    // No SetStackLimit(): V8 gives this new "thread" the same JavaScript
    // stack area as any thread (--stack-size below the stack start it sees,
    // ours). settings.h keeps the stack larger than that. V8 14
    // also keeps the size of the last SetStackLimit() isolate-wide, which
    // would then disagree with every other context's stack.
    v8::HandleScope handle_scope(isolate);
    v8::Local<v8::Context> context = start_context_.Get(isolate);
    start_context_.Reset();
    v8::Context::Scope context_scope(context);
    v8::Local<v8::Function> fn = start_fn_.Get(isolate);
    start_fn_.Reset();
    handoff_.CallEntry(isolate, context, fn);
  }
  // This fiber's V8 "thread" is over: drop its per-thread bookkeeping (not
  // with the direct switch, where it is the OS thread's own).
  if (!engine_->use_direct) isolate->DiscardThreadSpecificMetadata();
}

}  // namespace greenpatch
