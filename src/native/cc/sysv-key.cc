// System V keys from paths: libc's own ftok, so a key computed here is the one a C or Python
// program computes for the same file and project id.

#include <sys/ipc.h>

#include <cerrno>
#include <string>

#include "errors.h"
#include "functions.h"

namespace multiproc {

// ftok(path, projectId): the key; an Error naming the path when it cannot be stat'ed.
void Ftok(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsInt32()) return ThrowType(isolate, "ftok(path, projectId)");
  v8::String::Utf8Value path(isolate, info[0]);
  int projectId = info[1].As<v8::Int32>()->Value();
  if (*path == nullptr || projectId < 1 || projectId > 255) return ThrowType(isolate, "ftok: projectId must be 1..255");
  // -1 is also a possible key (every bit set), so errno tells a failure apart.
  errno = 0;
  key_t key = ftok(*path, projectId);
  if (key == -1 && errno != 0) return ThrowErrno(isolate, "ftok", errno, "\"" + std::string(*path) + "\"");
  info.GetReturnValue().Set(static_cast<int32_t>(key));
}

}  // namespace multiproc
