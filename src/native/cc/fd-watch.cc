// Watching a descriptor for readiness on the event loop (libuv's uv_poll), for descriptors that
// Node's own streams cannot take: a POSIX message queue (on Linux an fd that poll understands),
// and any other fd whose reads and writes the caller makes itself, non-blocking, once told.
// A watch is level-triggered: while it asks for an event that holds, it keeps calling back, so
// the caller either acts (reads until EAGAIN) or asks for less (fdWatchSet(id, 0)). A watch
// asking for something keeps the loop alive, as pending I/O does; one asking for nothing does not.
// Asking for less while its own callback runs takes effect when the callback (and the promise
// jobs it started) has returned: a caller whose next wait follows at once keeps the watch as it
// was, instead of taking the descriptor out of epoll and putting it back (three epoll_ctl calls
// per wait). Nothing is lost by waiting that long: no event is dispatched in between.

#include <node.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "errors.h"
#include "functions.h"

namespace multiproc {

namespace {

constexpr int kReadable = 1;
constexpr int kWritable = 2;

struct Watch {
  uv_poll_t poll;
  v8::Isolate* isolate;
  v8::Global<v8::Function> callback;
  uint32_t id;
  int fd;
  // What the caller asks for, and what uv_poll watches now: they differ only while the
  // callback runs and the caller asked for less (applied when it returns).
  int wanted = 0;
  int armed = 0;
  bool inCallback = false;
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
  if (watch->wanted == watch->armed) return 0;
  int status = watch->wanted == 0 ? uv_poll_stop(&watch->poll) : uv_poll_start(&watch->poll, UvEventsOf(watch->wanted), OnReady);
  if (status == 0) watch->armed = watch->wanted;
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
  watch->inCallback = true;
  // MakeCallback returns once the callback and the promise jobs and ticks it queued have run.
  node::MakeCallback(isolate, context->Global(), callback, 1, &argument, node::async_context{0, 0});
  // The watch may have ended inside (fdWatchStop): then nothing of it is used.
  IsolateWatches* state = WatchesOf(isolate);
  auto found = state->byId.find(id);
  if (found == state->byId.end() || found->second != watch) return;
  watch->inCallback = false;
  // Asking for less applies now. A failure here could not fail anything that asked:
  // uv_poll_stop does not fail, and a start that could would have failed in fdWatchSet.
  Arm(watch);
}

Watch* FindWatch(v8::Isolate* isolate, v8::Local<v8::Value> id) {
  if (!id->IsUint32()) return nullptr;
  IsolateWatches* state = WatchesOf(isolate);
  auto found = state->byId.find(id.As<v8::Uint32>()->Value());
  return found == state->byId.end() ? nullptr : found->second;
}

bool EventsArgument(v8::Local<v8::Value> value, int* events) {
  if (!value->IsUint32() || value.As<v8::Uint32>()->Value() > (kReadable | kWritable)) return false;
  *events = static_cast<int>(value.As<v8::Uint32>()->Value());
  return true;
}

}  // namespace

// fdWatchStart(fd, events, callback): watches fd for `events` (1 readable | 2 writable; 0 for
// nothing yet) and calls back with those that hold, on this thread's event loop, until
// fdWatchStop. Returns the watch's id. libuv allows one watch per descriptor per loop.
void FdWatchStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int events;
  if (!info[0]->IsInt32() || info[0].As<v8::Int32>()->Value() < 0 || !EventsArgument(info[1], &events) ||
      !info[2]->IsFunction()) {
    return ThrowType(isolate, "fdWatchStart(fd, events, callback): fd >= 0, events 0 to 3, a function");
  }
  int fd = info[0].As<v8::Int32>()->Value();
  IsolateWatches* state = WatchesOf(isolate);
  Watch* watch = new Watch();
  watch->isolate = isolate;
  watch->fd = fd;
  watch->callback.Reset(isolate, info[2].As<v8::Function>());
  watch->poll.data = watch;
  int status = uv_poll_init(node::GetCurrentEventLoop(isolate), &watch->poll, fd);
  if (status != 0) {
    delete watch;
    return ThrowErrno(isolate, "uv_poll_init", -status, "fd " + std::to_string(fd));
  }
  watch->id = state->nextId++;
  if (watch->id == 0) watch->id = state->nextId++;  // 0 is never an id
  state->byId.emplace(watch->id, watch);
  watch->wanted = events;
  status = Arm(watch);
  if (status != 0) {
    EndWatch(state, watch);
    return ThrowErrno(isolate, "uv_poll_start", -status, "fd " + std::to_string(fd));
  }
  info.GetReturnValue().Set(watch->id);
}

// fdWatchSet(id, events): what the watch waits for from now on (0: nothing; the loop may then
// end). Asking for less inside the watch's own callback applies when that callback returns.
void FdWatchSet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int events;
  if (!EventsArgument(info[1], &events)) return ThrowType(isolate, "fdWatchSet(id, events): events 0 to 3");
  Watch* watch = FindWatch(isolate, info[0]);
  if (watch == nullptr) return ThrowType(isolate, "fdWatchSet(id, events): no such watch (stopped already?)");
  int previous = watch->wanted;
  watch->wanted = events;
  if (watch->inCallback && (events & ~watch->armed) == 0) return;
  int status = Arm(watch);
  if (status == 0) return;
  watch->wanted = previous;
  ThrowErrno(isolate, "uv_poll_start", -status, "fd " + std::to_string(watch->fd));
}

// fdWatchStop(id): ends the watch (idempotent). Call it before closing the descriptor.
void FdWatchStop(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Watch* watch = FindWatch(isolate, info[0]);
  if (watch != nullptr) EndWatch(WatchesOf(isolate), watch);
}

}  // namespace multiproc
