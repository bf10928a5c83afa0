// Shared mappings that someone else's ftruncate may cut short (named segments: only a memfd can be
// sealed against it). See mapping-guard.cc.
#pragma once

#include <cstddef>

namespace multiproc {

// Watches [data, data + length): a SIGBUS there no longer kills the process (see mapping-guard.cc).
void GuardMapping(void* data, size_t length);
// Stops watching a mapping, before it is unmapped.
void UnguardMapping(void* data);

}  // namespace multiproc
