// Argument checks shared by the native functions of the POSIX IPC objects (posix-mq.cc,
// posix-semaphore.cc). TypeScript checks the same first; these keep C++ safe on its own.
#pragma once

#include <v8.h>

#include <string>

#include "errors.h"

namespace multiproc {

// An object's name as the kernel wants it: "/" then 1 to `longestBytes` bytes without "/" or NUL;
// false after throwing a TypeError that names `call`.
inline bool PosixNameOf(v8::Isolate* isolate, v8::Local<v8::Value> value, const char* call, size_t longestBytes,
                        std::string* name) {
  if (!value->IsString()) {
    ThrowType(isolate, (std::string(call) + ": the name must be a string").c_str());
    return false;
  }
  v8::String::Utf8Value text(isolate, value);
  name->assign(*text, text.length());
  if (name->size() < 2 || name->size() > longestBytes + 1 || (*name)[0] != '/' || name->find('\0') != std::string::npos ||
      name->find('/', 1) != std::string::npos) {
    ThrowType(isolate, (std::string(call) + ": the name must be \"/\" and 1 to " + std::to_string(longestBytes) +
                        " bytes without \"/\" or NUL")
                           .c_str());
    return false;
  }
  return true;
}

// A whole number from 0 to `limit` from a JavaScript number, into `out`; false when it is not one.
template <typename Number>
bool WholeNumberOf(v8::Local<v8::Value> value, double limit, Number* out) {
  if (!value->IsNumber()) return false;
  double given = value.As<v8::Number>()->Value();
  if (!(given >= 0 && given <= limit) || given != static_cast<double>(static_cast<Number>(given))) return false;
  *out = static_cast<Number>(given);
  return true;
}

}  // namespace multiproc
