// System V message queues (msgget, msgsnd, msgrcv, msgctl). msgsnd and msgrcv have no timed form:
// a wait runs on a waiting thread (blocking-call.h) and a timeout interrupts it, which leaves the
// queue untouched. Each also has an IPC_NOWAIT form run on the calling thread, which JavaScript
// tries first, so a queue that is ready costs no thread hand-off.

#include <node.h>
#include <node_buffer.h>
#include <sys/msg.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "blocking-call.h"
#include "errors.h"
#include "functions.h"
#include "sysv.h"

namespace multiproc {

namespace {

// A type is a C long; JavaScript numbers are exact up to 2**53 (TypeScript checks the same range).
constexpr double kLargestType = 9007199254740991.0;

// The largest message the kernel accepts (msgmax), read once; a receive that finds a longer
// message (msgmax raised since) grows its buffer and tries again (E2BIG leaves the message queued).
size_t LargestMessage() {
  static std::atomic<size_t> cached{0};
  size_t bytes = cached.load(std::memory_order_relaxed);
  if (bytes != 0) return bytes;
  bytes = 8192;  // the kernel's default
  if (FILE* file = std::fopen("/proc/sys/kernel/msgmax", "re")) {
    long value = 0;
    if (std::fscanf(file, "%ld", &value) == 1 && value > 0) bytes = static_cast<size_t>(value);
    std::fclose(file);
  }
  cached.store(bytes, std::memory_order_relaxed);
  return bytes;
}

// A message as msgsnd and msgrcv lay it out: the type, then the bytes.
struct Message {
  std::vector<char> storage;
  long* Type() { return reinterpret_cast<long*>(storage.data()); }
  char* Text() { return storage.data() + sizeof(long); }
};

struct Received {
  long type = 0;
  std::shared_ptr<Message> message;
  size_t length = 0;
};

// One msgrcv, growing the buffer on E2BIG; returns 0 or the errno.
int ReceiveOnce(int id, long type, int flags, Received* received) {
  size_t capacity = LargestMessage();
  auto message = std::make_shared<Message>();
  for (;;) {
    message->storage.resize(sizeof(long) + capacity);
    ssize_t length = msgrcv(id, message->storage.data(), capacity, type, flags);
    if (length >= 0) {
      received->type = *message->Type();
      received->message = message;
      received->length = static_cast<size_t>(length);
      return 0;
    }
    if (errno != E2BIG || capacity >= INT_MAX) return errno;
    capacity = capacity > INT_MAX / 2 ? INT_MAX : capacity * 2;
  }
}

v8::Local<v8::Value> MessageValue(v8::Isolate* isolate, const Received& received) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> result = v8::Object::New(isolate);
  v8::Local<v8::Object> data =
      node::Buffer::Copy(isolate, received.message->Text(), received.length).ToLocalChecked();
  result->Set(context, v8::String::NewFromUtf8Literal(isolate, "type"), v8::Number::New(isolate, static_cast<double>(received.type))).Check();
  result->Set(context, v8::String::NewFromUtf8Literal(isolate, "data"), data).Check();
  return result;
}

// A message to send, copied out of JavaScript's memory (the waiting thread cannot touch it).
bool MessageToSend(v8::Isolate* isolate, v8::Local<v8::Value> type, v8::Local<v8::Value> data, std::shared_ptr<Message>* out,
                   size_t* length) {
  double number;
  if (!IntegerArgument(isolate, type, 1, kLargestType, &number) || !data->IsArrayBufferView()) return false;
  v8::Local<v8::ArrayBufferView> view = data.As<v8::ArrayBufferView>();
  *length = view->ByteLength();
  auto message = std::make_shared<Message>();
  message->storage.resize(sizeof(long) + *length);
  *message->Type() = static_cast<long>(number);
  if (*length > 0) view->CopyContents(message->Text(), *length);
  *out = message;
  return true;
}

}  // namespace

// msgGet(key, create, exclusive, mode): the queue's id.
void MsgGet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  double mode;
  if (!info[0]->IsInt32() || !IntegerArgument(isolate, info[3], 0, 0777, &mode)) {
    return ThrowType(isolate, "msgGet(key, create, exclusive, mode)");
  }
  key_t key = info[0].As<v8::Int32>()->Value();
  int id = msgget(key, GetFlags(info[1], info[2], mode));
  if (id < 0) return ThrowErrno(isolate, "msgget", errno, KeySubject(key));
  info.GetReturnValue().Set(id);
}

// msgSendNow(id, type, data): true when sent, false when the queue is full (IPC_NOWAIT). The
// message is laid out in this thread's reused buffer: a send that finds room allocates nothing.
void MsgSendNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  double type;
  if (!IdArgument(isolate, info[0], &id) || !IntegerArgument(isolate, info[1], 1, kLargestType, &type) ||
      !info[2]->IsArrayBufferView()) {
    return ThrowType(isolate, "msgSendNow(id, type, data)");
  }
  thread_local std::vector<char> storage;
  v8::Local<v8::ArrayBufferView> view = info[2].As<v8::ArrayBufferView>();
  size_t length = view->ByteLength();
  if (storage.size() < sizeof(long) + length) storage.resize(sizeof(long) + length);
  long mtype = static_cast<long>(type);
  std::memcpy(storage.data(), &mtype, sizeof mtype);
  if (length > 0) view->CopyContents(storage.data() + sizeof(long), length);
  int result;
  do result = msgsnd(id, storage.data(), length, IPC_NOWAIT);
  while (result < 0 && errno == EINTR);
  if (result == 0) return info.GetReturnValue().Set(true);
  int error = errno;  // before IdSubject's allocation can change it
  if (error == EAGAIN) return info.GetReturnValue().Set(false);
  ThrowErrno(isolate, "msgsnd", error, IdSubject("msqid", id));
}

// msgSendAsync(id, type, data, callback): sends, waiting for room on a waiting thread;
// callback(undefined | Error). Returns the call's id.
void MsgSendAsync(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  std::shared_ptr<Message> message;
  size_t length;
  if (!IdArgument(isolate, info[0], &id) || !MessageToSend(isolate, info[1], info[2], &message, &length) || !info[3]->IsFunction()) {
    return ThrowType(isolate, "msgSendAsync(id, type, data, callback)");
  }
  uint32_t call = StartBlockingCall(isolate, info[3].As<v8::Function>(), IdSubject("msqid", id),
                                    [id, message, length](const Interruption& interruption) {
                                      for (;;) {
                                        if (msgsnd(id, message->storage.data(), length, 0) == 0) return BlockingResult{};
                                        if (errno != EINTR) return BlockingResult{errno, "msgsnd", {}};
                                        if (interruption.Requested()) return BlockingResult{EINTR, "msgsnd", {}};
                                      }
                                    });
  info.GetReturnValue().Set(call);
}

// msgReceiveNow(id, type, buffer): msgrcv with IPC_NOWAIT straight into `buffer`, so that a
// message that is there costs one system call and no allocation. The text lands at byte 8 and the
// type, as a double in this machine's byte order, in bytes 0-7 (msgrcv puts the C long just before
// the text; it is rewritten in place, whatever the size of a long). Returns the text's length; -1
// when no message matched; -2 when the first that matched is longer than `buffer.byteLength - 8`
// (it stays queued: the caller grows the buffer and asks again).
void MsgReceiveNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  double type;
  constexpr size_t kTextOffset = 8;
  static_assert(sizeof(long) <= kTextOffset && sizeof(double) == kTextOffset, "the layout of msgReceiveNow's buffer");
  if (!IdArgument(isolate, info[0], &id) || !IntegerArgument(isolate, info[1], -kLargestType, kLargestType, &type) ||
      !info[2]->IsArrayBufferView() || info[2].As<v8::ArrayBufferView>()->ByteLength() < kTextOffset) {
    return ThrowType(isolate, "msgReceiveNow(id, type, buffer)");
  }
  v8::Local<v8::ArrayBufferView> view = info[2].As<v8::ArrayBufferView>();
  char* buffer = static_cast<char*>(view->Buffer()->Data()) + view->ByteOffset();
  char* message = buffer + kTextOffset - sizeof(long);  // struct msgbuf: the long, then the text
  size_t capacity = view->ByteLength() - kTextOffset;
  ssize_t length;
  do length = msgrcv(id, message, capacity, static_cast<long>(type), IPC_NOWAIT);
  while (length < 0 && errno == EINTR);
  if (length >= 0) {
    long received;
    std::memcpy(&received, message, sizeof received);
    double typeValue = static_cast<double>(received);
    std::memcpy(buffer, &typeValue, sizeof typeValue);
    return info.GetReturnValue().Set(static_cast<double>(length));
  }
  int error = errno;  // before IdSubject's allocation can change it
  if (error == ENOMSG) return info.GetReturnValue().Set(-1);
  if (error == E2BIG) return info.GetReturnValue().Set(-2);
  ThrowErrno(isolate, "msgrcv", error, IdSubject("msqid", id));
}

// msgReceiveAsync(id, type, callback): waits for a message on a waiting thread;
// callback({ type, data } | Error). Returns the call's id.
void MsgReceiveAsync(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  double type;
  if (!IdArgument(isolate, info[0], &id) || !IntegerArgument(isolate, info[1], -kLargestType, kLargestType, &type) ||
      !info[2]->IsFunction()) {
    return ThrowType(isolate, "msgReceiveAsync(id, type, callback)");
  }
  long wanted = static_cast<long>(type);
  uint32_t call = StartBlockingCall(isolate, info[2].As<v8::Function>(), IdSubject("msqid", id),
                                    [id, wanted](const Interruption& interruption) {
                                      for (;;) {
                                        Received received;
                                        int error = ReceiveOnce(id, wanted, 0, &received);
                                        if (error == 0) {
                                          return BlockingResult{0, "msgrcv", [received](v8::Isolate* isolate) {
                                                                  return MessageValue(isolate, received);
                                                                }};
                                        }
                                        if (error != EINTR) return BlockingResult{error, "msgrcv", {}};
                                        if (interruption.Requested()) return BlockingResult{EINTR, "msgrcv", {}};
                                      }
                                    });
  info.GetReturnValue().Set(call);
}

// msgStat(id): what msgctl(IPC_STAT) says of the queue.
void MsgStat(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  if (!IdArgument(isolate, info[0], &id)) return ThrowType(isolate, "msgStat(id)");
  struct msqid_ds status;
  if (msgctl(id, IPC_STAT, &status) != 0) return ThrowErrno(isolate, "msgctl(IPC_STAT)", errno, IdSubject("msqid", id));
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> result = v8::Object::New(isolate);
  auto set = [&](const char* name, double value) {
    result->Set(context, v8::String::NewFromUtf8(isolate, name).ToLocalChecked(), v8::Number::New(isolate, value)).Check();
  };
  set("key", static_cast<int32_t>(status.msg_perm.__key));
  set("messages", static_cast<double>(status.msg_qnum));
  set("bytes", static_cast<double>(status.msg_cbytes));
  set("maxBytes", static_cast<double>(status.msg_qbytes));
  set("lastSendPid", status.msg_lspid);
  set("lastReceivePid", status.msg_lrpid);
  set("mode", status.msg_perm.mode & 0777);
  set("uid", status.msg_perm.uid);
  set("gid", status.msg_perm.gid);
  info.GetReturnValue().Set(result);
}

// msgRemove(id): msgctl(IPC_RMID); waiting senders and receivers fail with EIDRM.
void MsgRemove(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int id;
  if (!IdArgument(isolate, info[0], &id)) return ThrowType(isolate, "msgRemove(id)");
  if (msgctl(id, IPC_RMID, nullptr) != 0) return ThrowErrno(isolate, "msgctl(IPC_RMID)", errno, IdSubject("msqid", id));
}

}  // namespace multiproc
