// Batons: each wakes exactly one thread, the one that waits on it. The
// threads backend gives each flow of control (a Node thread's own stack, each
// fiber's OS thread) a baton of its own, so that a handoff wakes only the
// next runner. A post that comes before the wait is kept, never lost.
#pragma once

#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace greenpatch {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// How long a handoff waiter spins before it sleeps: none on a single CPU,
// where spinning only delays the thread it waits for.
inline std::chrono::nanoseconds HandoffSpin() {
  static const std::chrono::nanoseconds spin =
      std::thread::hardware_concurrency() > 1 ? std::chrono::microseconds(20) : std::chrono::nanoseconds(0);
  return spin;
}

// The handoff baton. The waiter spins briefly before it sleeps: a fiber that
// yields soon after it was resumed (the common case) then hands back without
// a sleep and a wake-up on another CPU, which costs tens of microseconds in
// a VM. The spin is bounded (HandoffSpin()), then the thread sleeps in the
// kernel (a futex, through std::atomic::wait) until posted.
class Baton {
 public:
  void Post() {
    posted_.store(1, std::memory_order_release);
    posted_.notify_one();  // no system call unless the waiter sleeps
  }

  void Wait() {
    if (TakePost()) return;
    const std::chrono::nanoseconds spin = HandoffSpin();
    if (spin.count() > 0) {
      const auto deadline = std::chrono::steady_clock::now() + spin;
      for (unsigned i = 1;; i++) {
        // A short busy spin first; then yield the CPU on each round, so that
        // a spinning waiter never keeps the thread it waits for off a busy
        // CPU.
        if (i <= kBusySpins) {
          CpuRelax();
        } else {
          sched_yield();
        }
        if (TakePost()) return;
        if (i % 16 == 0 && std::chrono::steady_clock::now() > deadline) break;
      }
    }
    for (;;) {
      posted_.wait(0, std::memory_order_relaxed);
      if (TakePost()) return;
    }
  }

 private:
  bool TakePost() {
    return posted_.load(std::memory_order_relaxed) != 0 && posted_.exchange(0, std::memory_order_acquire) != 0;
  }

  static constexpr unsigned kBusySpins = 100;
  std::atomic<int> posted_{0};
};

// For waits that must stay bounded (joining a thread that was told to end).
class TimedBaton {
 public:
  void Post() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      posted_ = true;
    }
    cv_.notify_one();
  }

  // False when `timeout` passed without a post.
  bool WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [this] { return posted_; })) return false;
    posted_ = false;
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool posted_ = false;
};

}  // namespace greenpatch
