// Writing to a non-blocking byte-stream descriptor (a pipe, a FIFO, a stream socket) with one
// system call and one crossing between JavaScript and C++: the fast path under multiproc/ipc's
// pipe and FIFO streams and the socket Connections (src/connection/direct-write.ts).
//
// fdWrite/fdWritev make one write(2)/writev(2) and return what the kernel took, or -errno
// (never throwing for it), so the caller finishes a write at once when the descriptor had room
// and hands the rest to Node's own path when it had not (EAGAIN), or when the call failed.

#include <node.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "errors.h"
#include "functions.h"

namespace multiproc {

namespace {

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

}  // namespace multiproc
