// The addon's entry: registers each facility's functions. Context-aware (NODE_MODULE_INIT), so
// worker threads can load it too.

#include <node.h>

#include "functions.h"

namespace {

void Export(v8::Local<v8::Object> exports, v8::Local<v8::Context> context, const char* name,
            v8::FunctionCallback function) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Function> callable = v8::Function::New(context, function).ToLocalChecked();
  exports->Set(context, v8::String::NewFromUtf8(isolate, name).ToLocalChecked(), callable).Check();
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  using namespace multiproc;
  Export(exports, context, "memfdCreate", MemfdCreate);
  Export(exports, context, "shmOpen", ShmOpen);
  Export(exports, context, "shmUnlink", ShmUnlink);
  Export(exports, context, "resize", Resize);
  Export(exports, context, "sizeOf", SizeOf);
  Export(exports, context, "sealAgainstShrinking", SealAgainstShrinking);
  Export(exports, context, "sealsOf", SealsOf);
  Export(exports, context, "mappingFaults", MappingFaults);
  Export(exports, context, "hasFaulted", HasFaulted);
  Export(exports, context, "closeFd", CloseFd);
  Export(exports, context, "mapShared", MapShared);
  Export(exports, context, "futexWait", FutexWait);
  Export(exports, context, "futexWake", FutexWake);
  Export(exports, context, "futexWaitAsync", FutexWaitAsync);
  Export(exports, context, "isProcessAlive", IsProcessAlive);
  Export(exports, context, "setParentDeathSignal", SetParentDeathSignal);
  Export(exports, context, "unixConnect", UnixConnect);
  Export(exports, context, "unixListen", UnixListen);
  Export(exports, context, "unixAcceptEach", UnixAcceptEach);
  Export(exports, context, "peerCredentials", PeerCredentials);
  Export(exports, context, "tcpListen", TcpListen);
  Export(exports, context, "interruptBlockingCall", InterruptBlockingCallFunction);
  Export(exports, context, "pipeCreate", PipeCreate);
  Export(exports, context, "socketPairCreate", SocketPairCreate);
  Export(exports, context, "makeFifo", MakeFifo);
  Export(exports, context, "openFifoAsync", OpenFifoAsync);
  Export(exports, context, "openPipeEnd", OpenPipeEnd);
  Export(exports, context, "sendSignal", SendSignal);
  Export(exports, context, "signalNumbers", SignalNumbers);
  Export(exports, context, "signalWatch", SignalWatch);
  Export(exports, context, "signalDrain", SignalDrain);
  Export(exports, context, "signalCatch", SignalCatch);
  Export(exports, context, "signalRelease", SignalRelease);
  Export(exports, context, "fdWatchStart", FdWatchStart);
  Export(exports, context, "fdWatchSet", FdWatchSet);
  Export(exports, context, "fdWatchStop", FdWatchStop);
  Export(exports, context, "mqOpen", MqOpen);
  Export(exports, context, "mqClose", MqClose);
  Export(exports, context, "mqUnlink", MqUnlink);
  Export(exports, context, "mqGetAttributes", MqGetAttributes);
  Export(exports, context, "mqSend", MqSend);
  Export(exports, context, "mqReceive", MqReceive);
  Export(exports, context, "mqPriorityMax", MqPriorityMax);
  Export(exports, context, "semOpen", SemOpen);
  Export(exports, context, "semClose", SemClose);
  Export(exports, context, "semUnlink", SemUnlink);
  Export(exports, context, "semTryWait", SemTryWait);
  Export(exports, context, "semWait", SemWait);
  Export(exports, context, "semPost", SemPost);
  Export(exports, context, "semGetValue", SemGetValue);
  Export(exports, context, "semValueMax", SemValueMax);
  Export(exports, context, "ftok", Ftok);
  Export(exports, context, "msgGet", MsgGet);
  Export(exports, context, "msgSendNow", MsgSendNow);
  Export(exports, context, "msgSendAsync", MsgSendAsync);
  Export(exports, context, "msgReceiveNow", MsgReceiveNow);
  Export(exports, context, "msgReceiveAsync", MsgReceiveAsync);
  Export(exports, context, "msgStat", MsgStat);
  Export(exports, context, "msgRemove", MsgRemove);
  Export(exports, context, "semGet", SemGet);
  Export(exports, context, "semCount", SemCount);
  Export(exports, context, "semOpNow", SemOpNow);
  Export(exports, context, "semOpAsync", SemOpAsync);
  Export(exports, context, "semValueAt", SemValueAt);
  Export(exports, context, "semSetValue", SemSetValue);
  Export(exports, context, "semRemove", SemRemove);
  Export(exports, context, "shmGet", ShmGet);
  Export(exports, context, "shmStat", ShmStat);
  Export(exports, context, "shmAttach", ShmAttach);
  Export(exports, context, "shmDetach", ShmDetach);
  Export(exports, context, "shmRemove", ShmRemove);
  Export(exports, context, "mapFile", MapFile);
  Export(exports, context, "releaseMappedFile", ReleaseMappedFile);
  Export(exports, context, "msyncAsync", MsyncAsync);
  Export(exports, context, "flockTry", FlockTry);
  Export(exports, context, "flockWait", FlockWait);
  Export(exports, context, "flockUnlock", FlockUnlock);
  Export(exports, context, "lockRangeTry", LockRangeTry);
  Export(exports, context, "lockRangeWait", LockRangeWait);
  Export(exports, context, "unlockRange", UnlockRange);
  Export(exports, context, "fdWrite", FdWrite);
  Export(exports, context, "fdWritev", FdWritev);
}
