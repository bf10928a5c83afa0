// Asynchronous futex waits: the event loop must never block, so each pending wait is a blocking
// call on a waiting thread (blocking-call.h). Spinning first (in JavaScript) keeps most hand-offs
// from ever getting here.

#include <node.h>

#include <cerrno>
#include <cmath>
#include <memory>

#include "blocking-call.h"
#include "errors.h"
#include "functions.h"

namespace multiproc {

int FutexWaitBlocking(int* word, int expected, double timeoutMs);

namespace {

BlockingResult WaitOnWord(const std::shared_ptr<v8::BackingStore>& store, int* word, int expected, double timeoutMs,
                          const Interruption& interruption) {
  (void)store;  // held by the caller's capture: keeps the memory mapped while waiting
  int error = FutexWaitBlocking(word, expected, timeoutMs);
  while (error == EINTR && !interruption.Requested()) error = FutexWaitBlocking(word, expected, timeoutMs);
  // Any other errno (EINVAL, EFAULT) is a failure to report, never a "not-equal" that callers
  // would answer by waiting again, in a loop that spins.
  const char* outcome = error == 0 ? "ok" : error == EAGAIN ? "not-equal" : error == ETIMEDOUT ? "timed-out" : nullptr;
  if (outcome == nullptr) return BlockingResult{error, "futex", {}};
  return BlockingResult{0, "futex", [outcome](v8::Isolate* isolate) {
                          return v8::String::NewFromUtf8(isolate, outcome).ToLocalChecked().As<v8::Value>();
                        }};
}

}  // namespace

// futexWaitAsync(buffer, byteOffset, expected, timeoutMs, callback): callback(outcome) later, on
// this thread's event loop; the outcome is "ok", "not-equal" or "timed-out", or an Error naming
// the call and the errno when the wait failed (code 'EINTR' when interrupted on request).
// Returns the wait's id for interruptBlockingCall. A pending wait keeps the event loop alive, as
// pending I/O does.
void FutexWaitAsync(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsSharedArrayBuffer() || !info[4]->IsFunction()) {
    return ThrowType(isolate, "futexWaitAsync(buffer, byteOffset, expected, timeoutMs, callback)");
  }
  std::shared_ptr<v8::BackingStore> store = info[0].As<v8::SharedArrayBuffer>()->GetBackingStore();
  double at = info[1]->NumberValue(isolate->GetCurrentContext()).FromMaybe(-1);
  if (at < 0 || std::fmod(at, 4) != 0 || at + 4 > static_cast<double>(store->ByteLength())) {
    return ThrowType(isolate, "futexWaitAsync: the offset must be a multiple of 4 inside the buffer");
  }
  int expected = info[2]->Int32Value(isolate->GetCurrentContext()).FromMaybe(0);
  double timeoutMs = info[3]->IsNumber() ? info[3].As<v8::Number>()->Value() : -1;
  int* word = reinterpret_cast<int*>(static_cast<char*>(store->Data()) + static_cast<size_t>(at));
  uint32_t id = StartBlockingCall(isolate, info[4].As<v8::Function>(), "FUTEX_WAIT",
                                  [store, word, expected, timeoutMs](const Interruption& interruption) {
                                    return WaitOnWord(store, word, expected, timeoutMs, interruption);
                                  });
  info.GetReturnValue().Set(id);
}

}  // namespace multiproc
