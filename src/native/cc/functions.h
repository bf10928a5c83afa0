// Every function the addon exports; addon.cc registers them under their JavaScript names.
#pragma once

#include <v8.h>

namespace multiproc {

void MemfdCreate(const v8::FunctionCallbackInfo<v8::Value>& info);
void ShmOpen(const v8::FunctionCallbackInfo<v8::Value>& info);
void ShmUnlink(const v8::FunctionCallbackInfo<v8::Value>& info);
void Resize(const v8::FunctionCallbackInfo<v8::Value>& info);
void SizeOf(const v8::FunctionCallbackInfo<v8::Value>& info);
void SealAgainstShrinking(const v8::FunctionCallbackInfo<v8::Value>& info);
void SealsOf(const v8::FunctionCallbackInfo<v8::Value>& info);
void MappingFaults(const v8::FunctionCallbackInfo<v8::Value>& info);
void HasFaulted(const v8::FunctionCallbackInfo<v8::Value>& info);
void CloseFd(const v8::FunctionCallbackInfo<v8::Value>& info);
void MapShared(const v8::FunctionCallbackInfo<v8::Value>& info);
void FutexWait(const v8::FunctionCallbackInfo<v8::Value>& info);
void FutexWake(const v8::FunctionCallbackInfo<v8::Value>& info);
void FutexWaitAsync(const v8::FunctionCallbackInfo<v8::Value>& info);
void IsProcessAlive(const v8::FunctionCallbackInfo<v8::Value>& info);
void SetParentDeathSignal(const v8::FunctionCallbackInfo<v8::Value>& info);
void UnixConnect(const v8::FunctionCallbackInfo<v8::Value>& info);
void UnixListen(const v8::FunctionCallbackInfo<v8::Value>& info);
void UnixAcceptEach(const v8::FunctionCallbackInfo<v8::Value>& info);
void PeerCredentials(const v8::FunctionCallbackInfo<v8::Value>& info);
void TcpListen(const v8::FunctionCallbackInfo<v8::Value>& info);
void InterruptBlockingCallFunction(const v8::FunctionCallbackInfo<v8::Value>& info);
void PipeCreate(const v8::FunctionCallbackInfo<v8::Value>& info);
void SocketPairCreate(const v8::FunctionCallbackInfo<v8::Value>& info);
void MakeFifo(const v8::FunctionCallbackInfo<v8::Value>& info);
void OpenFifoAsync(const v8::FunctionCallbackInfo<v8::Value>& info);
void OpenPipeEnd(const v8::FunctionCallbackInfo<v8::Value>& info);
void FdWatchStart(const v8::FunctionCallbackInfo<v8::Value>& info);
void FdWatchSet(const v8::FunctionCallbackInfo<v8::Value>& info);
void FdWatchStop(const v8::FunctionCallbackInfo<v8::Value>& info);
void MqOpen(const v8::FunctionCallbackInfo<v8::Value>& info);
void MqClose(const v8::FunctionCallbackInfo<v8::Value>& info);
void MqUnlink(const v8::FunctionCallbackInfo<v8::Value>& info);
void MqGetAttributes(const v8::FunctionCallbackInfo<v8::Value>& info);
void MqSend(const v8::FunctionCallbackInfo<v8::Value>& info);
void MqReceive(const v8::FunctionCallbackInfo<v8::Value>& info);
void MqPriorityMax(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemOpen(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemClose(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemUnlink(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemTryWait(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemWait(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemPost(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemGetValue(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemValueMax(const v8::FunctionCallbackInfo<v8::Value>& info);

}  // namespace multiproc
