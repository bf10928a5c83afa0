// POSIX named semaphores (sem_overview(7)): glibc maps /dev/shm/sem.<name> and counts in it. A
// sem_t* never reaches JavaScript: each open semaphore is an id in a table here, so a stale or
// made-up id is refused instead of dereferenced. sem_wait runs on a waiting thread
// (blocking-call.h), interruptible; the semaphore stays mapped while a wait is pending, even if
// JavaScript closes it meanwhile (the wait holds a reference; sem_close runs after the last one).

#include <fcntl.h>
#include <node.h>
#include <semaphore.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "blocking-call.h"
#include "errors.h"
#include "functions.h"
#include "posix-names.h"

namespace multiproc {

namespace {

// One sem_open; sem_close when the last user (the table, a pending wait) lets go.
class OpenSemaphore {
 public:
  OpenSemaphore(sem_t* semaphore, std::string name) : semaphore_(semaphore), name_(std::move(name)) {}
  ~OpenSemaphore() { sem_close(semaphore_); }
  OpenSemaphore(const OpenSemaphore&) = delete;
  OpenSemaphore& operator=(const OpenSemaphore&) = delete;

  sem_t* get() const { return semaphore_; }
  // For error messages: "/jobs", quoted.
  std::string Subject() const { return "\"" + name_ + "\""; }

 private:
  sem_t* semaphore_;
  std::string name_;
};

// The open semaphores of the process (any thread may open and use them), by id.
std::mutex tableMutex;
std::unordered_map<uint32_t, std::shared_ptr<OpenSemaphore>>* const table =
    new std::unordered_map<uint32_t, std::shared_ptr<OpenSemaphore>>();  // never destroyed: waits may outlive exit
uint32_t nextId = 1;

std::shared_ptr<OpenSemaphore> Find(v8::Local<v8::Value> id) {
  if (!id->IsUint32()) return nullptr;
  std::lock_guard<std::mutex> lock(tableMutex);
  auto found = table->find(id.As<v8::Uint32>()->Value());
  return found == table->end() ? nullptr : found->second;
}

// The semaphore of argument 0, or null after throwing.
std::shared_ptr<OpenSemaphore> Argument(const v8::FunctionCallbackInfo<v8::Value>& info, const char* call) {
  std::shared_ptr<OpenSemaphore> semaphore = Find(info[0]);
  if (!semaphore) ThrowType(info.GetIsolate(), (std::string(call) + "(id): no such open semaphore (closed already?)").c_str());
  return semaphore;
}

// glibc adds "sem." in front of a semaphore's name (/dev/shm/sem.<name>), so the name may have
// at most NAME_MAX - 4 bytes.
constexpr size_t kLongestName = NAME_MAX - 4;

BlockingResult WaitFor(const std::shared_ptr<OpenSemaphore>& semaphore, const Interruption& interruption) {
  for (;;) {
    if (sem_wait(semaphore->get()) == 0) return BlockingResult{0, "sem_wait", {}};
    int error = errno;
    // Interrupted before taking anything: retry, unless JavaScript asked the wait to stop.
    if (error == EINTR && !interruption.Requested()) continue;
    return BlockingResult{error, "sem_wait", {}};
  }
}

}  // namespace

// semOpen(name, create, exclusive, mode, value): the id of the open semaphore. value and mode
// apply to a semaphore created here.
void SemOpen(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string name;
  if (!PosixNameOf(isolate, info[0], "semOpen", kLongestName, &name)) return;
  unsigned mode, value;
  if (!info[1]->IsBoolean() || !info[2]->IsBoolean() || !WholeNumberOf(info[3], 07777, &mode) ||
      !WholeNumberOf(info[4], SEM_VALUE_MAX, &value)) {
    return ThrowType(isolate, "semOpen(name, create, exclusive, mode, value 0 to SEM_VALUE_MAX)");
  }
  int flags = (info[1].As<v8::Boolean>()->Value() ? O_CREAT : 0) | (info[2].As<v8::Boolean>()->Value() ? O_EXCL : 0);
  sem_t* semaphore = flags & O_CREAT ? sem_open(name.c_str(), flags, static_cast<mode_t>(mode), value) : sem_open(name.c_str(), 0);
  if (semaphore == SEM_FAILED) return ThrowErrno(isolate, "sem_open", errno, "\"" + name + "\"");
  auto open = std::make_shared<OpenSemaphore>(semaphore, name);
  std::lock_guard<std::mutex> lock(tableMutex);
  uint32_t id = nextId++;
  if (id == 0) id = nextId++;  // 0 is never an id
  table->emplace(id, std::move(open));
  info.GetReturnValue().Set(id);
}

// semClose(id): this process stops using the semaphore (idempotent). A wait still pending keeps
// it open until it ends; interrupt it first.
void SemClose(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsUint32()) return;
  std::shared_ptr<OpenSemaphore> closing;  // released outside the lock: sem_close may take a while
  {
    std::lock_guard<std::mutex> lock(tableMutex);
    auto found = table->find(info[0].As<v8::Uint32>()->Value());
    if (found == table->end()) return;
    closing = std::move(found->second);
    table->erase(found);
  }
}

// semUnlink(name): removes the semaphore's name; processes that opened it keep using it.
void SemUnlink(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string name;
  if (!PosixNameOf(isolate, info[0], "semUnlink", kLongestName, &name)) return;
  if (sem_unlink(name.c_str()) != 0) return ThrowErrno(isolate, "sem_unlink", errno, "\"" + name + "\"");
}

// semTryWait(id): true when it decremented the value, false when the value was 0.
void SemTryWait(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::shared_ptr<OpenSemaphore> semaphore = Argument(info, "semTryWait");
  if (!semaphore) return;
  for (;;) {
    if (sem_trywait(semaphore->get()) == 0) return info.GetReturnValue().Set(true);
    if (errno == EAGAIN) return info.GetReturnValue().Set(false);
    if (errno != EINTR) return ThrowErrno(info.GetIsolate(), "sem_trywait", errno, semaphore->Subject());
  }
}

// semWait(id, callback): decrements the value, waiting on a waiting thread while it is 0;
// callback(undefined) once done, or an Error (code 'EINTR' when interrupted on request, having
// taken nothing). Returns the call's id, for interruptBlockingCall.
void SemWait(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[1]->IsFunction()) return ThrowType(isolate, "semWait(id, callback)");
  std::shared_ptr<OpenSemaphore> semaphore = Argument(info, "semWait");
  if (!semaphore) return;
  std::string subject = semaphore->Subject();
  uint32_t id = StartBlockingCall(isolate, info[1].As<v8::Function>(), subject,
                                  [semaphore](const Interruption& interruption) { return WaitFor(semaphore, interruption); });
  info.GetReturnValue().Set(id);
}

// semPost(id): increments the value, waking one waiter (EOVERFLOW at SEM_VALUE_MAX).
void SemPost(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::shared_ptr<OpenSemaphore> semaphore = Argument(info, "semPost");
  if (!semaphore) return;
  if (sem_post(semaphore->get()) != 0) ThrowErrno(info.GetIsolate(), "sem_post", errno, semaphore->Subject());
}

// semGetValue(id): the current value (never negative on Linux: waiters are not counted).
void SemGetValue(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::shared_ptr<OpenSemaphore> semaphore = Argument(info, "semGetValue");
  if (!semaphore) return;
  int value = 0;
  if (sem_getvalue(semaphore->get(), &value) != 0) {
    return ThrowErrno(info.GetIsolate(), "sem_getvalue", errno, semaphore->Subject());
  }
  info.GetReturnValue().Set(value);
}

// semValueMax(): the largest value a semaphore can hold (SEM_VALUE_MAX).
void SemValueMax(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(static_cast<double>(SEM_VALUE_MAX));
}

}  // namespace multiproc
