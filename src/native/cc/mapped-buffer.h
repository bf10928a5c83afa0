// Memory mapped into this process (mmap, shmat), handed to JavaScript as a SharedArrayBuffer whose
// collection unmaps it, and whose size V8 counts (shared-memory.cc). One helper for every mapping.
#pragma once

#include <v8.h>

#include <cstddef>

namespace multiproc {

// A SharedArrayBuffer over [data, data + length), which the buffer now owns: munmap'ed (which also
// detaches a System V segment) once the last buffer over it is garbage-collected, `onUnmap(data)`
// (when given) being told just before, on whatever thread collects it.
v8::Local<v8::SharedArrayBuffer> SharedArrayBufferOverMapping(v8::Isolate* isolate, void* data, size_t length,
                                                               void (*onUnmap)(void* data) = nullptr);

}  // namespace multiproc
