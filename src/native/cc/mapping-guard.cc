// A shared mapping of a file faults (SIGBUS) on any page past the file's end, and a named segment
// can be shrunk by any process of its user (ftruncate) after it was mapped and checked: without
// this guard, whoever shrinks a pipe's or queue's chunk kills every process reading it. The
// guard catches SIGBUS in a watched mapping, replaces the pages from the fault to the mapping's
// end with zeroed private memory (the access is then retried and succeeds), marks the mapping
// faulted and counts the fault, so the channel that owns it (connection/channel.ts) can fail with
// InvalidStateError instead. A SIGBUS anywhere else goes on as before (the process dies of it).
//
// The table is a fixed array of atomics: a signal handler may take no lock and allocate nothing.

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>

#include "functions.h"
#include "mapping-guard.h"

namespace multiproc {

namespace {

struct Watched {
  std::atomic<uintptr_t> start{0};
  std::atomic<size_t> length{0};
  std::atomic<int32_t> hasFaulted{0};
};

// Mappings past this many are not watched (they fault as before): a channel maps a few chunks.
constexpr size_t WATCHED_SLOTS = 16384;
Watched watched[WATCHED_SLOTS];
// How many faults were caught: readers load it (from JavaScript) after each record, at no cost.
alignas(8) std::atomic<int32_t> faultCount{0};
struct sigaction previousAction;
std::once_flag installed;
// Read once, outside the handler (sysconf is not on the async-signal-safe list).
uintptr_t pageSize = 4096;

void CallPrevious(int signal, siginfo_t* info, void* context) {
  if ((previousAction.sa_flags & SA_SIGINFO) != 0 && previousAction.sa_sigaction != nullptr) {
    previousAction.sa_sigaction(signal, info, context);
  } else if (previousAction.sa_handler != SIG_DFL && previousAction.sa_handler != SIG_IGN) {
    previousAction.sa_handler(signal);
  } else {
    // The default action: returning retries the access, which faults again and ends the process.
    struct sigaction fallback = {};
    fallback.sa_handler = SIG_DFL;
    sigaction(SIGBUS, &fallback, nullptr);
  }
}

void OnBusError(int signal, siginfo_t* info, void* context) {
  uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Watched& slot : watched) {
    uintptr_t start = slot.start.load(std::memory_order_acquire);
    if (start == 0) continue;
    size_t length = slot.length.load(std::memory_order_acquire);
    if (address < start || address >= start + length) continue;
    uintptr_t page = address & ~(pageSize - 1);
    void* replaced = mmap(reinterpret_cast<void*>(page), start + length - page, PROT_READ | PROT_WRITE,
                          MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (replaced == MAP_FAILED) break;
    slot.hasFaulted.store(1, std::memory_order_release);
    faultCount.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  CallPrevious(signal, info, context);
}

void Install() {
  pageSize = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  struct sigaction action = {};
  action.sa_sigaction = OnBusError;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previousAction);
}

Watched* SlotOf(uintptr_t start) {
  for (Watched& slot : watched) {
    if (slot.start.load(std::memory_order_acquire) == start) return &slot;
  }
  return nullptr;
}

}  // namespace

void GuardMapping(void* data, size_t length) {
  std::call_once(installed, Install);
  for (Watched& slot : watched) {
    uintptr_t empty = 0;
    if (slot.start.load(std::memory_order_relaxed) != 0) continue;
    slot.length.store(length, std::memory_order_release);
    slot.hasFaulted.store(0, std::memory_order_release);
    if (slot.start.compare_exchange_strong(empty, reinterpret_cast<uintptr_t>(data), std::memory_order_acq_rel)) return;
  }
}

void UnguardMapping(void* data) {
  Watched* slot = SlotOf(reinterpret_cast<uintptr_t>(data));
  if (slot != nullptr) slot->start.store(0, std::memory_order_release);
}

// mappingFaults(): a one-word Int32Array over the count of faults caught, in this process.
void MappingFaults(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::shared_ptr<v8::BackingStore> store = v8::SharedArrayBuffer::NewBackingStore(
      &faultCount, sizeof faultCount, [](void*, size_t, void*) {}, nullptr);
  v8::Local<v8::SharedArrayBuffer> buffer = v8::SharedArrayBuffer::New(isolate, std::move(store));
  info.GetReturnValue().Set(v8::Int32Array::New(buffer, 0, 1));
}

// hasFaulted(buffer): true when a fault was caught in the mapping behind this SharedArrayBuffer.
void HasFaulted(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsSharedArrayBuffer()) return info.GetReturnValue().Set(false);
  void* data = info[0].As<v8::SharedArrayBuffer>()->GetBackingStore()->Data();
  Watched* slot = SlotOf(reinterpret_cast<uintptr_t>(data));
  info.GetReturnValue().Set(slot != nullptr && slot->hasFaulted.load(std::memory_order_acquire) != 0);
}

}  // namespace multiproc
