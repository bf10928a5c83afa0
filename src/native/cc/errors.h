// Turning a failed system call into a JavaScript Error that names the call, the object and the
// errno (`mq_open("/jobs") failed: EACCES (permission denied)`), with `code` (EACCES, ENOENT...) and `syscall` set as Node's own errors have them.
#pragma once

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include <v8.h>

namespace multiproc {

// The Error itself, for failures reported later than the call (an asynchronous wait's callback).
inline v8::Local<v8::Value> ErrnoException(v8::Isolate* isolate, const char* syscall, int error,
                                           const std::string& subject) {
  // mq_open("/jobs") failed: EACCES (permission denied)
  std::string description = std::strerror(error);
  if (!description.empty()) description[0] = static_cast<char>(std::tolower(description[0]));
  std::string message =
      std::string(syscall) + "(" + subject + ") failed: " + strerrorname_np(error) + " (" + description + ")";
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> exception =
      v8::Exception::Error(v8::String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked()).As<v8::Object>();
  exception
      ->Set(context, v8::String::NewFromUtf8Literal(isolate, "code"),
            v8::String::NewFromUtf8(isolate, strerrorname_np(error)).ToLocalChecked())
      .Check();
  exception
      ->Set(context, v8::String::NewFromUtf8Literal(isolate, "syscall"),
            v8::String::NewFromUtf8(isolate, syscall).ToLocalChecked())
      .Check();
  exception->Set(context, v8::String::NewFromUtf8Literal(isolate, "errno"), v8::Integer::New(isolate, -error)).Check();
  return exception;
}

inline void ThrowErrno(v8::Isolate* isolate, const char* syscall, int error, const std::string& subject) {
  isolate->ThrowException(ErrnoException(isolate, syscall, error, subject));
}

inline void ThrowType(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

}  // namespace multiproc
