// Memory-mapped files (Python's mmap): a file's pages as a buffer. A shared mapping is a
// SharedArrayBuffer (Atomics work across processes on it) written back to the file; a private one
// is copy-on-write, never written back. Every mapping is guarded (mapping-guard.cc): another
// process may truncate the file under us, and a fault past its new end must not kill this one.
// Closing cannot unmap while JavaScript may still hold the buffer; it replaces the file's pages
// with anonymous zeroed ones instead, which releases the file at once and leaves nothing to fault.

#include <sys/mman.h>

#include <cerrno>
#include <cmath>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "blocking-call.h"
#include "errors.h"
#include "functions.h"
#include "mapped-buffer.h"
#include "mapping-guard.h"

namespace multiproc {

namespace {

// The addresses of the file mappings alive now: releaseMappedFile acts on nothing else.
std::mutex fileMappingsMutex;
std::set<void*> fileMappings;

void ForgetFileMapping(void* data) {
  std::lock_guard<std::mutex> hold(fileMappingsMutex);
  fileMappings.erase(data);
}

bool IsFileMapping(void* data) {
  std::lock_guard<std::mutex> hold(fileMappingsMutex);
  return fileMappings.count(data) != 0;
}

std::shared_ptr<v8::BackingStore> StoreOf(v8::Local<v8::Value> buffer) {
  if (buffer->IsSharedArrayBuffer()) return buffer.As<v8::SharedArrayBuffer>()->GetBackingStore();
  if (buffer->IsArrayBuffer()) return buffer.As<v8::ArrayBuffer>()->GetBackingStore();
  return nullptr;
}

BlockingResult Sync(const std::shared_ptr<v8::BackingStore>& store, const Interruption& interruption) {
  // The capture of `store` keeps the pages mapped while the thread writes them back.
  while (msync(store->Data(), store->ByteLength(), MS_SYNC) != 0) {
    if (errno != EINTR) return BlockingResult{errno, "msync", {}};
    if (interruption.Requested()) return BlockingResult{EINTR, "msync", {}};
  }
  return BlockingResult{};
}

}  // namespace

// mapFile(fd, bytes, writeBack, asShared, subject): the first `bytes` of an open file as a buffer.
// writeBack: MAP_SHARED (writes reach the file and every process mapping it), else MAP_PRIVATE
// (copy-on-write). asShared: a SharedArrayBuffer, else an ArrayBuffer. The fd may be closed after;
// `subject` (the quoted path) names the file in an error.
void MapFile(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  int fd = info[0]->Int32Value(context).FromMaybe(-1);
  double bytes = info[1]->NumberValue(context).FromMaybe(0);
  // Checked in TypeScript too; a double outside size_t's range would convert to anything.
  if (!(bytes >= 1 && bytes <= 9007199254740991.0) || std::floor(bytes) != bytes) {
    return ThrowType(isolate, "mapFile: the length must be a whole number of bytes >= 1");
  }
  size_t length = static_cast<size_t>(bytes);
  bool writeBack = info[2]->IsTrue();
  // Always writable pages: V8 may write to any buffer, and a write to a read-only page is a
  // SIGSEGV. A private mapping of a read-only file is writable too, its writes never leave it.
  void* data = mmap(nullptr, length, PROT_READ | PROT_WRITE, writeBack ? MAP_SHARED : MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED) {
    int error = errno;
    v8::String::Utf8Value subject(isolate, info[4]);
    return ThrowErrno(isolate, "mmap", error, *subject ? *subject : std::to_string(fd));
  }
  GuardMapping(data, length);
  {
    std::lock_guard<std::mutex> hold(fileMappingsMutex);
    fileMappings.insert(data);
  }
  if (info[3]->IsTrue()) {
    info.GetReturnValue().Set(SharedBufferOverMapping(isolate, data, length, ForgetFileMapping));
  } else {
    info.GetReturnValue().Set(BufferOverMapping(isolate, data, length, ForgetFileMapping));
  }
}

// releaseMappedFile(buffer): the file's pages under a buffer made by mapFile become anonymous
// zeroed memory (MAP_FIXED over the same range, atomically for other threads): the file is no
// longer mapped, and a buffer still referenced reads zeros. False when the buffer is not one.
void ReleaseMappedFile(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::shared_ptr<v8::BackingStore> store = StoreOf(info[0]);
  if (!store || store->Data() == nullptr || !IsFileMapping(store->Data())) return info.GetReturnValue().Set(false);
  void* replaced = mmap(store->Data(), store->ByteLength(), PROT_READ | PROT_WRITE,
                        MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (replaced == MAP_FAILED) return ThrowErrno(isolate, "mmap", errno, "MAP_FIXED");
  UnguardMapping(store->Data());  // nothing left there can fault
  ForgetFileMapping(store->Data());
  info.GetReturnValue().Set(true);
}

// msyncAsync(buffer, subject, callback): writes a shared mapping's dirty pages back to its file
// (msync MS_SYNC) on a waiting thread; callback(undefined | Error) on this thread's loop.
void MsyncAsync(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::shared_ptr<v8::BackingStore> store = StoreOf(info[0]);
  if (!store || !info[1]->IsString() || !info[2]->IsFunction()) {
    return ThrowType(isolate, "msyncAsync(buffer, subject, callback)");
  }
  if (store->Data() == nullptr || !IsFileMapping(store->Data())) {
    return ThrowType(isolate, "msyncAsync: the buffer is not a mapped file's");
  }
  v8::String::Utf8Value subject(isolate, info[1]);
  uint32_t id = StartBlockingCall(isolate, info[2].As<v8::Function>(), *subject ? *subject : "",
                                  [store](const Interruption& interruption) { return Sync(store, interruption); });
  info.GetReturnValue().Set(id);
}

}  // namespace multiproc
