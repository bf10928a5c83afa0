// Facts about processes that Node does not give: whether a pid is alive (a lock's holder may
// have died), and asking the kernel to kill this process when its parent dies.

#include <signal.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "errors.h"
#include "functions.h"

namespace multiproc {

using v8::FunctionCallbackInfo;
using v8::Value;

// A zombie (killed, not yet reaped by its parent) still answers kill(pid, 0), but will never
// release a lock or send again: /proc/<pid>/stat's state field says Z (or X) for it.
static bool IsZombie(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* stat = fopen(path, "r");
  if (stat == nullptr) return false;
  char line[512];
  size_t length = fread(line, 1, sizeof line - 1, stat);
  fclose(stat);
  line[length] = '\0';
  const char* afterName = strrchr(line, ')');  // the name may itself hold spaces or parentheses
  return afterName != nullptr && (afterName[2] == 'Z' || afterName[2] == 'X');
}

// isProcessAlive(pid): kill(pid, 0) succeeds (or fails only for lack of permission), and the
// process is not a zombie.
void IsProcessAlive(const FunctionCallbackInfo<Value>& info) {
  int pid = info[0]->Int32Value(info.GetIsolate()->GetCurrentContext()).FromMaybe(0);
  bool exists = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
  info.GetReturnValue().Set(exists && !IsZombie(pid));
}

// setParentDeathSignal(signal): PR_SET_PDEATHSIG for this process.
void SetParentDeathSignal(const FunctionCallbackInfo<Value>& info) {
  int signal = info[0]->Int32Value(info.GetIsolate()->GetCurrentContext()).FromMaybe(SIGKILL);
  if (prctl(PR_SET_PDEATHSIG, signal) != 0) ThrowErrno(info.GetIsolate(), "prctl", errno, "PR_SET_PDEATHSIG");
}

}  // namespace multiproc
