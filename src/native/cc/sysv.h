// What the System V files share: reading their arguments (keys, ids, flags) and naming the object
// in errors the way ipcs shows it (`msgget(key 0x0000abcd)`, `semop(semid 32769)`).
#pragma once

#include <sys/ipc.h>
#include <v8.h>


#include <cmath>
#include <cstdio>
#include <string>

namespace multiproc {

inline std::string KeySubject(key_t key) {
  char text[32];
  std::snprintf(text, sizeof text, "key 0x%08x", static_cast<unsigned>(key));
  return text;
}

inline std::string IdSubject(const char* kind, int id) { return std::string(kind) + " " + std::to_string(id); }

// An integer argument inside [min, max], or false (the caller throws): doubles beyond a C type's
// range would convert to anything.
inline bool IntegerArgument(v8::Isolate* isolate, v8::Local<v8::Value> value, double min, double max, double* out) {
  if (!value->IsNumber()) return false;
  double number = value.As<v8::Number>()->Value();
  if (!(number >= min && number <= max) || std::trunc(number) != number) return false;
  *out = number;
  return true;
}

// An object's id (msqid, semid, shmid): a non-negative int.
inline bool IdArgument(v8::Isolate* isolate, v8::Local<v8::Value> value, int* id) {
  double number;
  if (!IntegerArgument(isolate, value, 0, 2147483647.0, &number)) return false;
  *id = static_cast<int>(number);
  return true;
}

// get-style flags: IPC_CREAT, IPC_EXCL and the permission bits.
inline int GetFlags(v8::Local<v8::Value> create, v8::Local<v8::Value> exclusive, double mode) {
  int flags = static_cast<int>(mode) & 0777;
  if (create->IsTrue()) flags |= IPC_CREAT;
  if (exclusive->IsTrue()) flags |= IPC_EXCL;
  return flags;
}

}  // namespace multiproc
