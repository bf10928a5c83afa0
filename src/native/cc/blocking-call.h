// Blocking system calls kept off the event loop. Each call runs on a native waiting thread (not
// libuv's 4-thread pool, which a few pending waits would exhaust), and its outcome comes back to
// the calling isolate's loop through one uv_async handle. A call is ended early (a timeout or an
// abort decided in JavaScript) by interrupting its thread with a signal: the system call returns
// EINTR having done nothing, so an interrupted receive consumes no message and an interrupted
// lock takes no lock. A call that completed anyway reports its result: nothing is lost.
#pragma once

#include <v8.h>

#include <csignal>
#include <cstdint>
#include <functional>
#include <string>

namespace multiproc {

// The signal that interrupts a waiting thread (a real-time one, which Node and libuv leave alone);
// its handler does nothing and is installed without SA_RESTART. waitSignal refuses it.
inline int InterruptSignal() { return SIGRTMAX - 2; }

// What a waiting thread's work can ask: whether JavaScript asked it to stop.
class Interruption {
 public:
  virtual ~Interruption() = default;
  virtual bool Requested() const = 0;
};

// The outcome of a blocking call. `error` is 0 or the errno of the failed `syscall`; `value`, run on
// the loop thread, builds the result (empty: undefined). A call that saw EINTR with
// Interruption::Requested() reports EINTR; JavaScript then knows why it asked.
struct BlockingResult {
  int error = 0;
  const char* syscall = "";
  std::function<v8::Local<v8::Value>(v8::Isolate*)> value;
};

// The work a waiting thread runs. It must retry on EINTR while !interruption.Requested() (a stray
// signal is no reason to stop) and return EINTR once it is.
using BlockingWork = std::function<BlockingResult(const Interruption& interruption)>;

// Runs `work` on a waiting thread; later, on this isolate's loop, `callback(result)`: the work's
// value, or an Error naming `syscall(subject)` and the errno (code 'EINTR' when interrupted on
// request). Returns the call's id, for InterruptBlockingCall. A pending call keeps the loop alive.
uint32_t StartBlockingCall(v8::Isolate* isolate, v8::Local<v8::Function> callback, std::string subject, BlockingWork work);

// Asks a pending call to stop; false when it already finished (its callback may still be queued).
bool InterruptBlockingCall(v8::Isolate* isolate, uint32_t id);

}  // namespace multiproc
