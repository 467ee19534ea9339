// A fiber: a stack of its own plus its own copy of V8's per-thread state.
// Switching follows one protocol everywhere (see SwitchTo in fiber.cc):
// release the isolate with v8::Unlocker, save this context's V8 slots, load
// the target's, switch stacks; the target takes the isolate back.
#pragma once

#include <v8.h>

#include <cstdint>
#include <string>

#include "direct_switch.h"
#include "handoff.h"
#include "stack.h"
#include "v8_slots.h"

namespace greenpatch {

// Where a suspended flow of control is parked: its stack pointer and its
// values of V8's thread-local slots.
struct Context {
  void* sp = nullptr;
  SlotValues slots;
  // Direct switch only: this flow's V8 ThreadState, and whether it has not
  // run yet (it then takes the V8 thread's slot values).
  void* v8_state = nullptr;
  bool fresh = false;
};

class Fiber;

// One per OS thread that loaded the addon (the main thread, each worker).
struct Engine {
  v8::Isolate* isolate = nullptr;
  V8Slots slots;
  Context root;              // the thread's own stack
  Fiber* current = nullptr;  // null while the thread's own stack runs
  StackPool pool;
  size_t stack_size = 2 * 1024 * 1024;
  size_t v8_stack_size = 984 * 1024;  // node's --stack-size, in bytes (settings.h)
  double fibers_created = 0;
  size_t suspended = 0;      // fibers whose stacks V8 still references
  bool shutting_down = false;
  v8::Global<v8::FunctionTemplate> fiber_template;
  v8::Global<v8::Function> probe;  // an empty JavaScript function (CarryTermination)
  // The direct switch (docs/engine-direct-switch.md): switches call V8's
  // archive/restore functions instead of Unlocker/Locker. Chosen once per
  // thread, before its first fiber (binding.cc).
  bool use_direct = false;
  bool switch_chosen = false;
  DirectSwitch direct;
  std::string switch_note;  // why this path

  static Engine* ForThisThread();
};

class Fiber {
 public:
  enum class State { kNew, kRunning, kSuspended, kDone };

  explicit Fiber(Engine* engine) : engine_(engine) {}
  ~Fiber();

  State state() const { return state_; }

  // Enters the fiber (starting `fn` if it is new or finished) with `value`,
  // or with `value` thrown at its Fiber.yield() when `throwing`. Returns what
  // the fiber yields or returns; rethrows what it throws. Empty when an
  // exception is pending for the caller.
  v8::MaybeLocal<v8::Value> Resume(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
                                   bool throwing, v8::Local<v8::Value> fn);

  // Leaves the current fiber for whoever resumed it, handing over `value`.
  // Returns what the next Resume() hands in. Empty when an exception is
  // pending (misuse, or a value thrown in by the resumer).
  // With `adopt_context`, the fiber runs on, once resumed, in its resumer's
  // async context rather than its own (it was idle: what runs next is new).
  static v8::MaybeLocal<v8::Value> Suspend(Engine* engine, v8::Local<v8::Value> value, bool adopt_context = false);

  v8::Global<v8::Object> handle;  // weak: the JS object that owns this fiber

 private:
  static void Main(void* self);
  void RunBody();
  void SwitchTo(Context* from, Context* to, bool adopt_context = false);

  Engine* engine_;
  State state_ = State::kNew;
  Context ctx_;
  Context* resumer_ = nullptr;
  Fiber* resumer_fiber_ = nullptr;
  Stack stack_;
  bool has_stack_ = false;
  v8::Global<v8::Function> start_fn_;
  v8::Global<v8::Context> start_context_;
  Handoff handoff_;
};


}  // namespace greenpatch
