// System V shared memory (shmget, shmat, shmctl), attached as a SharedArrayBuffer so Atomics work
// on it (mapped-buffer.h). Detaching cannot pull memory from under JavaScript views that may still
// exist: it puts private zero pages in the segment's place (the segment is detached at once, its
// attach count drops, and a stale view reads zeros instead of faulting), and the collector unmaps
// those pages later.

#include <node.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include <cerrno>
#include <mutex>
#include <unordered_map>

#include "errors.h"
#include "functions.h"
#include "mapped-buffer.h"
#include "sysv.h"

namespace multiproc {

namespace {

// The segments attached here and not yet collected, by address: shmDetach touches only those (a
// MAP_FIXED over any other buffer would clobber memory it does not own).
struct Attachments {
  std::mutex mutex;
  std::unordered_map<void*, bool> detached;  // address -> already detached
};

Attachments& attachments() {
  static Attachments* const table = new Attachments();  // never destroyed: collectors may run at exit
  return *table;
}

void Forget(void* data) {
  std::lock_guard<std::mutex> lock(attachments().mutex);
  attachments().detached.erase(data);
}

}  // namespace

// shmGet(key, size, create, exclusive, mode): the segment's id.
void ShmGet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  double size;
  double mode;
  if (!info[0]->IsInt32() || !IntegerArgument(isolate, info[1], 0, 9007199254740991.0, &size) ||
      !IntegerArgument(isolate, info[4], 0, 0777, &mode)) {
    return ThrowType(isolate, "shmGet(key, size, create, exclusive, mode)");
  }
  key_t key = info[0].As<v8::Int32>()->Value();
  int id = shmget(key, static_cast<size_t>(size), GetFlags(info[2], info[3], mode));
  if (id < 0) return ThrowErrno(isolate, "shmget", errno, KeySubject(key));
  info.GetReturnValue().Set(id);
}

// shmStat(id): what shmctl(IPC_STAT) says of the segment.
void ShmStat(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  if (!IdArgument(isolate, info[0], &id)) return ThrowType(isolate, "shmStat(id)");
  struct shmid_ds status;
  if (shmctl(id, IPC_STAT, &status) != 0) return ThrowErrno(isolate, "shmctl(IPC_STAT)", errno, IdSubject("shmid", id));
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> result = v8::Object::New(isolate);
  auto set = [&](const char* name, double value) {
    result->Set(context, v8::String::NewFromUtf8(isolate, name).ToLocalChecked(), v8::Number::New(isolate, value)).Check();
  };
  set("key", static_cast<int32_t>(status.shm_perm.__key));
  set("size", static_cast<double>(status.shm_segsz));
  set("attachments", static_cast<double>(status.shm_nattch));
  set("creatorPid", status.shm_cpid);
  set("lastPid", status.shm_lpid);
  set("mode", status.shm_perm.mode & 0777);
  set("uid", status.shm_perm.uid);
  set("removed", (status.shm_perm.mode & SHM_DEST) != 0 ? 1 : 0);
  info.GetReturnValue().Set(result);
}

// shmAttach(id): the whole segment, read-write, as a SharedArrayBuffer.
void ShmAttach(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  if (!IdArgument(isolate, info[0], &id)) return ThrowType(isolate, "shmAttach(id)");
  // A segment's size never changes, so the size read here is the size attached below.
  struct shmid_ds status;
  if (shmctl(id, IPC_STAT, &status) != 0) return ThrowErrno(isolate, "shmctl(IPC_STAT)", errno, IdSubject("shmid", id));
  size_t length = status.shm_segsz;
  if (length == 0) return ThrowErrno(isolate, "shmat", EINVAL, IdSubject("shmid", id));
  void* data = shmat(id, nullptr, 0);
  if (data == reinterpret_cast<void*>(-1)) return ThrowErrno(isolate, "shmat", errno, IdSubject("shmid", id));
  {
    std::lock_guard<std::mutex> lock(attachments().mutex);
    attachments().detached[data] = false;
  }
  info.GetReturnValue().Set(SharedBufferOverMapping(isolate, data, length, Forget));
}

// shmDetach(buffer): detaches a segment attached by shmAttach now (see the top of this file);
// a second call does nothing.
void ShmDetach(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsSharedArrayBuffer()) return ThrowType(isolate, "shmDetach(buffer)");
  std::shared_ptr<v8::BackingStore> store = info[0].As<v8::SharedArrayBuffer>()->GetBackingStore();
  void* data = store->Data();
  std::lock_guard<std::mutex> lock(attachments().mutex);
  auto found = attachments().detached.find(data);
  if (found == attachments().detached.end()) return ThrowType(isolate, "shmDetach: the buffer is not an attached System V segment");
  if (found->second) return;
  // Replacing the mapping unmaps the segment (shm_nattch drops, as with shmdt) in one step, with no
  // moment where the addresses are free for another mapping to take.
  void* replaced = mmap(data, store->ByteLength(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (replaced == MAP_FAILED) return ThrowErrno(isolate, "mmap", errno, "a detached segment");
  found->second = true;
}

// shmRemove(id): shmctl(IPC_RMID); the segment goes once no process has it attached.
void ShmRemove(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  if (!IdArgument(isolate, info[0], &id)) return ThrowType(isolate, "shmRemove(id)");
  if (shmctl(id, IPC_RMID, nullptr) != 0) return ThrowErrno(isolate, "shmctl(IPC_RMID)", errno, IdSubject("shmid", id));
}

}  // namespace multiproc
