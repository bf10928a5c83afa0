// Unix sockets opened synchronously (abstract names too), as fds: the resource tracker's
// clients write to it with fs.writeSync, so a registration is on its way before the call that
// made the resource returns, even if the process is killed right after.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

}  // namespace multiproc
