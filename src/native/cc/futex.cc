// Futexes on shared words: the only wait/wake that crosses processes (Atomics.wait/notify keep
// their waiters per process). No FUTEX_PRIVATE_FLAG, so waiters in other processes are woken.

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <ctime>
#include <limits>

#include "errors.h"
#include "functions.h"

namespace multiproc {

using v8::FunctionCallbackInfo;
using v8::Isolate;
using v8::Local;
using v8::Value;

// The 32-bit word at byteOffset of a SharedArrayBuffer, checked for bounds and alignment.
static int* WordAt(Isolate* isolate, Local<Value> buffer, Local<Value> offset) {
  if (!buffer->IsSharedArrayBuffer()) {
    ThrowType(isolate, "futex: the buffer must be a SharedArrayBuffer");
    return nullptr;
  }
  std::shared_ptr<v8::BackingStore> store = buffer.As<v8::SharedArrayBuffer>()->GetBackingStore();
  double at = offset->NumberValue(isolate->GetCurrentContext()).FromMaybe(-1);
  if (at < 0 || std::fmod(at, 4) != 0 || at + 4 > static_cast<double>(store->ByteLength())) {
    ThrowType(isolate, "futex: the offset must be a multiple of 4 inside the buffer");
    return nullptr;
  }
  return reinterpret_cast<int*>(static_cast<char*>(store->Data()) + static_cast<size_t>(at));
}

// Seconds a time_t holds; a double at or past it has no time_t value (casting it is undefined).
static const double kLongestTimeoutSeconds = static_cast<double>(std::numeric_limits<time_t>::max());

// Blocks while the word equals `expected`, at most timeoutMs; negative, NaN, infinite or too long
// for a timespec: forever (a garbage timespec would be EINVAL, and callers used to retry that).
// Returns 0 (woken), or the errno: EAGAIN (the word had changed), ETIMEDOUT, EINTR, or a failure.
int FutexWaitBlocking(int* word, int expected, double timeoutMs) {
  struct timespec timeout;
  struct timespec* limit = nullptr;
  if (timeoutMs >= 0 && timeoutMs / 1000 < kLongestTimeoutSeconds) {
    timeout.tv_sec = static_cast<time_t>(timeoutMs / 1000);
    timeout.tv_nsec = static_cast<long>(std::fmod(timeoutMs, 1000) * 1e6);
    limit = &timeout;
  }
  long result = syscall(SYS_futex, word, FUTEX_WAIT, expected, limit, nullptr, 0);
  return result == 0 ? 0 : errno;
}

// futexWait(buffer, byteOffset, expected, timeoutMs): blocks this thread (not for the main thread
// of a busy program: see the asynchronous wait).
void FutexWait(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int* word = WordAt(isolate, info[0], info[1]);
  if (word == nullptr) return;
  int expected = info[2]->Int32Value(isolate->GetCurrentContext()).FromMaybe(0);
  double timeoutMs = info[3]->IsNumber() ? info[3].As<v8::Number>()->Value() : -1;
  int error = FutexWaitBlocking(word, expected, timeoutMs);
  while (error == EINTR) error = FutexWaitBlocking(word, expected, timeoutMs);  // a signal is no wake-up
  const char* outcome = error == 0 ? "ok" : error == EAGAIN ? "not-equal" : error == ETIMEDOUT ? "timed-out" : nullptr;
  if (outcome == nullptr) return ThrowErrno(isolate, "futex", error, "FUTEX_WAIT");
  info.GetReturnValue().Set(v8::String::NewFromUtf8(isolate, outcome).ToLocalChecked());
}

// futexWake(buffer, byteOffset, count): wakes up to `count` waiters (any process); returns how many.
void FutexWake(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int* word = WordAt(isolate, info[0], info[1]);
  if (word == nullptr) return;
  double count = info[2]->NumberValue(isolate->GetCurrentContext()).FromMaybe(1);
  int waiters = count >= INT_MAX ? INT_MAX : static_cast<int>(count);
  long woken = syscall(SYS_futex, word, FUTEX_WAKE, waiters, nullptr, nullptr, 0);
  if (woken < 0) return ThrowErrno(isolate, "futex", errno, "FUTEX_WAKE");
  info.GetReturnValue().Set(static_cast<int>(woken));
}

}  // namespace multiproc
