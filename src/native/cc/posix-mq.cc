// POSIX message queues (mq_overview(7)). On Linux a queue descriptor is a file descriptor that
// poll understands, so the queue is opened non-blocking and the event loop watches it
// (fd-watch.cc): a send or receive is tried at once, and on EAGAIN JavaScript waits for the
// descriptor to become writable or readable and tries again. Nothing here ever blocks.

#include <fcntl.h>
#include <mqueue.h>
#include <node.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"
#include "functions.h"
#include "posix-names.h"

namespace multiproc {

namespace {

std::string Quoted(const std::string& name) {
  return "\"" + name + "\"";
}

std::string FdSubject(int fd) {
  return "fd " + std::to_string(fd);
}

bool FdOf(v8::Local<v8::Value> value, int* fd) {
  if (!value->IsInt32() || value.As<v8::Int32>()->Value() < 0) return false;
  *fd = value.As<v8::Int32>()->Value();
  return true;
}

void SetNumber(v8::Isolate* isolate, v8::Local<v8::Object> object, const char* key, double value) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  object->Set(context, v8::String::NewFromUtf8(isolate, key).ToLocalChecked(), v8::Number::New(isolate, value)).Check();
}

}  // namespace

// mqOpen(name, create, exclusive, access, mode, maxMessages, messageSize): the queue's descriptor,
// non-blocking and close-on-exec. access: 0 read, 1 write, 2 both. maxMessages and messageSize
// apply to a queue created here; both 0: the system's defaults.
void MqOpen(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string name;
  if (!PosixNameOf(isolate, info[0], "mqOpen", NAME_MAX, &name)) return;
  long access, mode, maxMessages, messageSize;
  if (!info[1]->IsBoolean() || !info[2]->IsBoolean() || !WholeNumberOf(info[3], 2, &access) || !WholeNumberOf(info[4], 07777, &mode) ||
      !WholeNumberOf(info[5], INT_MAX, &maxMessages) || !WholeNumberOf(info[6], INT_MAX, &messageSize)) {
    return ThrowType(isolate, "mqOpen(name, create, exclusive, access 0-2, mode, maxMessages, messageSize)");
  }
  int flags = (access == 0 ? O_RDONLY : access == 1 ? O_WRONLY : O_RDWR) | O_NONBLOCK | O_CLOEXEC;
  if (info[1].As<v8::Boolean>()->Value()) flags |= O_CREAT;
  if (info[2].As<v8::Boolean>()->Value()) flags |= O_EXCL;
  struct mq_attr attributes = {};
  attributes.mq_maxmsg = maxMessages;
  attributes.mq_msgsize = messageSize;
  bool hasAttributes = maxMessages > 0 && messageSize > 0;
  mqd_t queue;
  do {
    queue = mq_open(name.c_str(), flags, static_cast<mode_t>(mode), hasAttributes ? &attributes : nullptr);
  } while (queue == static_cast<mqd_t>(-1) && errno == EINTR);
  if (queue == static_cast<mqd_t>(-1)) return ThrowErrno(isolate, "mq_open", errno, Quoted(name));
  info.GetReturnValue().Set(static_cast<int>(queue));
}

// mqClose(fd): closes a queue descriptor (the queue itself stays until unlinked).
void MqClose(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd;
  if (!FdOf(info[0], &fd)) return ThrowType(isolate, "mqClose(fd)");
  if (mq_close(static_cast<mqd_t>(fd)) != 0) return ThrowErrno(isolate, "mq_close", errno, FdSubject(fd));
}

// mqUnlink(name): removes the queue's name; descriptors open on it keep working until closed.
void MqUnlink(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string name;
  if (!PosixNameOf(isolate, info[0], "mqUnlink", NAME_MAX, &name)) return;
  if (mq_unlink(name.c_str()) != 0) return ThrowErrno(isolate, "mq_unlink", errno, Quoted(name));
}

// mqGetAttributes(fd): { maxMessages, messageSize, currentMessages }.
void MqGetAttributes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd;
  if (!FdOf(info[0], &fd)) return ThrowType(isolate, "mqGetAttributes(fd)");
  struct mq_attr attributes;
  if (mq_getattr(static_cast<mqd_t>(fd), &attributes) != 0) return ThrowErrno(isolate, "mq_getattr", errno, FdSubject(fd));
  v8::Local<v8::Object> result = v8::Object::New(isolate);
  SetNumber(isolate, result, "maxMessages", static_cast<double>(attributes.mq_maxmsg));
  SetNumber(isolate, result, "messageSize", static_cast<double>(attributes.mq_msgsize));
  SetNumber(isolate, result, "currentMessages", static_cast<double>(attributes.mq_curmsgs));
  info.GetReturnValue().Set(result);
}

// mqSend(fd, bytes, priority): true when the message was queued, false when the queue is full
// (EAGAIN: wait until the descriptor is writable, then try again).
void MqSend(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd;
  long priority;
  if (!FdOf(info[0], &fd) || !info[1]->IsArrayBufferView() || !WholeNumberOf(info[2], UINT_MAX, &priority)) {
    return ThrowType(isolate, "mqSend(fd, bytes, priority)");
  }
  v8::Local<v8::ArrayBufferView> view = info[1].As<v8::ArrayBufferView>();
  std::vector<char> copy;
  const char* bytes = nullptr;
  size_t length = view->ByteLength();
  if (view->HasBuffer()) {
    bytes = static_cast<const char*>(view->Buffer()->Data()) + view->ByteOffset();
  } else {  // a small typed array kept on V8's heap: copy it out
    copy.resize(length);
    view->CopyContents(copy.data(), length);
    bytes = copy.data();
  }
  int status;
  do {
    status = mq_send(static_cast<mqd_t>(fd), bytes, length, static_cast<unsigned>(priority));
  } while (status != 0 && errno == EINTR);
  if (status == 0) return info.GetReturnValue().Set(true);
  if (errno == EAGAIN) return info.GetReturnValue().Set(false);
  ThrowErrno(isolate, "mq_send", errno, FdSubject(fd));
}

// The priorities a message can have on Linux (MQ_PRIO_MAX, 32768) fit below this, which lets
// mqReceive return a message's length and priority in one number.
constexpr double kPriorityLimit = 65536;

// mqReceive(fd, into): takes the oldest message of the highest priority into `into` (bytes, at
// least the queue's messageSize long: the kernel refuses a smaller buffer with EMSGSIZE) and
// returns length * 65536 + priority, or -1 when the queue is empty (EAGAIN: wait until the
// descriptor is readable). The caller's buffer, kept from one receive to the next, and one number
// for both results spare a new buffer and a new object per message; JavaScript copies out the bytes.
void MqReceive(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd;
  if (!FdOf(info[0], &fd) || !info[1]->IsArrayBufferView() || info[1].As<v8::ArrayBufferView>()->ByteLength() == 0) {
    return ThrowType(isolate, "mqReceive(fd, into: a non-empty buffer)");
  }
  v8::Local<v8::ArrayBufferView> into = info[1].As<v8::ArrayBufferView>();
  char* bytes = static_cast<char*>(into->Buffer()->Data()) + into->ByteOffset();
  unsigned priority = 0;
  ssize_t received;
  do {
    received = mq_receive(static_cast<mqd_t>(fd), bytes, into->ByteLength(), &priority);
  } while (received < 0 && errno == EINTR);
  if (received < 0) {
    if (errno == EAGAIN) return info.GetReturnValue().Set(-1);
    return ThrowErrno(isolate, "mq_receive", errno, FdSubject(fd));
  }
  if (priority >= kPriorityLimit) return ThrowErrno(isolate, "mq_receive", ERANGE, FdSubject(fd));  // never on Linux
  info.GetReturnValue().Set(static_cast<double>(received) * kPriorityLimit + priority);
}

// mqPriorityMax(): how many priorities there are (sysconf(_SC_MQ_PRIO_MAX); 32768 on Linux).
void MqPriorityMax(const v8::FunctionCallbackInfo<v8::Value>& info) {
  long count = sysconf(_SC_MQ_PRIO_MAX);
  info.GetReturnValue().Set(static_cast<double>(count > 0 ? count : 32768));
}

}  // namespace multiproc
