// System V semaphore sets (semget, semop, semctl). A semop that must wait runs on a waiting thread
// (blocking-call.h); a timeout interrupts it, and an interrupted semop has changed nothing (the
// kernel applies a set's operations all at once or not at all). The IPC_NOWAIT form runs on the
// calling thread: JavaScript tries it first, and tryOp is only that.

#include <node.h>
#include <sys/sem.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "blocking-call.h"
#include "errors.h"
#include "functions.h"
#include "sysv.h"

namespace multiproc {

namespace {

// semctl's fourth argument, which the caller must declare (semctl(2)).
union SemaphoreArgument {
  int value;
  struct semid_ds* status;
  unsigned short* values;
};

// The operations, given as an Int32Array of (index, delta) pairs: semop's sembufs. false when they
// do not fit (TypeScript checks the same, with better messages).
bool Operations(v8::Local<v8::Value> value, bool undo, std::vector<sembuf>* out) {
  if (!value->IsInt32Array()) return false;
  v8::Local<v8::Int32Array> pairs = value.As<v8::Int32Array>();
  size_t count = pairs->Length();
  if (count == 0 || count % 2 != 0) return false;
  std::vector<int32_t> numbers(count);
  pairs->CopyContents(numbers.data(), count * sizeof(int32_t));
  for (size_t at = 0; at < count; at += 2) {
    int32_t index = numbers[at];
    int32_t delta = numbers[at + 1];
    if (index < 0 || index > 65535 || delta < -32768 || delta > 32767) return false;
    sembuf operation = {};
    operation.sem_num = static_cast<unsigned short>(index);
    operation.sem_op = static_cast<short>(delta);
    operation.sem_flg = static_cast<short>(undo ? SEM_UNDO : 0);
    out->push_back(operation);
  }
  return true;
}

void WithNoWait(std::vector<sembuf>* operations) {
  for (sembuf& operation : *operations) operation.sem_flg = static_cast<short>(operation.sem_flg | IPC_NOWAIT);
}

}  // namespace

// semGet(key, count, create, exclusive, mode): the set's id.
void SemGet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  double count;
  double mode;
  if (!info[0]->IsInt32() || !IntegerArgument(isolate, info[1], 0, 65535, &count) ||
      !IntegerArgument(isolate, info[4], 0, 0777, &mode)) {
    return ThrowType(isolate, "semGet(key, count, create, exclusive, mode)");
  }
  key_t key = info[0].As<v8::Int32>()->Value();
  int id = semget(key, static_cast<int>(count), GetFlags(info[2], info[3], mode));
  if (id < 0) return ThrowErrno(isolate, "semget", errno, KeySubject(key));
  info.GetReturnValue().Set(id);
}

// semCount(id): how many semaphores the set has (IPC_STAT).
void SemCount(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  if (!IdArgument(isolate, info[0], &id)) return ThrowType(isolate, "semCount(id)");
  struct semid_ds status;
  SemaphoreArgument argument;
  argument.status = &status;
  if (semctl(id, 0, IPC_STAT, argument) != 0) return ThrowErrno(isolate, "semctl(IPC_STAT)", errno, IdSubject("semid", id));
  info.GetReturnValue().Set(static_cast<double>(status.sem_nsems));
}

// semOpNow(id, pairs, undo): true when the operations were applied, false when they would have
// had to wait (IPC_NOWAIT; nothing applied).
void SemOpNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  std::vector<sembuf> operations;
  if (!IdArgument(isolate, info[0], &id) || !Operations(info[1], info[2]->IsTrue(), &operations)) {
    return ThrowType(isolate, "semOpNow(id, pairs, undo)");
  }
  WithNoWait(&operations);
  int error = 0;
  bool done = [&]() {
    int result;
    do result = semop(id, operations.data(), operations.size());
    while (result < 0 && errno == EINTR);
    error = result == 0 ? 0 : errno;
    return error != EAGAIN;  // applied, or failed for good
  }();
  if (!done) return info.GetReturnValue().Set(false);
  if (error == 0) return info.GetReturnValue().Set(true);
  ThrowErrno(isolate, "semop", error, IdSubject("semid", id));
}

// semOpAsync(id, pairs, undo, callback): applies the operations once they can all be, waiting on a
// waiting thread; callback(undefined | Error). Returns the call's id.
void SemOpAsync(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  auto operations = std::make_shared<std::vector<sembuf>>();
  if (!IdArgument(isolate, info[0], &id) || !Operations(info[1], info[2]->IsTrue(), operations.get()) || !info[3]->IsFunction()) {
    return ThrowType(isolate, "semOpAsync(id, pairs, undo, callback)");
  }
  uint32_t call = StartBlockingCall(isolate, info[3].As<v8::Function>(), IdSubject("semid", id),
                                    [id, operations](const Interruption& interruption) {
                                      for (;;) {
                                        if (semop(id, operations->data(), operations->size()) == 0) return BlockingResult{};
                                        if (errno != EINTR) return BlockingResult{errno, "semop", {}};
                                        if (interruption.Requested()) return BlockingResult{EINTR, "semop", {}};
                                      }
                                    });
  info.GetReturnValue().Set(call);
}

// semValueAt(id, index): GETVAL.
void SemValueAt(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  double index;
  if (!IdArgument(isolate, info[0], &id) || !IntegerArgument(isolate, info[1], 0, 65535, &index)) {
    return ThrowType(isolate, "semValueAt(id, index)");
  }
  int value = semctl(id, static_cast<int>(index), GETVAL);
  if (value < 0) return ThrowErrno(isolate, "semctl(GETVAL)", errno, IdSubject("semid", id));
  info.GetReturnValue().Set(value);
}

// semSetValue(id, index, value): SETVAL (which clears every process's undo of that semaphore).
void SemSetValue(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  double index;
  double value;
  if (!IdArgument(isolate, info[0], &id) || !IntegerArgument(isolate, info[1], 0, 65535, &index) ||
      !IntegerArgument(isolate, info[2], 0, 32767, &value)) {
    return ThrowType(isolate, "semSetValue(id, index, value)");
  }
  SemaphoreArgument argument;
  argument.value = static_cast<int>(value);
  if (semctl(id, static_cast<int>(index), SETVAL, argument) != 0) {
    return ThrowErrno(isolate, "semctl(SETVAL)", errno, IdSubject("semid", id));
  }
}

// semRemove(id): semctl(IPC_RMID); waiting semops fail with EIDRM.
void SemRemove(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  if (!IdArgument(isolate, info[0], &id)) return ThrowType(isolate, "semRemove(id)");
  if (semctl(id, 0, IPC_RMID) != 0) return ThrowErrno(isolate, "semctl(IPC_RMID)", errno, IdSubject("semid", id));
}

}  // namespace multiproc
