// A baton: wakes exactly one thread, the one that waits on it. The threads
// backend gives each flow of control (a Node thread's own stack, each fiber's
// OS thread) a baton of its own, so that a handoff wakes only the next runner.
// A post that comes before the wait is kept, never lost.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace greenpatch {

class Baton {
 public:
  void Post() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      posted_ = true;
    }
    cv_.notify_one();
  }

  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return posted_; });
    posted_ = false;
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
