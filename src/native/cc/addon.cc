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
}
