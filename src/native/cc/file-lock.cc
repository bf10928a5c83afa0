// File locks: flock(2) on a whole file (FileLock) and open-file-description byte-range locks
// (fcntl F_OFD_SETLK/F_OFD_SETLKW, lockRange), each tried at once on the calling thread or
// waited for on a waiting thread (blocking-call.h) that a timeout or an abort interrupts: an
// interrupted flock or F_OFD_SETLKW returns EINTR having taken nothing.
//
// Why OFD locks rather than classic POSIX ones (F_SETLKW): a classic lock belongs to the process,
// so two waits of one program never exclude each other and closing ANY descriptor of the file
// (Node's fs.readFile of it, say) silently drops them all. An OFD lock belongs to the open file
// description the fd refers to, and still conflicts with classic locks (Python's fcntl.lockf) of
// other processes, as the kernel keeps both kinds in one list.

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cmath>
#include <string>

#include "blocking-call.h"
#include "errors.h"
#include "functions.h"

namespace multiproc {

namespace {

// The largest offset or length: JavaScript's safe integers, checked in TypeScript too.
constexpr double LARGEST_OFFSET = 9007199254740991.0;

bool IsOffset(double value) { return value >= 0 && value <= LARGEST_OFFSET && std::floor(value) == value; }

std::string SubjectOf(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value text(isolate, value);
  return *text ? std::string(*text) : std::string();
}

struct flock RangeOf(short type, double offset, double length) {
  struct flock range = {};
  range.l_type = type;
  range.l_whence = SEEK_SET;
  range.l_start = static_cast<off_t>(offset);
  range.l_len = static_cast<off_t>(length);  // 0: from offset to the end of the file, however far it grows
  range.l_pid = 0;                           // required of OFD locks
  return range;
}

bool IsConflict(int error) { return error == EWOULDBLOCK || error == EAGAIN || error == EACCES; }

BlockingResult WaitForFlock(int fd, int operation, const Interruption& interruption) {
  while (flock(fd, operation) != 0) {
    if (errno != EINTR) return BlockingResult{errno, "flock", {}};
    if (interruption.Requested()) return BlockingResult{EINTR, "flock", {}};
  }
  return BlockingResult{};
}

BlockingResult WaitForRange(int fd, struct flock range, const Interruption& interruption) {
  while (fcntl(fd, F_OFD_SETLKW, &range) != 0) {
    if (errno != EINTR) return BlockingResult{errno, "fcntl(F_OFD_SETLKW)", {}};
    if (interruption.Requested()) return BlockingResult{EINTR, "fcntl(F_OFD_SETLKW)", {}};
  }
  return BlockingResult{};
}

}  // namespace

// flockTry(fd, exclusive, subject): takes the lock if no one else holds a conflicting one (true),
// else false at once.
void FlockTry(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  int operation = (info[1]->IsTrue() ? LOCK_EX : LOCK_SH) | LOCK_NB;
  int outcome;
  do outcome = flock(fd, operation);
  while (outcome != 0 && errno == EINTR);
  if (outcome == 0) return info.GetReturnValue().Set(true);
  if (errno == EWOULDBLOCK) return info.GetReturnValue().Set(false);
  ThrowErrno(isolate, "flock", errno, SubjectOf(isolate, info[2]));
}

// flockWait(fd, exclusive, subject, callback): waits for the lock on a waiting thread;
// callback(undefined) once held, or callback(Error). Returns the call's id.
void FlockWait(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[3]->IsFunction()) return ThrowType(isolate, "flockWait(fd, exclusive, subject, callback)");
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  int operation = info[1]->IsTrue() ? LOCK_EX : LOCK_SH;
  uint32_t id = StartBlockingCall(isolate, info[3].As<v8::Function>(), SubjectOf(isolate, info[2]),
                                  [fd, operation](const Interruption& interruption) {
                                    return WaitForFlock(fd, operation, interruption);
                                  });
  info.GetReturnValue().Set(id);
}

// flockUnlock(fd, subject)
void FlockUnlock(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  if (flock(fd, LOCK_UN) != 0) ThrowErrno(isolate, "flock", errno, SubjectOf(isolate, info[1]));
}

// lockRangeTry(fd, offset, length, exclusive, subject): takes the byte range if no one else holds
// a conflicting lock on it (true), else false at once.
void LockRangeTry(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  int fd = info[0]->Int32Value(context).FromMaybe(-1);
  double offset = info[1]->NumberValue(context).FromMaybe(-1);
  double length = info[2]->NumberValue(context).FromMaybe(-1);
  if (!IsOffset(offset) || !IsOffset(length)) return ThrowType(isolate, "lockRangeTry: offset and length must be safe integers >= 0");
  struct flock range = RangeOf(info[3]->IsTrue() ? F_WRLCK : F_RDLCK, offset, length);
  int outcome;
  do outcome = fcntl(fd, F_OFD_SETLK, &range);
  while (outcome != 0 && errno == EINTR);
  if (outcome == 0) return info.GetReturnValue().Set(true);
  if (IsConflict(errno)) return info.GetReturnValue().Set(false);
  ThrowErrno(isolate, "fcntl(F_OFD_SETLK)", errno, SubjectOf(isolate, info[4]));
}

// lockRangeWait(fd, offset, length, exclusive, subject, callback): waits for the byte range on a
// waiting thread; callback(undefined) once held, or callback(Error). Returns the call's id.
void LockRangeWait(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (!info[5]->IsFunction()) return ThrowType(isolate, "lockRangeWait(fd, offset, length, exclusive, subject, callback)");
  int fd = info[0]->Int32Value(context).FromMaybe(-1);
  double offset = info[1]->NumberValue(context).FromMaybe(-1);
  double length = info[2]->NumberValue(context).FromMaybe(-1);
  if (!IsOffset(offset) || !IsOffset(length)) return ThrowType(isolate, "lockRangeWait: offset and length must be safe integers >= 0");
  struct flock range = RangeOf(info[3]->IsTrue() ? F_WRLCK : F_RDLCK, offset, length);
  uint32_t id = StartBlockingCall(isolate, info[5].As<v8::Function>(), SubjectOf(isolate, info[4]),
                                  [fd, range](const Interruption& interruption) {
                                    return WaitForRange(fd, range, interruption);
                                  });
  info.GetReturnValue().Set(id);
}

// unlockRange(fd, offset, length, subject): releases this open file description's locks on the range.
void UnlockRange(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  int fd = info[0]->Int32Value(context).FromMaybe(-1);
  double offset = info[1]->NumberValue(context).FromMaybe(-1);
  double length = info[2]->NumberValue(context).FromMaybe(-1);
  if (!IsOffset(offset) || !IsOffset(length)) return ThrowType(isolate, "unlockRange: offset and length must be safe integers >= 0");
  struct flock range = RangeOf(F_UNLCK, offset, length);
  if (fcntl(fd, F_OFD_SETLK, &range) != 0) ThrowErrno(isolate, "fcntl(F_OFD_SETLK)", errno, SubjectOf(isolate, info[3]));
}

}  // namespace multiproc
