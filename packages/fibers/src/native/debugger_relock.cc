#include "debugger_relock.h"

#include <string>

namespace greenpatch {
namespace {

struct ThreadSlots {
  bool tried = false;
  bool bound = false;
  V8Slots slots;
};
thread_local ThreadSlots t_slots;

}  // namespace

void FindThisThreadsSlots(v8::Isolate* isolate) {
  if (!kRelockNeedsCurrentIsolate || t_slots.tried) return;
  t_slots.tried = true;
  std::string error;
  t_slots.bound = t_slots.slots.Bind(isolate, &error);
}

void MarkThisThreadForRelock(v8::Isolate* isolate) {
  if (kRelockNeedsCurrentIsolate && t_slots.bound) t_slots.slots.SetCurrentIsolate(isolate);
}

}  // namespace greenpatch
