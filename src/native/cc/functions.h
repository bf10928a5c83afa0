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
void SendSignal(const v8::FunctionCallbackInfo<v8::Value>& info);
void SignalNumbers(const v8::FunctionCallbackInfo<v8::Value>& info);
void SignalWatch(const v8::FunctionCallbackInfo<v8::Value>& info);
void SignalDrain(const v8::FunctionCallbackInfo<v8::Value>& info);
void SignalCatch(const v8::FunctionCallbackInfo<v8::Value>& info);
void SignalRelease(const v8::FunctionCallbackInfo<v8::Value>& info);
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
void Ftok(const v8::FunctionCallbackInfo<v8::Value>& info);
void MsgGet(const v8::FunctionCallbackInfo<v8::Value>& info);
void MsgSendNow(const v8::FunctionCallbackInfo<v8::Value>& info);
void MsgSendAsync(const v8::FunctionCallbackInfo<v8::Value>& info);
void MsgReceiveNow(const v8::FunctionCallbackInfo<v8::Value>& info);
void MsgReceiveAsync(const v8::FunctionCallbackInfo<v8::Value>& info);
void MsgStat(const v8::FunctionCallbackInfo<v8::Value>& info);
void MsgRemove(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemGet(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemCount(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemOpNow(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemOpAsync(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemGetValue(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemSetValue(const v8::FunctionCallbackInfo<v8::Value>& info);
void SemRemove(const v8::FunctionCallbackInfo<v8::Value>& info);
void ShmGet(const v8::FunctionCallbackInfo<v8::Value>& info);
void ShmStat(const v8::FunctionCallbackInfo<v8::Value>& info);
void ShmAttach(const v8::FunctionCallbackInfo<v8::Value>& info);
void ShmDetach(const v8::FunctionCallbackInfo<v8::Value>& info);
void ShmRemove(const v8::FunctionCallbackInfo<v8::Value>& info);

}  // namespace multiproc
