// Asynchronous futex waits: the event loop must never block, so each pending wait runs on a
// native thread of its own (not libuv's 4-thread pool, which a few pending waits would exhaust),
// and its outcome comes back to the waiting isolate's loop through a uv_async handle. Threads
// are kept and reused (starting one per wait would cost more than the wait's hand-off), so
// there are as many as there were waits pending at once. Spinning first (in JavaScript) keeps
// most hand-offs from ever getting here.

#include <linux/futex.h>
#include <node.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "functions.h"

namespace multiproc {

int FutexWaitBlocking(int* word, int expected, double timeoutMs);

namespace {

struct Completion {
  uint32_t id;
  const char* outcome;  // null when the wait failed
  int error;            // the errno of a failed wait
};

// What the waiting threads hand their outcomes to. Shared with them, so an isolate that goes
// away (a worker thread ending) while waits are pending leaves them something safe to write to.
struct Mailbox {
  std::mutex mutex;
  std::vector<Completion> done;
  uv_async_t* async = nullptr;  // null once the isolate is gone
};

// Per isolate (main thread or worker thread): callbacks waiting for their outcome.
struct AsyncWaits {
  v8::Isolate* isolate;
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  std::unordered_map<uint32_t, v8::Global<v8::Function>> callbacks;
  uint32_t nextId = 1;
};

thread_local AsyncWaits* waits = nullptr;

struct WaitJob {
  std::shared_ptr<v8::BackingStore> store;  // keeps the memory mapped while waiting
  int* word;
  int expected;
  double timeoutMs;
  std::shared_ptr<Mailbox> mailbox;
  uint32_t id;
};

void RunWait(const WaitJob& job) {
  int error = FutexWaitBlocking(job.word, job.expected, job.timeoutMs);
  while (error == EINTR) error = FutexWaitBlocking(job.word, job.expected, job.timeoutMs);
  // Any other errno (EINVAL, EFAULT) is a failure to report, never a "not-equal" that callers
  // would answer by waiting again, in a loop that spins.
  const char* outcome = error == 0 ? "ok" : error == EAGAIN ? "not-equal" : error == ETIMEDOUT ? "timed-out" : nullptr;
  std::lock_guard<std::mutex> lock(job.mailbox->mutex);
  if (job.mailbox->async == nullptr) return;  // its isolate is gone
  job.mailbox->done.push_back(Completion{job.id, outcome, error});
  uv_async_send(job.mailbox->async);
}

// The waiting threads of the process, shared by every isolate.
class Waiters {
 public:
  void Submit(WaitJob job) {
    std::unique_lock<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
    // Each idle thread takes one job; start a thread when there are more jobs than idle ones.
    if (idle_ >= jobs_.size()) {
      ready_.notify_one();
      return;
    }
    lock.unlock();
    std::thread([this]() { Serve(); }).detach();
  }

 private:
  void Serve() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      idle_++;
      ready_.wait(lock, [this]() { return !jobs_.empty(); });
      idle_--;
      WaitJob job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      RunWait(job);
      job = WaitJob{};  // let go of the memory before sleeping again
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<WaitJob> jobs_;
  size_t idle_ = 0;
};

// Never destroyed: detached threads use it until the process ends.
Waiters* const waiters = new Waiters();

void Deliver(uv_async_t* handle) {
  AsyncWaits* state = static_cast<AsyncWaits*>(handle->data);
  std::vector<Completion> done;
  {
    std::lock_guard<std::mutex> lock(state->mailbox->mutex);
    done.swap(state->mailbox->done);
  }
  v8::Isolate* isolate = state->isolate;
  v8::HandleScope scope(isolate);
  for (const Completion& completion : done) {
    auto found = state->callbacks.find(completion.id);
    if (found == state->callbacks.end()) continue;
    v8::Local<v8::Function> callback = found->second.Get(isolate);
    state->callbacks.erase(found);
    if (state->callbacks.empty()) uv_unref(reinterpret_cast<uv_handle_t*>(handle));
    v8::Local<v8::Context> context = callback->GetCreationContextChecked();
    v8::Context::Scope entered(context);  // the error below is made in the callback's context
    v8::Local<v8::Value> argument = completion.outcome != nullptr
                                        ? v8::String::NewFromUtf8(isolate, completion.outcome).ToLocalChecked().As<v8::Value>()
                                        : ErrnoException(isolate, "futex", completion.error, "FUTEX_WAIT");
    node::MakeCallback(isolate, context->Global(), callback, 1, &argument, node::async_context{0, 0});
  }
}

void Teardown(void* data) {
  AsyncWaits* state = static_cast<AsyncWaits*>(data);
  uv_async_t* async;
  {
    std::lock_guard<std::mutex> lock(state->mailbox->mutex);
    async = state->mailbox->async;
    state->mailbox->async = nullptr;  // threads still waiting will find nobody to tell
  }
  uv_close(reinterpret_cast<uv_handle_t*>(async), [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
  state->callbacks.clear();
  if (waits == state) waits = nullptr;
  delete state;
}

AsyncWaits* WaitsFor(v8::Isolate* isolate) {
  if (waits != nullptr) return waits;
  waits = new AsyncWaits();
  waits->isolate = isolate;
  uv_async_t* async = new uv_async_t;
  uv_async_init(node::GetCurrentEventLoop(isolate), async, Deliver);
  async->data = waits;
  uv_unref(reinterpret_cast<uv_handle_t*>(async));
  waits->mailbox->async = async;
  node::AddEnvironmentCleanupHook(isolate, Teardown, waits);
  return waits;
}

}  // namespace

// futexWaitAsync(buffer, byteOffset, expected, timeoutMs, callback): callback(outcome) later, on
// this thread's event loop; the outcome is "ok", "not-equal" or "timed-out", or an Error naming
// the call and the errno when the wait failed. A pending wait keeps the event loop alive, as
// pending I/O does.
void FutexWaitAsync(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsSharedArrayBuffer() || !info[4]->IsFunction()) {
    return ThrowType(isolate, "futexWaitAsync(buffer, byteOffset, expected, timeoutMs, callback)");
  }
  std::shared_ptr<v8::BackingStore> store = info[0].As<v8::SharedArrayBuffer>()->GetBackingStore();
  double at = info[1]->NumberValue(isolate->GetCurrentContext()).FromMaybe(-1);
  if (at < 0 || std::fmod(at, 4) != 0 || at + 4 > static_cast<double>(store->ByteLength())) {
    return ThrowType(isolate, "futexWaitAsync: the offset must be a multiple of 4 inside the buffer");
  }
  int expected = info[2]->Int32Value(isolate->GetCurrentContext()).FromMaybe(0);
  double timeoutMs = info[3]->IsNumber() ? info[3].As<v8::Number>()->Value() : -1;
  AsyncWaits* state = WaitsFor(isolate);
  uint32_t id = state->nextId++;
  state->callbacks.emplace(id, v8::Global<v8::Function>(isolate, info[4].As<v8::Function>()));
  uv_ref(reinterpret_cast<uv_handle_t*>(state->mailbox->async));
  std::shared_ptr<Mailbox> mailbox = state->mailbox;
  int* word = reinterpret_cast<int*>(static_cast<char*>(store->Data()) + static_cast<size_t>(at));
  waiters->Submit(WaitJob{store, word, expected, timeoutMs, mailbox, id});
}

}  // namespace multiproc
