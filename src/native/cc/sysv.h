// What the System V files share: reading their arguments (keys, ids, flags) and naming the object
// in errors the way ipcs shows it (`msgget(key 0x0000abcd)`, `semop(semid 32769)`).
#pragma once

#include <sys/ipc.h>
#include <v8.h>

#include <time.h>

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

// Retries a non-blocking attempt (true: done, false: would block) for up to `spinMicroseconds`: a
// peer that answers within that time is caught here, without the hand-off to a waiting thread and
// back (tens of microseconds against hundreds). The caller checks the spin's length (<= 1000 µs).
template <typename Attempt>
bool SpinFor(double spinMicroseconds, Attempt attempt) {
  if (attempt()) return true;
  if (spinMicroseconds <= 0) return false;
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (attempt()) return true;
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (now.tv_sec - start.tv_sec) * 1e6 + (now.tv_nsec - start.tv_nsec) / 1e3;
    if (elapsed >= spinMicroseconds) return false;
  }
}

// The spin argument of the *Now calls: 0 to 1000 microseconds.
inline double SpinArgument(v8::Local<v8::Value> value) {
  if (!value->IsNumber()) return 0;
  double micros = value.As<v8::Number>()->Value();
  return micros > 0 && micros <= 1000 ? micros : 0;
}

// get-style flags: IPC_CREAT, IPC_EXCL and the permission bits.
inline int GetFlags(v8::Local<v8::Value> create, v8::Local<v8::Value> exclusive, double mode) {
  int flags = static_cast<int>(mode) & 0777;
  if (create->IsTrue()) flags |= IPC_CREAT;
  if (exclusive->IsTrue()) flags |= IPC_EXCL;
  return flags;
}

}  // namespace multiproc
