// Watching a descriptor for readiness on the event loop (libuv's uv_poll), for descriptors that
// Node's own streams cannot take: a POSIX message queue (on Linux an fd that poll understands),
// and any other fd whose reads and writes the caller makes itself, non-blocking, once told.
// A watch is level-triggered: while it asks for an event that holds, it keeps calling back, so
// the caller either acts (reads until EAGAIN) or asks for less (fdWatchSet(id, 0)). A watch
// asking for something keeps the loop alive, as pending I/O does; one asking for nothing does not.
// Asking for less while its own callback runs takes effect when the callback (and the promise
// jobs it started) has returned: a caller whose next wait follows at once keeps the watch as it
// was, instead of taking the descriptor out of epoll and putting it back (three epoll_ctl calls
// per wait). Nothing is lost by waiting that long: no event is dispatched in between. What the
// caller wants sits in a word of memory it shares with the watch (control, below), so that it
// can ask for less, and for the same again, without calling in here at all.

#include <node.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "errors.h"
#include "functions.h"

namespace multiproc {

namespace {

constexpr int kReadable = 1;
constexpr int kWritable = 2;

// The words of a watch's control array (an Int32Array the caller keeps): what the caller wants
// (written by the caller), what uv_poll watches now, and 1 while the watch's callback runs
// (both written here, read by the caller to know when it must call fdWatchSet).
constexpr int kWantedWord = 0;
constexpr int kArmedWord = 1;
constexpr int kInCallbackWord = 2;
constexpr size_t kControlWords = 3;

struct Watch {
  uv_poll_t poll;
  v8::Isolate* isolate;
  v8::Global<v8::Function> callback;
  uint32_t id;
  int fd;
  std::shared_ptr<v8::BackingStore> controlMemory;  // keeps `control` valid while the watch lives
  int32_t* control;
};

// Per isolate (main thread or worker thread): its watches by id.
struct IsolateWatches {
  std::unordered_map<uint32_t, Watch*> byId;
  uint32_t nextId = 1;
};

thread_local IsolateWatches* watches = nullptr;

void FreeWatch(uv_handle_t* handle) {
  delete static_cast<Watch*>(handle->data);
}

// Stops a watch and forgets it; its memory goes when libuv has closed the handle.
void EndWatch(IsolateWatches* state, Watch* watch) {
  state->byId.erase(watch->id);
  watch->callback.Reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), FreeWatch);
}

// The thread (or Node) is ending: end every watch.
void Teardown(void* data) {
  IsolateWatches* state = static_cast<IsolateWatches*>(data);
  while (!state->byId.empty()) EndWatch(state, state->byId.begin()->second);
  if (watches == state) watches = nullptr;
  delete state;
}

IsolateWatches* WatchesOf(v8::Isolate* isolate) {
  if (watches != nullptr) return watches;
  watches = new IsolateWatches();
  node::AddEnvironmentCleanupHook(isolate, Teardown, watches);
  return watches;
}

int UvEventsOf(int events) {
  return ((events & kReadable) ? UV_READABLE : 0) | ((events & kWritable) ? UV_WRITABLE : 0);
}

void OnReady(uv_poll_t* handle, int status, int events);

// Makes uv_poll watch what the caller wants (a libuv error code, 0 when done).
int Arm(Watch* watch) {
  int wanted = watch->control[kWantedWord] & (kReadable | kWritable);
  if (wanted == watch->control[kArmedWord]) return 0;
  int status = wanted == 0 ? uv_poll_stop(&watch->poll) : uv_poll_start(&watch->poll, UvEventsOf(wanted), OnReady);
  if (status == 0) watch->control[kArmedWord] = wanted;
  return status;
}

// Calls back with the events that hold (kReadable | kWritable), or with an Error once (the
// watch then ends: a descriptor that fails to poll would fail again at once).
void OnReady(uv_poll_t* handle, int status, int events) {
  Watch* watch = static_cast<Watch*>(handle->data);
  v8::Isolate* isolate = watch->isolate;
  v8::HandleScope scope(isolate);
  v8::Local<v8::Function> callback = watch->callback.Get(isolate);
  v8::Local<v8::Context> context = callback->GetCreationContextChecked();
  v8::Context::Scope entered(context);
  v8::Local<v8::Value> argument;
  if (status < 0) {
    argument = ErrnoException(isolate, "poll", -status, "fd " + std::to_string(watch->fd));
    EndWatch(WatchesOf(isolate), watch);
  } else {
    int ready = ((events & UV_READABLE) ? kReadable : 0) | ((events & UV_WRITABLE) ? kWritable : 0);
    // A hang-up or error condition reported alone: say "ready" for what was asked, so the
    // caller's next read or write meets the error itself instead of the watch spinning.
    if (ready == 0) ready = kReadable | kWritable;
    argument = v8::Integer::New(isolate, ready);
  }
  uint32_t id = watch->id;
  watch->control[kInCallbackWord] = 1;
  // MakeCallback returns once the callback and the promise jobs and ticks it queued have run.
  node::MakeCallback(isolate, context->Global(), callback, 1, &argument, node::async_context{0, 0});
  // The watch may have ended inside (fdWatchStop): then nothing of it is used.
  IsolateWatches* state = WatchesOf(isolate);
  auto found = state->byId.find(id);
  if (found == state->byId.end() || found->second != watch) return;
  watch->control[kInCallbackWord] = 0;
  // Asking for less applies now. A failure here could not fail anything that asked:
  // uv_poll_stop does not fail, and asking for more is never left for later (fdWatchSet).
  Arm(watch);
}

Watch* FindWatch(v8::Isolate* isolate, v8::Local<v8::Value> id) {
  if (!id->IsUint32()) return nullptr;
  IsolateWatches* state = WatchesOf(isolate);
  auto found = state->byId.find(id.As<v8::Uint32>()->Value());
  return found == state->byId.end() ? nullptr : found->second;
}

}  // namespace

// fdWatchStart(fd, control, callback): watches fd for what control[0] asks (1 readable |
// 2 writable; 0 for nothing yet) and calls back with those that hold, on this thread's event
// loop, until fdWatchStop. `control` is an Int32Array of 3 that the caller keeps and writes
// control[0] of: control[1] says what is watched now, control[2] is 1 while the callback runs.
// Returns the watch's id. libuv allows one watch per descriptor per loop.
void FdWatchStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsInt32() || info[0].As<v8::Int32>()->Value() < 0 || !info[1]->IsInt32Array() ||
      info[1].As<v8::Int32Array>()->Length() < kControlWords || !info[2]->IsFunction()) {
    return ThrowType(isolate, "fdWatchStart(fd, control, callback): fd >= 0, an Int32Array of 3, a function");
  }
  int fd = info[0].As<v8::Int32>()->Value();
  v8::Local<v8::Int32Array> control = info[1].As<v8::Int32Array>();
  IsolateWatches* state = WatchesOf(isolate);
  Watch* watch = new Watch();
  watch->isolate = isolate;
  watch->fd = fd;
  watch->callback.Reset(isolate, info[2].As<v8::Function>());
  watch->controlMemory = control->Buffer()->GetBackingStore();
  watch->control = reinterpret_cast<int32_t*>(static_cast<char*>(watch->controlMemory->Data()) + control->ByteOffset());
  watch->control[kArmedWord] = 0;
  watch->control[kInCallbackWord] = 0;
  watch->poll.data = watch;
  int status = uv_poll_init(node::GetCurrentEventLoop(isolate), &watch->poll, fd);
  if (status != 0) {
    delete watch;
    return ThrowErrno(isolate, "uv_poll_init", -status, "fd " + std::to_string(fd));
  }
  watch->id = state->nextId++;
  if (watch->id == 0) watch->id = state->nextId++;  // 0 is never an id
  state->byId.emplace(watch->id, watch);
  status = Arm(watch);
  if (status != 0) {
    EndWatch(state, watch);
    return ThrowErrno(isolate, "uv_poll_start", -status, "fd " + std::to_string(fd));
  }
  info.GetReturnValue().Set(watch->id);
}

// fdWatchSet(id): watches what control[0] asks from now on (0: nothing; the loop may then end).
// The caller need not call it to ask for less inside the watch's own callback: that applies
// when the callback returns.
void FdWatchSet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Watch* watch = FindWatch(isolate, info[0]);
  if (watch == nullptr) return ThrowType(isolate, "fdWatchSet(id): no such watch (stopped already?)");
  int status = Arm(watch);
  if (status != 0) ThrowErrno(isolate, "uv_poll_start", -status, "fd " + std::to_string(watch->fd));
}

// fdWatchStop(id): ends the watch (idempotent). Call it before closing the descriptor.
void FdWatchStop(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Watch* watch = FindWatch(isolate, info[0]);
  if (watch != nullptr) EndWatch(WatchesOf(isolate), watch);
}

}  // namespace multiproc
