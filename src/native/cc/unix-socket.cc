// Unix sockets opened synchronously (abstract names too), as fds: the resource tracker's
// clients write to it with fs.writeSync, so a registration is on its way before the call that
// made the resource returns, even if the process is killed right after. The tracker accepts
// here too, as fds, so it can ask the kernel who connected (SO_PEERCRED) before reading a byte:
// an abstract socket has no file permissions, any user can connect to it.

#include <fcntl.h>
#include <node.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"
#include "functions.h"

namespace multiproc {

using v8::FunctionCallbackInfo;
using v8::Value;

// The address of a Unix socket; false (after throwing) when it does not fit.
static bool AddressOf(v8::Isolate* isolate, v8::Local<Value> value, struct sockaddr_un* address, socklen_t* length,
                      std::string* shown) {
  v8::String::Utf8Value text(isolate, value);
  std::string path(*text ? *text : "", *text ? text.length() : 0);
  if (path.empty() || path.size() >= sizeof(address->sun_path)) {
    ThrowType(isolate, "unix socket: the address must be 1 to 107 bytes long");
    return false;
  }
  std::memset(address, 0, sizeof(*address));
  address->sun_family = AF_UNIX;
  std::memcpy(address->sun_path, path.data(), path.size());
  *length = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size());
  *shown = path[0] == '\0' ? "@" + path.substr(1) : path;
  return true;
}

// unixConnect(address): a leading "\0" names an abstract socket (no file).
void UnixConnect(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  struct sockaddr_un peer;
  socklen_t length;
  std::string shown;
  if (!AddressOf(isolate, info[0], &peer, &length, &shown)) return;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(isolate, "socket", errno, "AF_UNIX");
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&peer), length) != 0) {
    int error = errno;
    close(fd);
    return ThrowErrno(isolate, "connect", error, shown);
  }
  info.GetReturnValue().Set(fd);
}

// unixListen(address): a socket bound and listening before this returns (Node's own listen()
// completes later), so connections made right after wait in its backlog.
void UnixListen(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  struct sockaddr_un self;
  socklen_t length;
  std::string shown;
  if (!AddressOf(isolate, info[0], &self, &length, &shown)) return;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(isolate, "socket", errno, "AF_UNIX");
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&self), length) != 0 || listen(fd, 128) != 0) {
    int error = errno;
    close(fd);
    return ThrowErrno(isolate, "bind/listen", error, shown);
  }
  info.GetReturnValue().Set(fd);
}

// peerCredentials(fd): who is at the other end of a connected Unix socket, as the kernel saw it
// at connect() (or at listen(), seen from a client): { pid, uid, gid }.
void PeerCredentials(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  int fd = info[0]->Int32Value(context).FromMaybe(-1);
  struct ucred credentials;
  socklen_t length = sizeof(credentials);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return ThrowErrno(isolate, "getsockopt", errno, "SO_PEERCRED, fd " + std::to_string(fd));
  }
  v8::Local<v8::Object> peer = v8::Object::New(isolate);
  peer->Set(context, v8::String::NewFromUtf8Literal(isolate, "pid"), v8::Integer::New(isolate, credentials.pid)).Check();
  peer->Set(context, v8::String::NewFromUtf8Literal(isolate, "uid"), v8::Integer::NewFromUnsigned(isolate, credentials.uid))
      .Check();
  peer->Set(context, v8::String::NewFromUtf8Literal(isolate, "gid"), v8::Integer::NewFromUnsigned(isolate, credentials.gid))
      .Check();
  info.GetReturnValue().Set(peer);
}

namespace {

// A listening socket watched by this thread's event loop (libuv's poll: Node's own net.Server
// would accept too, but would not hand over the accepted descriptor).
struct AcceptWatch {
  uv_poll_t poll;
  v8::Isolate* isolate;
  v8::Global<v8::Function> callback;
  int listening;
};

void FreeWatch(uv_handle_t* handle) {
  delete static_cast<AcceptWatch*>(handle->data);
}

// The thread (or Node) is ending: stop watching.
void TeardownWatch(void* data) {
  AcceptWatch* watch = static_cast<AcceptWatch*>(data);
  watch->callback.Reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), FreeWatch);
}

// Accepts every connection waiting, calling back with each descriptor. A failure other than
// "none left" stops the watch and calls back with the Error: retrying it here (EMFILE, say)
// would spin, as the connection stays in the backlog and the socket stays readable.
void OnAcceptable(uv_poll_t* handle, int status, int /* events */) {
  AcceptWatch* watch = static_cast<AcceptWatch*>(handle->data);
  v8::Isolate* isolate = watch->isolate;
  v8::HandleScope scope(isolate);
  v8::Local<v8::Function> callback = watch->callback.Get(isolate);
  v8::Local<v8::Context> context = callback->GetCreationContextChecked();
  v8::Context::Scope entered(context);
  for (;;) {
    int error = -status;
    if (status == 0) {
      int fd = accept4(watch->listening, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        v8::Local<Value> argument = v8::Integer::New(isolate, fd);
        node::MakeCallback(isolate, context->Global(), callback, 1, &argument, node::async_context{0, 0});
        continue;
      }
      error = errno;
      if (error == EINTR || error == ECONNABORTED) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) return;
    }
    v8::Local<Value> argument = ErrnoException(isolate, "accept4", error, "fd " + std::to_string(watch->listening));
    node::RemoveEnvironmentCleanupHook(isolate, TeardownWatch, watch);
    TeardownWatch(watch);
    node::MakeCallback(isolate, context->Global(), callback, 1, &argument, node::async_context{0, 0});
    return;
  }
}

}  // namespace

// unixAcceptEach(listening, callback): from now on, callback(fd) for each connection accepted on
// the listening socket (non-blocking, close-on-exec), on this thread's event loop, which the
// watch keeps alive; callback(error) once, and the watch ends, if accepting fails.
void UnixAcceptEach(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[1]->IsFunction()) return ThrowType(isolate, "unixAcceptEach(listening, callback)");
  int listening = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
  int flags = fcntl(listening, F_GETFL);
  if (flags < 0 || fcntl(listening, F_SETFL, flags | O_NONBLOCK) != 0) {
    return ThrowErrno(isolate, "fcntl", errno, "fd " + std::to_string(listening));
  }
  AcceptWatch* watch = new AcceptWatch();
  watch->isolate = isolate;
  watch->listening = listening;
  watch->callback.Reset(isolate, info[1].As<v8::Function>());
  watch->poll.data = watch;
  int status = uv_poll_init(node::GetCurrentEventLoop(isolate), &watch->poll, listening);
  if (status != 0) {
    delete watch;
    return ThrowErrno(isolate, "uv_poll_init", -status, "fd " + std::to_string(listening));
  }
  uv_poll_start(&watch->poll, UV_READABLE, OnAcceptable);
  node::AddEnvironmentCleanupHook(isolate, TeardownWatch, watch);
}

}  // namespace multiproc
