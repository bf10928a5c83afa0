// Facts about processes that Node does not give: whether a pid is alive (a lock's holder may
// have died), and asking the kernel to kill this process when its parent dies.

#include <signal.h>
#include <sys/prctl.h>

#include <cerrno>

#include "errors.h"
#include "functions.h"

namespace multiproc {

using v8::FunctionCallbackInfo;
using v8::Value;

// isProcessAlive(pid): kill(pid, 0) succeeds, or fails only for lack of permission.
void IsProcessAlive(const FunctionCallbackInfo<Value>& info) {
  int pid = info[0]->Int32Value(info.GetIsolate()->GetCurrentContext()).FromMaybe(0);
  bool isAlive = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
  info.GetReturnValue().Set(isAlive);
}

// setParentDeathSignal(signal): PR_SET_PDEATHSIG for this process.
void SetParentDeathSignal(const FunctionCallbackInfo<Value>& info) {
  int signal = info[0]->Int32Value(info.GetIsolate()->GetCurrentContext()).FromMaybe(SIGKILL);
  if (prctl(PR_SET_PDEATHSIG, signal) != 0) ThrowErrno(info.GetIsolate(), "prctl", errno, "PR_SET_PDEATHSIG");
}

}  // namespace multiproc
