// Buffers over mappings (mapped-buffer.h): the deleter that unmaps, and the account of mapped
// bytes that V8 is told about.

#include "mapped-buffer.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "mapping-guard.h"

namespace multiproc {

namespace {

// V8 does not count memory it did not allocate: without being told, it would not collect the
// buffers of mappings nobody uses any more, and the mappings (with their pages, as a segment's
// pages live while it is mapped) would pile up. Each isolate reports what it maps; what GC
// unmapped, on whatever thread, is subtracted at its next mapping.
struct MappedBytes {
  std::atomic<int64_t> unmapped{0};
};

struct Mapping {
  std::shared_ptr<MappedBytes> account;
  BeforeUnmap beforeUnmap;
};

thread_local std::shared_ptr<MappedBytes> mappedBytes;

void Unmap(void* data, size_t length, void* deleterData) {
  Mapping* mapping = static_cast<Mapping*>(deleterData);
  UnguardMapping(data);
  if (mapping->beforeUnmap != nullptr) mapping->beforeUnmap(data);
  if (data != nullptr && length > 0) munmap(data, length);
  mapping->account->unmapped += static_cast<int64_t>(length);
  delete mapping;
}

Mapping* AccountFor(v8::Isolate* isolate, size_t length, BeforeUnmap beforeUnmap) {
  if (!mappedBytes) mappedBytes = std::make_shared<MappedBytes>();
  int64_t unmapped = mappedBytes->unmapped.exchange(0);
  isolate->AdjustAmountOfExternalAllocatedMemory(static_cast<int64_t>(length) - unmapped);
  return new Mapping{mappedBytes, beforeUnmap};
}

}  // namespace

v8::Local<v8::SharedArrayBuffer> SharedBufferOverMapping(v8::Isolate* isolate, void* data, size_t length,
                                                         BeforeUnmap beforeUnmap) {
  std::shared_ptr<v8::BackingStore> store =
      v8::SharedArrayBuffer::NewBackingStore(data, length, Unmap, AccountFor(isolate, length, beforeUnmap));
  return v8::SharedArrayBuffer::New(isolate, std::move(store));
}

v8::Local<v8::ArrayBuffer> BufferOverMapping(v8::Isolate* isolate, void* data, size_t length, BeforeUnmap beforeUnmap) {
  std::shared_ptr<v8::BackingStore> store =
      v8::ArrayBuffer::NewBackingStore(data, length, Unmap, AccountFor(isolate, length, beforeUnmap));
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

}  // namespace multiproc
