// A mapping handed to JavaScript as a SharedArrayBuffer or an ArrayBuffer that unmaps it when the
// last buffer over it is collected, with the bytes counted towards V8's external memory (so that
// unused mappings are collected at all). Shared by named segments and mapped files.
#pragma once

#include <v8.h>

#include <cstddef>

namespace multiproc {

// Called with a mapping's address just before it is unmapped (on whatever thread collects it).
using BeforeUnmap = void (*)(void* data);

// `data` comes from mmap; the buffer now owns it (munmap at collection, after UnguardMapping and
// `beforeUnmap`).
v8::Local<v8::SharedArrayBuffer> SharedBufferOverMapping(v8::Isolate* isolate, void* data, size_t length,
                                                         BeforeUnmap beforeUnmap = nullptr);
v8::Local<v8::ArrayBuffer> BufferOverMapping(v8::Isolate* isolate, void* data, size_t length,
                                             BeforeUnmap beforeUnmap = nullptr);

}  // namespace multiproc
