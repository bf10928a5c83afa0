// Pipes, FIFOs and socket pairs (multiproc/ipc's pipe, mkfifo/openFifo, socketPair): the system
// calls Node lacks. Every descriptor is close-on-exec; a child gets one only when it is put in
// its stdio. Opening a FIFO blocks until the other side opens, so it runs on a waiting thread
// (blocking-call.h), where a timeout or an abort interrupts it.
//
// A FIFO is opened in two steps: O_PATH first (which opens nothing: no device is touched, no
// FIFO partner is waited for), a check that it is a FIFO, then the real open through
// /proc/self/fd of that O_PATH descriptor, which reaches the very inode checked even if the
// path changed in between.

#include <fcntl.h>
#include <node.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "blocking-call.h"
#include "errors.h"
#include "functions.h"

namespace multiproc {

using v8::FunctionCallbackInfo;
using v8::Value;

namespace {

std::string Quoted(const std::string& path) {
  return "\"" + path + "\"";
}

std::string PathOf(v8::Isolate* isolate, v8::Local<Value> value) {
  v8::String::Utf8Value text(isolate, value);
  return std::string(*text ? *text : "", *text ? text.length() : 0);
}

v8::Local<v8::Array> PairOf(v8::Isolate* isolate, const int fds[2]) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> pair = v8::Array::New(isolate, 2);
  pair->Set(context, 0, v8::Integer::New(isolate, fds[0])).Check();
  pair->Set(context, 1, v8::Integer::New(isolate, fds[1])).Check();
  return pair;
}

// The outcome of opening a FIFO: a descriptor (and for openFifoAsync, a second, non-blocking
// one), or the errno of `syscall`, or "not a FIFO".
struct FifoOpening {
  int fd = -1;
  int error = 0;
  const char* syscall = "open";
  bool isFifo = true;
  int nonBlockingFd = -1;
};

// Opens `path` with `flags` only if it is a FIFO (or a pipe, through /proc/<pid>/fd). While the
// open itself waits (a blocking FIFO open), EINTR is retried until `stop()` says otherwise.
//
// With `alsoNonBlocking`, a second, non-blocking descriptor of the same FIFO is opened too (for
// the event loop to watch), and in an order that matters for a reader: before the blocking open.
// A FIFO reader opened while no writer is there is told of no hang-up until a writer has come
// and gone after it opened, so one opened after a quick writer already left would wait forever
// for the end of the stream. A writer's second descriptor can only follow (it needs a reader).
template <typename Stop>
FifoOpening OpenFifoOnly(const std::string& path, int flags, bool alsoNonBlocking, Stop stop) {
  FifoOpening outcome;
  int located = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (located < 0) return FifoOpening{-1, errno, "open", true, -1};
  struct stat info;
  std::string reopen = "/proc/self/fd/" + std::to_string(located);
  bool isReader = (flags & O_ACCMODE) == O_RDONLY;
  auto openSecond = [&]() {
    outcome.nonBlockingFd = open(reopen.c_str(), (flags & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (outcome.nonBlockingFd < 0) outcome.error = errno;
    return outcome.nonBlockingFd >= 0;
  };
  if (fstat(located, &info) != 0) {
    outcome = FifoOpening{-1, errno, "fstat", true, -1};
  } else if (!S_ISFIFO(info.st_mode)) {
    outcome.isFifo = false;
  } else if (!alsoNonBlocking || !isReader || openSecond()) {
    int fd;
    do {
      fd = open(reopen.c_str(), flags | O_CLOEXEC | O_NOCTTY);
    } while (fd < 0 && errno == EINTR && !stop());
    if (fd < 0) outcome.error = errno;
    outcome.fd = fd;
    if (fd >= 0 && alsoNonBlocking && !isReader && !openSecond()) {
      close(fd);
      outcome.fd = -1;
    }
    if (outcome.fd < 0 && outcome.nonBlockingFd >= 0) {
      close(outcome.nonBlockingFd);
      outcome.nonBlockingFd = -1;
    }
  }
  close(located);
  return outcome;
}

}  // namespace

// pipeCreate(): [readFd, writeFd], an unnamed pipe (pipe2, close-on-exec, blocking).
void PipeCreate(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ThrowErrno(isolate, "pipe2", errno, "O_CLOEXEC");
  info.GetReturnValue().Set(PairOf(isolate, fds));
}

// socketPairCreate(): [fd, fd], a connected AF_UNIX stream pair (close-on-exec, blocking).
void SocketPairCreate(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return ThrowErrno(isolate, "socketpair", errno, "AF_UNIX, SOCK_STREAM");
  }
  info.GetReturnValue().Set(PairOf(isolate, fds));
}

// makeFifo(path, mode): mkfifo(3). The process umask applies to the mode, as for os.mkfifo.
void MakeFifo(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string path = PathOf(isolate, info[0]);
  int mode = info[1]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  if (path.empty() || path.find('\0') != std::string::npos || mode < 0 || mode > 07777) {
    return ThrowType(isolate, "makeFifo(path, mode): a non-empty path without NUL, a mode from 0 to 0o7777");
  }
  if (mkfifo(path.c_str(), static_cast<mode_t>(mode)) != 0) return ThrowErrno(isolate, "mkfifo", errno, Quoted(path));
}

// openFifoAsync(path, writable, callback): opens a FIFO on a waiting thread (the open blocks
// until the other side opens); callback([fd, nonBlockingFd]): a blocking descriptor and a
// non-blocking one of the same end, both close-on-exec; callback(-1) when the path is not a
// FIFO (nothing was opened); or callback(error). Returns the call's id.
void OpenFifoAsync(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string path = PathOf(isolate, info[0]);
  if (path.empty() || path.find('\0') != std::string::npos || !info[2]->IsFunction()) {
    return ThrowType(isolate, "openFifoAsync(path, writable, callback): a non-empty path without NUL");
  }
  int flags = info[1]->BooleanValue(isolate) ? O_WRONLY : O_RDONLY;
  uint32_t id = StartBlockingCall(isolate, info[2].As<v8::Function>(), Quoted(path),
                                  [path, flags](const Interruption& interruption) -> BlockingResult {
                                    FifoOpening opened = OpenFifoOnly(path, flags, true, [&interruption] {
                                      return interruption.Requested();
                                    });
                                    if (opened.error != 0) return BlockingResult{opened.error, opened.syscall, {}};
                                    if (!opened.isFifo) {
                                      return BlockingResult{0, "open", [](v8::Isolate* isolate) {
                                                              return v8::Integer::New(isolate, -1).As<Value>();
                                                            }};
                                    }
                                    int fds[2] = {opened.fd, opened.nonBlockingFd};
                                    return BlockingResult{0, "open", [fds](v8::Isolate* isolate) {
                                                            return PairOf(isolate, fds).As<Value>();
                                                          }};
                                  });
  info.GetReturnValue().Set(id);
}

// openPipeEnd(path, writable, blocking): opens the pipe or FIFO at `path` (a /proc/<pid>/fd
// link, say) without waiting: O_NONBLOCK, so a write end with no reader fails with ENXIO
// rather than blocking. The descriptor is then made blocking if asked. Returns the fd, or -1
// when the path is not a pipe.
void OpenPipeEnd(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string path = PathOf(isolate, info[0]);
  if (path.empty() || path.find('\0') != std::string::npos) {
    return ThrowType(isolate, "openPipeEnd(path, writable, blocking): a non-empty path without NUL");
  }
  int flags = (info[1]->BooleanValue(isolate) ? O_WRONLY : O_RDONLY) | O_NONBLOCK;
  FifoOpening opened = OpenFifoOnly(path, flags, false, [] { return false; });
  if (opened.error != 0) return ThrowErrno(isolate, opened.syscall, opened.error, Quoted(path));
  if (!opened.isFifo) return info.GetReturnValue().Set(-1);
  if (info[2]->BooleanValue(isolate)) {
    int status = fcntl(opened.fd, F_GETFL);
    if (status < 0 || fcntl(opened.fd, F_SETFL, status & ~O_NONBLOCK) != 0) {
      int error = errno;
      close(opened.fd);
      return ThrowErrno(isolate, "fcntl", error, Quoted(path));
    }
  }
  info.GetReturnValue().Set(opened.fd);
}

}  // namespace multiproc
