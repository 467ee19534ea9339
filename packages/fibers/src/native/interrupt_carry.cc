#include "interrupt_carry.h"
#include "safe_read.h"

#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

namespace greenpatch {
namespace {

// The first words of V8's base::RecursiveMutex, both layouts: on V8 11-12 a
// glibc recursive pthread_mutex_t (__lock, __count, __owner), on V8 13+
// {owner_, level_, absl::Mutex}. Either way the word at +4 counts this
// thread's locks, and the owner's thread id is at +8 or +0.
struct MutexWords {
  int w0;
  unsigned count;
  int w8;
};

// The isolate offset of the mutex `code` (V8's ArchiveStackGuard) locks
// first: the displacement or immediate last put into a register before the
// call to `lock`, as each major's compiler writes it (`lea disp32(%rax),%r13`
// on V8 11-13, `mov $imm32,%r15d; add (%rdi),%r15` on V8 14). 0 if none.
uintptr_t MutexOffset(uintptr_t code_address, uintptr_t lock) {
  unsigned char code[96];
  if (!SafeRead(reinterpret_cast<void*>(code_address), code, sizeof(code))) return 0;
  int32_t last = 0;
  for (size_t i = 0; i + 5 <= sizeof(code); i++) {
    if (code[i] == 0xe8) {
      int32_t rel;
      memcpy(&rel, code + i + 1, 4);
      if (code_address + i + 5 + static_cast<int64_t>(rel) == lock) return last > 0 ? static_cast<uintptr_t>(last) : 0;
    }
    if (i + 7 <= sizeof(code) && (code[i] & 0xf8) == 0x48 && code[i + 1] == 0x8d && (code[i + 2] & 0xc0) == 0x80 &&
        (code[i + 2] & 0x07) != 0x04) {
      memcpy(&last, code + i + 3, 4);
    } else if (code[i] == 0x41 && (code[i + 1] & 0xf8) == 0xb8 && i + 6 <= sizeof(code)) {
      memcpy(&last, code + i + 2, 4);
    }
    if (code[i] == 0xc3) break;  // ret
  }
  return 0;
}

// Per thread: workers load the engine at the same time.
thread_local int g_probe_interrupts = 0;
void ProbeInterrupt(v8::Isolate*, void*) { g_probe_interrupts++; }

}  // namespace

const char* const InterruptCarry::kSymbols[3] = {
    "_ZN2v84base14RecursiveMutex4LockEv",
    "_ZN2v84base14RecursiveMutex6UnlockEv",
    "_ZN2v88internal10StackGuard16RequestInterruptENS1_13InterruptFlagE",
};

bool InterruptCarry::Init(v8::Isolate* isolate, void* stack_guard, Archiver archive, Archiver restore,
                          const std::map<std::string, uintptr_t>& functions, std::string* note) {
  for (const char* name : kSymbols) {
    if (functions.count(name) == 0) {
      *note = std::string("interrupt carry off: V8 internal function not found: ") + name;
      return false;
    }
  }
  lock_ = reinterpret_cast<void (*)(void*)>(functions.at(kSymbols[0]));
  unlock_ = reinterpret_cast<void (*)(void*)>(functions.at(kSymbols[1]));
  request_ = reinterpret_cast<void (*)(void*, int)>(functions.at(kSymbols[2]));
  stack_guard_ = stack_guard;
  archive_ = archive;

  // The break mutex: a recursive mutex inside the isolate that V8's
  // RecursiveMutex::Lock gives to this thread once and Unlock takes back.
  {
    const uintptr_t offset = MutexOffset(reinterpret_cast<uintptr_t>(archive), reinterpret_cast<uintptr_t>(lock_));
    const int self = static_cast<int>(syscall(SYS_gettid));
    MutexWords before{}, held{}, after{};
    void* mutex = static_cast<char*>(static_cast<void*>(isolate)) + offset;
    bool ok = offset != 0 && offset < 0x40000 && SafeRead(mutex, &before, sizeof(before)) && before.w0 != self &&
              before.w8 != self;
    if (ok) {
      lock_(mutex);
      ok = SafeRead(mutex, &held, sizeof(held)) && held.count == 1 && (held.w0 == self || held.w8 == self);
      unlock_(mutex);
      ok = ok && SafeRead(mutex, &after, sizeof(after)) && after.w0 != self && after.w8 != self;
    }
    if (!ok) {
      *note = "interrupt carry off: the isolate's break mutex could not be found";
      return false;
    }
    mutex_ = mutex;
  }

  // The flags: archive the guard's block before and after a public
  // RequestInterrupt; the one 32-bit word that gained exactly one bit (not
  // bit 0 of a byte, as a bool of V8 12+'s interrupt_requested_ would) is
  // interrupt_flags_. Archive and restore back to back under the mutex leave
  // the live state as it was.
  alignas(16) char a[sizeof(scratch_)], b[sizeof(scratch_)], c[sizeof(scratch_)];
  auto snapshot = [&](char* to) {
    lock_(mutex_);
    char* end = archive(stack_guard_, to);
    restore(stack_guard_, to);
    unlock_(mutex_);
    return end - to;
  };
  const ptrdiff_t size = snapshot(a);
  if (size <= 0 || size > static_cast<ptrdiff_t>(sizeof(scratch_)) || size % 4 != 0) {
    *note = "interrupt carry off: unexpected stack guard block size";
    return false;
  }
  const int ran_before = g_probe_interrupts;
  isolate->RequestInterrupt(ProbeInterrupt, nullptr);
  snapshot(b);
  int found = 0;
  uint32_t bit = 0;
  for (ptrdiff_t at = 0; at < size; at += 4) {
    uint32_t wa, wb;
    memcpy(&wa, a + at, 4);
    memcpy(&wb, b + at, 4);
    const uint32_t gained = wb & ~wa;
    if ((wa & ~wb) != 0 || gained == 0 || (gained & (gained - 1)) != 0) continue;
    if ((gained & 0x01010101u) != 0) continue;
    flags_offset_ = static_cast<size_t>(at);
    bit = gained;
    found++;
  }
  // Then JavaScript runs, V8 handles the interrupt (the callback runs) and
  // clears the bit.
  {
    v8::HandleScope scope(isolate);
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Script> script;
    if (!context.IsEmpty() &&
        v8::Script::Compile(context, v8::String::NewFromUtf8Literal(isolate, "(function greenpatchInterruptProbe() {})()"))
            .ToLocal(&script)) {
      v8::MaybeLocal<v8::Value> ignored = script->Run(context);
      (void)ignored;
    }
  }
  snapshot(c);
  uint32_t wc = bit;
  if (found == 1) memcpy(&wc, c + flags_offset_, 4);
  if (found != 1 || g_probe_interrupts != ran_before + 1 || (wc & bit) != 0) {
    *note = "interrupt carry off: the interrupt flags could not be found in the stack guard";
    return false;
  }
  enabled_ = true;
  return true;
}

void InterruptCarry::Take(char* guard_block) {
  if (!enabled_) return;
  int* flags = reinterpret_cast<int*>(guard_block + flags_offset_);
  pending_ |= static_cast<unsigned>(*flags);
  // The archived limits may still say "interrupt": the leaving flow's next
  // stack check then finds no flag and resets them.
  *flags = 0;
}

void InterruptCarry::TakeLive() {
  if (!enabled_) return;
  // Archiving reads and resets the live block under the mutex; the ending
  // flow's state is discarded anyway.
  archive_(stack_guard_, scratch_);
  Take(scratch_);
}

void InterruptCarry::Deliver() {
  if (!enabled_) return;
  // One flag per call, as V8 raises them (an interrupt scope of the arriving
  // flow may postpone some and not others).
  for (unsigned bit = 1; pending_ != 0 && bit != 0; bit <<= 1) {
    if ((pending_ & bit) == 0) continue;
    pending_ &= ~bit;
    request_(stack_guard_, static_cast<int>(bit));
  }
  unlock_(mutex_);
}

}  // namespace greenpatch
