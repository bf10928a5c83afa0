// Signals with their sender: kill(2), and catching a signal for waitSignal (src/ipc/signals.ts).
// signalfd cannot work in Node (it needs the signal blocked in every thread, and Node's threads
// exist before any addon loads), so a caught signal goes through a sigaction(SA_SIGINFO) handler
// that writes {signo, si_pid, si_code, si_uid} to a non-blocking self-pipe, and chains to the
// handler that was there before when JavaScript asks (libuv's, which runs process.on listeners).
// The pipe's read end is watched by the main thread's event loop (unref'd: JavaScript holds the
// loop open while a wait is pending). Catching is per signal and undone exactly: signalRelease
// puts back the sigaction that signalCatch found.
//
// The handler may take no lock and allocate nothing: it reads atomics and calls write(2).

#include <fcntl.h>
#include <node.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "blocking-call.h"
#include "errors.h"
#include "functions.h"

namespace multiproc {

namespace {

using v8::FunctionCallbackInfo;
using v8::Isolate;
using v8::Local;
using v8::Value;

using SignalHandler = void (*)(int, siginfo_t*, void*);

// One delivery as it crosses the pipe: 16 bytes, written at once (atomic below PIPE_BUF).
constexpr size_t RECORD_INTS = 4;
constexpr size_t RECORD_BYTES = RECORD_INTS * sizeof(int32_t);

struct Slot {
  bool isCaught = false;                     // our handler is installed (main thread only)
  struct sigaction previous = {};            // what signalCatch found, put back by signalRelease
  std::atomic<SignalHandler> chainTo{nullptr};  // read by the handler
};

Slot slots[_NSIG];
std::atomic<int> writeFd{-1};
int readFd = -1;

// Set once, by the first signalWatch: the isolate whose loop reads the pipe.
Isolate* watchingIsolate = nullptr;
uv_poll_t* poll = nullptr;
v8::Global<v8::Function>* onDeliveries = nullptr;
std::vector<uint8_t> carry;  // bytes of a record cut by a short read (never expected)

void OnSignal(int signo, siginfo_t* info, void* context) {
  int savedErrno = errno;
  if (signo > 0 && signo < _NSIG) {
    int32_t record[RECORD_INTS] = {signo, 0, 0, -1};
    if (info != nullptr) {
      record[1] = info->si_pid;
      record[2] = info->si_code;
      record[3] = static_cast<int32_t>(info->si_uid);
    }
    int fd = writeFd.load(std::memory_order_acquire);
    // A full pipe (thousands of undelivered records) drops this one rather than block a handler.
    if (fd >= 0) (void)!write(fd, record, sizeof record);
    SignalHandler next = slots[signo].chainTo.load(std::memory_order_acquire);
    if (next != nullptr) next(signo, info, context);
  }
  errno = savedErrno;
}

bool IsOurs(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) != 0 && action.sa_sigaction == OnSignal;
}

// The handler to call after ours, or null for SIG_DFL and SIG_IGN, and for a one-shot handler
// (SA_RESETHAND: Node's SIGINT/SIGTERM handler restores the terminal, then raises the signal
// again to die of it; called from ours, it would raise it into ours forever). A handler installed
// without SA_SIGINFO is called with the same three arguments the kernel would give it (the extra
// ones are ignored by the C calling convention of every Linux target).
SignalHandler HandlerOf(const struct sigaction& action) {
  if ((action.sa_flags & SA_RESETHAND) != 0) return nullptr;
  if ((action.sa_flags & SA_SIGINFO) != 0) return action.sa_sigaction;
  if (action.sa_handler == SIG_DFL || action.sa_handler == SIG_IGN) return nullptr;
  return reinterpret_cast<SignalHandler>(action.sa_handler);
}

// Reads every record waiting in the pipe, as a flat list of ints (4 per delivery).
std::vector<int32_t> Drain() {
  std::vector<int32_t> records;
  if (readFd < 0) return records;
  uint8_t buffer[RECORD_BYTES * 256];
  for (;;) {
    ssize_t got = read(readFd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    carry.insert(carry.end(), buffer, buffer + got);
    size_t whole = carry.size() - carry.size() % RECORD_BYTES;
    size_t start = records.size();
    records.resize(start + whole / sizeof(int32_t));
    std::memcpy(records.data() + start, carry.data(), whole);
    carry.erase(carry.begin(), carry.begin() + static_cast<std::ptrdiff_t>(whole));
  }
  return records;
}

Local<v8::Int32Array> ToArray(Isolate* isolate, const std::vector<int32_t>& records) {
  Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, records.size() * sizeof(int32_t));
  if (!records.empty()) std::memcpy(buffer->Data(), records.data(), records.size() * sizeof(int32_t));
  return v8::Int32Array::New(buffer, 0, records.size());
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  (void)handle;
  (void)status;
  (void)events;
  std::vector<int32_t> records = Drain();
  if (records.empty() || onDeliveries == nullptr) return;
  Isolate* isolate = watchingIsolate;
  v8::HandleScope scope(isolate);
  Local<v8::Function> callback = onDeliveries->Get(isolate);
  Local<v8::Context> context = callback->GetCreationContextChecked();
  v8::Context::Scope entered(context);
  Local<Value> argument = ToArray(isolate, records);
  node::MakeCallback(isolate, context->Global(), callback, 1, &argument, node::async_context{0, 0});
}

void StopWatching(void*) {
  for (int signo = 1; signo < _NSIG; signo++) {
    if (!slots[signo].isCaught) continue;
    struct sigaction current = {};
    sigaction(signo, nullptr, &current);
    if (IsOurs(current)) sigaction(signo, &slots[signo].previous, nullptr);
    slots[signo].chainTo.store(nullptr, std::memory_order_release);
    slots[signo].isCaught = false;
  }
  if (poll != nullptr) {
    uv_poll_stop(poll);
    uv_close(reinterpret_cast<uv_handle_t*>(poll), [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll = nullptr;
  }
  delete onDeliveries;
  onDeliveries = nullptr;
  watchingIsolate = nullptr;
}

// Only the isolate that watches the pipe may catch signals (worker threads are refused in
// TypeScript already; this defends the process-wide state against a direct call).
bool CheckWatcher(Isolate* isolate, const char* call) {
  if (watchingIsolate == isolate) return true;
  std::string message = std::string(call) + ": signals are watched by the main thread only; call signalWatch there first";
  isolate->ThrowException(v8::Exception::Error(v8::String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked()));
  return false;
}

bool SignalArgument(const FunctionCallbackInfo<Value>& info, int index, int* signo) {
  if (!info[index]->IsInt32()) return false;
  int value = info[index].As<v8::Int32>()->Value();
  if (value < 1 || value >= _NSIG || value == SIGKILL || value == SIGSTOP || value == InterruptSignal()) return false;
  *signo = value;
  return true;
}

}  // namespace

// sendSignal(pid, signo, subject): kill(pid, signo); errors read `kill(<subject>) failed: ...`.
void SendSignal(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsInt32() || !info[1]->IsInt32() || !info[2]->IsString()) {
    return ThrowType(isolate, "sendSignal(pid, signo, subject): expected two integers and a string");
  }
  int pid = info[0].As<v8::Int32>()->Value();
  int signo = info[1].As<v8::Int32>()->Value();
  if (pid <= 0 || signo < 0 || signo >= _NSIG) return ThrowType(isolate, "sendSignal: pid must be > 0 and signo a signal number");
  if (kill(pid, signo) != 0) {
    int error = errno;
    v8::String::Utf8Value subject(isolate, info[2]);
    ThrowErrno(isolate, "kill", error, *subject != nullptr ? *subject : "");
  }
}

// signalNumbers(): { realtimeMin, realtimeMax, interrupt } as this C library defines them.
void SignalNumbers(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  Local<v8::Context> context = isolate->GetCurrentContext();
  Local<v8::Object> numbers = v8::Object::New(isolate);
  numbers->Set(context, v8::String::NewFromUtf8Literal(isolate, "realtimeMin"), v8::Integer::New(isolate, SIGRTMIN)).Check();
  numbers->Set(context, v8::String::NewFromUtf8Literal(isolate, "realtimeMax"), v8::Integer::New(isolate, SIGRTMAX)).Check();
  numbers->Set(context, v8::String::NewFromUtf8Literal(isolate, "interrupt"), v8::Integer::New(isolate, InterruptSignal())).Check();
  info.GetReturnValue().Set(numbers);
}

// signalWatch(callback): creates the self-pipe and watches it on this isolate's loop, once per
// process; callback(Int32Array) gets each batch of deliveries (4 ints each).
void SignalWatch(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsFunction()) return ThrowType(isolate, "signalWatch(callback): the callback must be a function");
  if (watchingIsolate != nullptr) {
    CheckWatcher(isolate, "signalWatch");
    return;
  }
  if (readFd < 0) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return ThrowErrno(isolate, "pipe2", errno, "signal self-pipe");
    readFd = fds[0];
    writeFd.store(fds[1], std::memory_order_release);
  }
  poll = new uv_poll_t;
  if (uv_poll_init(node::GetCurrentEventLoop(isolate), poll, readFd) != 0) {
    delete poll;
    poll = nullptr;
    return ThrowErrno(isolate, "uv_poll_init", EINVAL, "signal self-pipe");
  }
  uv_poll_start(poll, UV_READABLE, OnReadable);
  uv_unref(reinterpret_cast<uv_handle_t*>(poll));
  watchingIsolate = isolate;
  onDeliveries = new v8::Global<v8::Function>(isolate, info[0].As<v8::Function>());
  node::AddEnvironmentCleanupHook(isolate, StopWatching, nullptr);
}

// signalDrain(): the deliveries waiting in the pipe now (Int32Array, 4 ints each), read at once.
void SignalDrain(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  if (!CheckWatcher(isolate, "signalDrain")) return;
  info.GetReturnValue().Set(ToArray(isolate, Drain()));
}

// signalCatch(signo, chain): installs the handler (or takes the signal back from whoever replaced
// it, keeping what they installed as the handler to restore), and calls the previous handler
// after each delivery when `chain` is true.
void SignalCatch(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  if (!CheckWatcher(isolate, "signalCatch")) return;
  int signo = 0;
  if (!SignalArgument(info, 0, &signo)) return ThrowType(isolate, "signalCatch(signo, chain): signo must be a catchable signal");
  bool chain = info[1]->BooleanValue(isolate);
  struct sigaction ours = {};
  ours.sa_sigaction = OnSignal;
  ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigfillset(&ours.sa_mask);
  struct sigaction found = {};
  if (sigaction(signo, &ours, &found) != 0) return ThrowErrno(isolate, "sigaction", errno, std::to_string(signo));
  Slot& slot = slots[signo];
  if (!IsOurs(found)) slot.previous = found;
  slot.chainTo.store(chain ? HandlerOf(slot.previous) : nullptr, std::memory_order_release);
  slot.isCaught = true;
}

// signalRelease(signo): puts back the sigaction signalCatch found, unless someone replaced ours
// since (theirs stays). Idempotent.
void SignalRelease(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  if (!CheckWatcher(isolate, "signalRelease")) return;
  int signo = 0;
  if (!SignalArgument(info, 0, &signo)) return ThrowType(isolate, "signalRelease(signo): signo must be a catchable signal");
  Slot& slot = slots[signo];
  if (!slot.isCaught) return;
  struct sigaction current = {};
  sigaction(signo, nullptr, &current);
  if (IsOurs(current) && sigaction(signo, &slot.previous, nullptr) != 0) {
    return ThrowErrno(isolate, "sigaction", errno, std::to_string(signo));
  }
  slot.chainTo.store(nullptr, std::memory_order_release);
  slot.isCaught = false;
}

}  // namespace multiproc
