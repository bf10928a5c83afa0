// Reading and writing a non-blocking byte-stream descriptor (a pipe, a FIFO, a stream socket)
// with one system call and one crossing between JavaScript and C++ per chunk: the fast path
// under multiproc/ipc's pipe and FIFO streams and the socket Connections.
//
// fdWrite/fdWritev make one write(2)/writev(2) and return what the kernel took (or -errno), so
// the caller finishes a write at once when the descriptor had room, and waits only when it had
// not. A reader watches the descriptor (uv_poll, level-triggered) and, each time it is
// readable, reads once into a per-thread buffer and calls back with a Buffer of exactly the
// bytes read, null at the end of the stream, or a negative errno; a reader that is not wanted
// for a while (the consumer is full) is paused, which stops the watch.

#include <node.h>
#include <node_buffer.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "functions.h"

namespace multiproc {

namespace {

// The most one read takes (as libuv's streams: 64 KiB).
constexpr size_t kReadBytes = 64 * 1024;

struct Reader {
  uv_poll_t poll;
  v8::Isolate* isolate;
  v8::Global<v8::Function> callback;
  uint32_t id;
  int fd;
  bool isWatching;
};

struct IsolateReaders {
  std::unordered_map<uint32_t, Reader*> byId;
  uint32_t nextId = 1;
  std::vector<char> buffer = std::vector<char>(kReadBytes);
};

thread_local IsolateReaders* readers = nullptr;

void FreeReader(uv_handle_t* handle) {
  delete static_cast<Reader*>(handle->data);
}

void EndReader(IsolateReaders* state, Reader* reader) {
  state->byId.erase(reader->id);
  reader->callback.Reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&reader->poll), FreeReader);
}

void Teardown(void* data) {
  IsolateReaders* state = static_cast<IsolateReaders*>(data);
  while (!state->byId.empty()) EndReader(state, state->byId.begin()->second);
  if (readers == state) readers = nullptr;
  delete state;
}

IsolateReaders* ReadersOf(v8::Isolate* isolate) {
  if (readers != nullptr) return readers;
  readers = new IsolateReaders();
  node::AddEnvironmentCleanupHook(isolate, Teardown, readers);
  return readers;
}

void OnReadable(uv_poll_t* handle, int status, int /*events*/);

void Watch(Reader* reader, bool on) {
  if (reader->isWatching == on) return;
  reader->isWatching = on;
  if (on) uv_poll_start(&reader->poll, UV_READABLE | UV_DISCONNECT, OnReadable);
  else uv_poll_stop(&reader->poll);
}

// One read on readiness: a Buffer of the bytes, null at the end (the watch then stops), or
// -errno (EAGAIN is no news: someone else read first; nothing is called).
void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  Reader* reader = static_cast<Reader*>(handle->data);
  v8::Isolate* isolate = reader->isolate;
  IsolateReaders* state = ReadersOf(isolate);
  ssize_t got;
  if (status < 0) {
    got = status;
  } else {
    do got = read(reader->fd, state->buffer.data(), kReadBytes);
    while (got < 0 && errno == EINTR);
    if (got < 0) got = -errno;
    if (got == -EAGAIN || got == -EWOULDBLOCK) return;
  }
  v8::HandleScope scope(isolate);
  v8::Local<v8::Function> callback = reader->callback.Get(isolate);
  v8::Local<v8::Context> context = callback->GetCreationContextChecked();
  v8::Context::Scope entered(context);
  v8::Local<v8::Value> argument;
  if (got > 0) {
    v8::Local<v8::ArrayBuffer> bytes = v8::ArrayBuffer::New(isolate, static_cast<size_t>(got));
    std::memcpy(bytes->Data(), state->buffer.data(), static_cast<size_t>(got));
    argument = node::Buffer::New(isolate, bytes, 0, static_cast<size_t>(got)).ToLocalChecked();
  } else if (got == 0) {
    Watch(reader, false);
    argument = v8::Null(isolate);
  } else {
    Watch(reader, false);
    argument = v8::Integer::New(isolate, static_cast<int32_t>(got));
  }
  // The reader may be paused or stopped inside the callback: nothing of it is used after this.
  node::MakeCallback(isolate, context->Global(), callback, 1, &argument, node::async_context{0, 0});
}

Reader* FindReader(v8::Isolate* isolate, v8::Local<v8::Value> id) {
  if (!id->IsUint32()) return nullptr;
  IsolateReaders* state = ReadersOf(isolate);
  auto found = state->byId.find(id.As<v8::Uint32>()->Value());
  return found == state->byId.end() ? nullptr : found->second;
}

bool FdArgument(v8::Local<v8::Value> value, int* fd) {
  if (!value->IsInt32() || value.As<v8::Int32>()->Value() < 0) return false;
  *fd = value.As<v8::Int32>()->Value();
  return true;
}

ssize_t WriteAll(int fd, const struct iovec* parts, int count) {
  ssize_t wrote;
  do wrote = count == 1 ? write(fd, parts[0].iov_base, parts[0].iov_len) : writev(fd, parts, count);
  while (wrote < 0 && errno == EINTR);
  return wrote < 0 ? -errno : wrote;
}

bool PartOf(v8::Local<v8::Value> value, struct iovec* part) {
  if (!value->IsArrayBufferView()) return false;
  v8::Local<v8::ArrayBufferView> view = value.As<v8::ArrayBufferView>();
  size_t length = view->ByteLength();
  part->iov_len = length;
  part->iov_base = length == 0 ? nullptr : static_cast<char*>(view->Buffer()->Data()) + view->ByteOffset();
  return true;
}

}  // namespace

// fdWrite(fd, bytes): one write(2) of a view; what the kernel took, or -errno (-EAGAIN: no room).
void FdWrite(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int fd;
  struct iovec part;
  if (!FdArgument(info[0], &fd) || !PartOf(info[1], &part)) {
    return ThrowType(info.GetIsolate(), "fdWrite(fd, bytes): fd >= 0 and an ArrayBufferView");
  }
  info.GetReturnValue().Set(static_cast<double>(WriteAll(fd, &part, 1)));
}

// fdWritev(fd, parts): one writev(2) of up to IOV_MAX views; what the kernel took, or -errno.
void FdWritev(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd;
  if (!FdArgument(info[0], &fd) || !info[1]->IsArray()) {
    return ThrowType(isolate, "fdWritev(fd, parts): fd >= 0 and an array of ArrayBufferViews");
  }
  v8::Local<v8::Array> array = info[1].As<v8::Array>();
  uint32_t count = std::min<uint32_t>(array->Length(), IOV_MAX);
  std::vector<struct iovec> parts(count);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  for (uint32_t index = 0; index < count; index++) {
    v8::Local<v8::Value> value;
    if (!array->Get(context, index).ToLocal(&value) || !PartOf(value, &parts[index])) {
      return ThrowType(isolate, "fdWritev(fd, parts): parts must be ArrayBufferViews");
    }
  }
  info.GetReturnValue().Set(count == 0 ? 0.0 : static_cast<double>(WriteAll(fd, parts.data(), static_cast<int>(count))));
}

// fdReaderStart(fd, callback): reads fd as it becomes readable, calling back with each chunk
// (see above), until fdReaderStop; starts paused. Returns the reader's id.
void FdReaderStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd;
  if (!FdArgument(info[0], &fd) || !info[1]->IsFunction()) {
    return ThrowType(isolate, "fdReaderStart(fd, callback): fd >= 0 and a function");
  }
  IsolateReaders* state = ReadersOf(isolate);
  Reader* reader = new Reader();
  reader->isolate = isolate;
  reader->fd = fd;
  reader->isWatching = false;
  reader->callback.Reset(isolate, info[1].As<v8::Function>());
  reader->poll.data = reader;
  int status = uv_poll_init(node::GetCurrentEventLoop(isolate), &reader->poll, fd);
  if (status != 0) {
    delete reader;
    return ThrowErrno(isolate, "uv_poll_init", -status, "fd " + std::to_string(fd));
  }
  reader->id = state->nextId++;
  if (reader->id == 0) reader->id = state->nextId++;
  state->byId.emplace(reader->id, reader);
  info.GetReturnValue().Set(reader->id);
}

// fdReaderSet(id, reading): resumes (true) or pauses (false) a reader.
void FdReaderSet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Reader* reader = FindReader(info.GetIsolate(), info[0]);
  if (reader != nullptr) Watch(reader, info[1]->IsTrue());
}

// fdReaderStop(id): ends a reader (idempotent); call it before closing the descriptor.
void FdReaderStop(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Reader* reader = FindReader(info.GetIsolate(), info[0]);
  if (reader != nullptr) EndReader(ReadersOf(info.GetIsolate()), reader);
}

}  // namespace multiproc
