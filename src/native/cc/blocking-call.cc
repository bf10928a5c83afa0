// Blocking system calls on waiting threads, their outcomes delivered to the calling isolate's
// loop, and their interruption (see blocking-call.h). Threads are kept and reused (starting one
// per call would cost more than a futex hand-off), so there are as many as there were calls
// pending at once.

#include "blocking-call.h"

#include <node.h>
#include <pthread.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <cerrno>
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

namespace {

// One call's state, shared by its waiting thread, the isolate that started it, and whoever
// interrupts it.
class CallState : public Interruption {
 public:
  bool Requested() const override { return requested_.load(std::memory_order_acquire); }
  bool Finished() const { return finished_.load(std::memory_order_acquire); }

  void Request() { requested_.store(true, std::memory_order_release); }

  // Runs on the waiting thread, which can be signalled only while the work runs: a thread that
  // moved on to another call must never be interrupted for this one.
  BlockingResult Run(const BlockingWork& work) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      thread_ = pthread_self();
      running_ = true;
    }
    BlockingResult result = Requested() ? BlockingResult{EINTR, "wait", {}} : work(*this);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
    }
    finished_.store(true, std::memory_order_release);
    return result;
  }

  // Signals the thread while it runs this call. One signal can land just before the system call
  // starts, where it interrupts nothing, so the interrupter repeats until the call has finished.
  void Nudge() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) pthread_kill(thread_, InterruptSignal());
  }

 private:
  std::atomic<bool> requested_{false};
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
  pthread_t thread_{};
  bool running_ = false;
};

struct Completion {
  uint32_t id;
  BlockingResult result;
};

// What the waiting threads hand their outcomes to. Shared with them, so an isolate that goes
// away (a worker thread ending) while calls are pending leaves them something safe to write to.
struct Mailbox {
  std::mutex mutex;
  std::vector<Completion> done;
  uv_async_t* async = nullptr;  // null once the isolate is gone
};

struct PendingCall {
  v8::Global<v8::Function> callback;
  std::string subject;
  std::shared_ptr<CallState> state;
};

// Per isolate (main thread or worker thread): the calls waiting for their outcome.
struct IsolateCalls {
  v8::Isolate* isolate;
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  std::unordered_map<uint32_t, PendingCall> pending;
  uint32_t nextId = 1;
};

thread_local IsolateCalls* calls = nullptr;

struct Job {
  BlockingWork work;
  std::shared_ptr<CallState> state;
  std::shared_ptr<Mailbox> mailbox;
  uint32_t id;
};

void RunJob(Job& job) {
  BlockingResult result = job.state->Run(job.work);
  std::lock_guard<std::mutex> lock(job.mailbox->mutex);
  if (job.mailbox->async == nullptr) return;  // its isolate is gone
  job.mailbox->done.push_back(Completion{job.id, std::move(result)});
  uv_async_send(job.mailbox->async);
}

// Repeats the interrupting signal until the call has finished (see CallState::Nudge): often at
// first, then every 2 ms, on a short-lived thread of its own (interruptions are rare: timeouts
// and aborts of calls that have no timed form).
void Interrupt(std::shared_ptr<CallState> state) {
  state->Request();
  std::thread([state]() {
    for (int attempt = 0; !state->Finished(); attempt++) {
      state->Nudge();
      usleep(attempt < 10 ? 200 : 2000);
    }
  }).detach();
}

void InstallInterruptHandler() {
  static std::once_flag installed;
  std::call_once(installed, []() {
    struct sigaction action = {};
    action.sa_handler = [](int) {};  // its only effect: the blocked system call returns EINTR
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART
    sigaction(InterruptSignal(), &action, nullptr);
  });
}

// The waiting threads of the process, shared by every isolate.
class Waiters {
 public:
  void Submit(Job job) {
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
    sigset_t interrupt;
    sigemptyset(&interrupt);
    sigaddset(&interrupt, InterruptSignal());
    pthread_sigmask(SIG_UNBLOCK, &interrupt, nullptr);
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      idle_++;
      ready_.wait(lock, [this]() { return !jobs_.empty(); });
      idle_--;
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      RunJob(job);
      job = Job{};  // let go of what the work held (mapped memory) before sleeping again
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  size_t idle_ = 0;
};

// Never destroyed: detached threads use it until the process ends.
Waiters* const waiters = new Waiters();

v8::Local<v8::Value> OutcomeOf(v8::Isolate* isolate, const Completion& completion, const std::string& subject) {
  const BlockingResult& result = completion.result;
  if (result.error != 0) return ErrnoException(isolate, result.syscall, result.error, subject);
  return result.value ? result.value(isolate) : v8::Undefined(isolate).As<v8::Value>();
}

void Deliver(uv_async_t* handle) {
  IsolateCalls* state = static_cast<IsolateCalls*>(handle->data);
  std::vector<Completion> done;
  {
    std::lock_guard<std::mutex> lock(state->mailbox->mutex);
    done.swap(state->mailbox->done);
  }
  v8::Isolate* isolate = state->isolate;
  v8::HandleScope scope(isolate);
  for (const Completion& completion : done) {
    auto found = state->pending.find(completion.id);
    if (found == state->pending.end()) continue;
    v8::Local<v8::Function> callback = found->second.callback.Get(isolate);
    std::string subject = std::move(found->second.subject);
    state->pending.erase(found);
    if (state->pending.empty()) uv_unref(reinterpret_cast<uv_handle_t*>(handle));
    v8::Local<v8::Context> context = callback->GetCreationContextChecked();
    v8::Context::Scope entered(context);  // errors and values are made in the callback's context
    v8::Local<v8::Value> argument = OutcomeOf(isolate, completion, subject);
    node::MakeCallback(isolate, context->Global(), callback, 1, &argument, node::async_context{0, 0});
  }
}

void Teardown(void* data) {
  IsolateCalls* state = static_cast<IsolateCalls*>(data);
  uv_async_t* async;
  {
    std::lock_guard<std::mutex> lock(state->mailbox->mutex);
    async = state->mailbox->async;
    state->mailbox->async = nullptr;  // threads still waiting will find nobody to tell
  }
  uv_close(reinterpret_cast<uv_handle_t*>(async), [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
  // Nobody will hear the outcomes: free the waiting threads (a msgrcv would otherwise block forever).
  for (auto& entry : state->pending) Interrupt(entry.second.state);
  state->pending.clear();
  if (calls == state) calls = nullptr;
  delete state;
}

IsolateCalls* CallsOf(v8::Isolate* isolate) {
  if (calls != nullptr) return calls;
  InstallInterruptHandler();
  calls = new IsolateCalls();
  calls->isolate = isolate;
  uv_async_t* async = new uv_async_t;
  uv_async_init(node::GetCurrentEventLoop(isolate), async, Deliver);
  async->data = calls;
  uv_unref(reinterpret_cast<uv_handle_t*>(async));
  calls->mailbox->async = async;
  node::AddEnvironmentCleanupHook(isolate, Teardown, calls);
  return calls;
}

}  // namespace

uint32_t StartBlockingCall(v8::Isolate* isolate, v8::Local<v8::Function> callback, std::string subject, BlockingWork work) {
  IsolateCalls* state = CallsOf(isolate);
  uint32_t id = state->nextId++;
  if (id == 0) id = state->nextId++;  // 0 is never an id
  auto call = std::make_shared<CallState>();
  state->pending.emplace(id, PendingCall{v8::Global<v8::Function>(isolate, callback), std::move(subject), call});
  uv_ref(reinterpret_cast<uv_handle_t*>(state->mailbox->async));
  waiters->Submit(Job{std::move(work), call, state->mailbox, id});
  return id;
}

bool InterruptBlockingCall(v8::Isolate* isolate, uint32_t id) {
  IsolateCalls* state = CallsOf(isolate);
  auto found = state->pending.find(id);
  if (found == state->pending.end() || found->second.state->Finished()) return false;
  if (!found->second.state->Requested()) Interrupt(found->second.state);
  return true;
}

// interruptBlockingCall(id): asks a pending call to stop; false when it already finished.
void InterruptBlockingCallFunction(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsUint32()) return ThrowType(isolate, "interruptBlockingCall(id): the id must be a call's id");
  info.GetReturnValue().Set(InterruptBlockingCall(isolate, info[0].As<v8::Uint32>()->Value()));
}

}  // namespace multiproc
