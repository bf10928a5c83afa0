// A TCP socket bound and listening before the call returns, as Python's Listener binds in its
// constructor: Node's own listen() looks the host up and binds on a later tick, so its address
// (the port chosen for port 0) is unknown when the constructor returns. The descriptor is then
// handed to net.Server.listen({ fd }), which owns and closes it from there.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"
#include "functions.h"

namespace multiproc {

using v8::FunctionCallbackInfo;
using v8::Value;

namespace {

// Node's codes for name lookups (dns.lookup's ENOTFOUND...), so a caller sees one vocabulary.
const char* LookupCode(int status) {
  switch (status) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
      return "ENOTFOUND";
    case EAI_AGAIN:
      return "EAI_AGAIN";
    case EAI_FAMILY:
      return "EAI_FAMILY";
    case EAI_MEMORY:
      return "ENOMEM";
    default:
      return "EAI_FAIL";
  }
}

void ThrowLookup(v8::Isolate* isolate, int status, const std::string& host) {
  if (status == EAI_SYSTEM) return ThrowErrno(isolate, "getaddrinfo", errno, host);
  std::string message = "getaddrinfo(" + host + ") failed with " + LookupCode(status) + ": " + gai_strerror(status);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> exception =
      v8::Exception::Error(v8::String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked()).As<v8::Object>();
  exception
      ->Set(context, v8::String::NewFromUtf8Literal(isolate, "code"),
            v8::String::NewFromUtf8(isolate, LookupCode(status)).ToLocalChecked())
      .Check();
  exception
      ->Set(context, v8::String::NewFromUtf8Literal(isolate, "syscall"), v8::String::NewFromUtf8Literal(isolate, "getaddrinfo"))
      .Check();
  isolate->ThrowException(exception);
}

// Python's Listener makes an AF_INET socket, so a name such as "localhost" binds its IPv4
// address; a name with no IPv4 address (or an IPv6 literal) binds its first IPv6 one.
const struct addrinfo* Preferred(const struct addrinfo* found) {
  for (const struct addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family == AF_INET) return entry;
  }
  for (const struct addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family == AF_INET6) return entry;
  }
  return nullptr;
}

// "127.0.0.1:80" or "[::1]:80", for error messages.
std::string Shown(const struct sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address->sa_family == AF_INET) {
    const auto* inet = reinterpret_cast<const struct sockaddr_in*>(address);
    inet_ntop(AF_INET, &inet->sin_addr, text, sizeof(text));
    port = ntohs(inet->sin_port);
    return std::string(text) + ":" + std::to_string(port);
  }
  const auto* inet6 = reinterpret_cast<const struct sockaddr_in6*>(address);
  inet_ntop(AF_INET6, &inet6->sin6_addr, text, sizeof(text));
  port = ntohs(inet6->sin6_port);
  return "[" + std::string(text) + "]:" + std::to_string(port);
}

}  // namespace

// tcpListen(host, port, backlog): the fd of a TCP socket bound to host:port (port 0: any free
// one) and listening, close-on-exec and non-blocking, with SO_REUSEADDR as Python and Node set.
void TcpListen(const FunctionCallbackInfo<Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (!info[0]->IsString() || !info[1]->IsInt32() || !info[2]->IsInt32()) {
    return ThrowType(isolate, "tcpListen(host: string, port: integer, backlog: integer)");
  }
  v8::String::Utf8Value hostText(isolate, info[0]);
  std::string host(*hostText, hostText.length());
  int port = info[1]->Int32Value(context).FromJust();
  int backlog = info[2]->Int32Value(context).FromJust();
  if (host.empty() || host.find('\0') != std::string::npos || port < 0 || port > 65535 || backlog < 0) {
    return ThrowType(isolate, "tcpListen: a non-empty host, a port from 0 to 65535 and a backlog >= 0");
  }
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  struct addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int status = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (status != 0) return ThrowLookup(isolate, status, host);
  const struct addrinfo* chosen = Preferred(found);
  if (chosen == nullptr) {
    freeaddrinfo(found);
    return ThrowLookup(isolate, EAI_FAMILY, host);
  }
  std::string shown = Shown(chosen->ai_addr);
  int fd = socket(chosen->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    int error = errno;
    freeaddrinfo(found);
    return ThrowErrno(isolate, "socket", error, shown);
  }
  int on = 1;
  const char* failed = nullptr;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    failed = "setsockopt";
  } else if (bind(fd, chosen->ai_addr, chosen->ai_addrlen) != 0) {
    failed = "bind";
  } else if (listen(fd, backlog) != 0) {
    failed = "listen";
  }
  int error = errno;
  freeaddrinfo(found);
  if (failed != nullptr) {
    close(fd);
    return ThrowErrno(isolate, failed, error, shown);
  }
  info.GetReturnValue().Set(fd);
}

}  // namespace multiproc
