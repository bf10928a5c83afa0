// Shared memory that Node cannot map by itself: memfd_create and POSIX shm_open segments,
// mapped MAP_SHARED and handed to JavaScript as a SharedArrayBuffer (raw V8: N-API can only
// make a plain ArrayBuffer). The mapping is unmapped when the last buffer over it is collected.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "functions.h"
#include "mapped-buffer.h"
#include "mapping-guard.h"

namespace multiproc {

using v8::FunctionCallbackInfo;
using v8::Isolate;
using v8::Local;
using v8::Value;

static std::string Utf8(Isolate* isolate, Local<Value> value) {
  v8::String::Utf8Value text(isolate, value);
  return *text ? std::string(*text) : std::string();
}

// memfdCreate(name): a new anonymous segment's fd; it lives as long as an fd or a mapping does.
// Sealing is allowed so that its creator can forbid shrinking it (sealAgainstShrinking).
void MemfdCreate(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  std::string name = Utf8(isolate, info[0]);
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return ThrowErrno(isolate, "memfd_create", errno, name);
  info.GetReturnValue().Set(fd);
}

// shmOpen(name, create, exclusive, mode): the fd of a named POSIX segment (/dev/shm/<name>).
void ShmOpen(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  std::string name = Utf8(isolate, info[0]);
  int flags = O_RDWR | O_CLOEXEC;
  if (info[1]->IsTrue()) flags |= O_CREAT;
  if (info[2]->IsTrue()) flags |= O_EXCL;
  mode_t mode = static_cast<mode_t>(info[3]->Uint32Value(isolate->GetCurrentContext()).FromMaybe(0600));
  int fd = shm_open(name.c_str(), flags, mode);
  if (fd < 0) return ThrowErrno(isolate, "shm_open", errno, "\"" + name + "\"");
  info.GetReturnValue().Set(fd);
}

// shmUnlink(name): removes the name; mappings stay valid until unmapped.
void ShmUnlink(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  std::string name = Utf8(isolate, info[0]);
  if (shm_unlink(name.c_str()) != 0) return ThrowErrno(isolate, "shm_unlink", errno, "\"" + name + "\"");
}

// resize(fd, bytes): sets a new segment's size (ftruncate).
void Resize(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  double bytes = info[1]->NumberValue(isolate->GetCurrentContext()).FromMaybe(-1);
  // A double past off_t's range would convert to anything: refuse it as the kernel would.
  if (!(bytes >= 0 && bytes < 9.2e18)) return ThrowErrno(isolate, "ftruncate", EINVAL, std::to_string(fd));
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) return ThrowErrno(isolate, "ftruncate", errno, std::to_string(fd));
}

// sizeOf(fd): a segment's size in bytes (fstat).
void SizeOf(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  struct stat status;
  if (fstat(fd, &status) != 0) return ThrowErrno(isolate, "fstat", errno, std::to_string(fd));
  info.GetReturnValue().Set(static_cast<double>(status.st_size));
}

// sealAgainstShrinking(fd): no one may ever make a memfd smaller (F_SEAL_SHRINK), nor add seals:
// a process that maps it after checking its size can never fault on a page cut off later.
void SealAgainstShrinking(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) != 0) return ThrowErrno(isolate, "fcntl(F_ADD_SEALS)", errno, std::to_string(fd));
}

// sealsOf(fd): the seals of a shared-memory file (F_GET_SEALS), or -1 when the file is not one
// that can carry seals (a regular file on disk, a socket, a device: EINVAL).
void SealsOf(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0 && errno != EINVAL) return ThrowErrno(isolate, "fcntl(F_GET_SEALS)", errno, std::to_string(fd));
  info.GetReturnValue().Set(seals < 0 ? -1 : seals);
}

// closeFd(fd)
void CloseFd(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  if (close(fd) != 0) return ThrowErrno(isolate, "close", errno, std::to_string(fd));
}

// mapShared(fd, bytes, guarded): the segment as a SharedArrayBuffer. The fd may be closed
// afterwards. A guarded mapping survives being cut short by someone else (mapping-guard.cc).
void MapShared(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  double bytes = info[1]->NumberValue(isolate->GetCurrentContext()).FromMaybe(0);
  size_t length = static_cast<size_t>(bytes);
  if (length == 0) return ThrowType(isolate, "mapShared: a segment of 0 bytes cannot be mapped");
  void* data = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) return ThrowErrno(isolate, "mmap", errno, std::to_string(fd));
  if (info[2]->IsTrue()) GuardMapping(data, length);
  info.GetReturnValue().Set(SharedBufferOverMapping(isolate, data, length));
}

}  // namespace multiproc
