// Run several coroutines and wait for all of them:
//
//   channel<item> ch(64);                      // what the tasks borrow first,
//   task_group group(co_await this_coro::executor);  // then the group
//   group.spawn(produce(ch));
//   group.spawn(boost::asio::make_strand(pool), consume(ch));
//   co_await group.wait();
//
// When a task throws, the group keeps that first exception, asks every other
// task to stop (a terminal cancellation on the task's own cancellation signal,
// so whatever it awaits ends with operation_aborted), and wait() rethrows the
// exception once every task has finished. Later exceptions, normally the
// operation_aborted of the cancelled tasks, are dropped. A task spawned while
// the group is stopping is cancelled at once. cancel() stops every task
// without a failure; wait() then rethrows what the first task to end with an
// exception threw (normally operation_aborted).
//
// Ownership: the coroutine that creates a group owns it and must reach
// `co_await group.wait()` before the group goes out of scope. wait() returns
// only when no task is running, even if the owner is cancelled while it waits
// (the cancellation is passed on to the tasks), so tasks may borrow from the
// owner's frame: declare what they borrow before the group. The group owns a
// task's coroutine until it finishes; after wait() it is empty and reusable.
// If the group is destroyed while tasks still run (the owner left before
// wait(), by an exception), the destructor asks them to stop and they finish
// on their own: the group's bookkeeping stays alive for them, but what they
// borrowed does not. Note that once the owner's own cancellation state is
// cancelled, Asio makes its next co_await throw, `co_await group.wait()`
// included; wait first, or reset the cancellation state.
//
// Threads: a task runs on the group's executor or on the one given to
// spawn(), and its cancellation is delivered there. When that executor runs
// on several threads, give each task a strand so that the delivery is
// serialised with the task, as Asio requires of cancellation.
#pragma once

#include <atomic>
#include <exception>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

namespace s3co::flow {

namespace detail {
struct task_group_state;
}  // namespace detail

class task_group {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit task_group(executor_type executor);
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;
  ~task_group();  // asks tasks still running to stop; see the header comment

  executor_type get_executor() const noexcept { return executor_; }

  // Starts `task` on the group's executor, or on `executor` (a strand, say).
  // The task may run up to its first suspension before spawn returns.
  void spawn(boost::asio::awaitable<void> task);
  void spawn(executor_type executor, boost::asio::awaitable<void> task);

  // Asks every running task to stop.
  void cancel();

  // Completes when no task is running, then rethrows the first exception a
  // task ended with, if any. One wait() at a time.
  boost::asio::awaitable<void> wait();

 private:
  executor_type executor_;
  std::shared_ptr<detail::task_group_state> state_;
};

// ---------------------------------------------------------------------------

namespace detail {

struct group_task {
  explicit group_task(boost::asio::any_io_executor ex) : executor(std::move(ex)) {}

  boost::asio::any_io_executor executor;
  boost::asio::cancellation_signal signal;  // co_spawn connects the task's coroutine to it
  std::list<std::shared_ptr<group_task>>::iterator position;  // in task_group_state::running
  bool started = false;         // co_spawn has installed its slot handler; guarded by the mutex
  bool stop_requested = false;  // guarded by the mutex
  std::atomic<bool> finished{false};
};

struct group_waiter {
  virtual void complete(std::exception_ptr outcome) = 0;

 protected:
  ~group_waiter() = default;
};

struct task_group_state {
  std::mutex mutex;
  std::list<std::shared_ptr<group_task>> running;
  std::exception_ptr first_error;
  bool stopping = false;
  bool waiting = false;  // a wait() has begun
  group_waiter* waiter = nullptr;
};

// Emitted on the task's executor, where Asio expects cancellation; the
// record stays alive until then.
inline void request_stop(std::shared_ptr<group_task> task) {
  boost::asio::post(task->executor, [task] {
    if (!task->finished) task->signal.emit(boost::asio::cancellation_type::terminal);
  });
}

// With the mutex held: marks every task to stop and returns the started ones,
// which the caller stops once the mutex is released (spawn stops the others).
inline std::vector<std::shared_ptr<group_task>> stop_all_locked(task_group_state& state) {
  state.stopping = true;
  std::vector<std::shared_ptr<group_task>> started;
  for (const auto& task : state.running) {
    if (task->stop_requested) continue;
    task->stop_requested = true;
    if (task->started) started.push_back(task);
  }
  return started;
}

inline void cancel_all(const std::shared_ptr<task_group_state>& state) {
  std::vector<std::shared_ptr<group_task>> to_stop;
  {
    std::lock_guard lock(state->mutex);
    to_stop = stop_all_locked(*state);
  }
  for (auto& task : to_stop) request_stop(std::move(task));
}

// With the mutex held and nothing running: what wait() reports. It also
// resets the group for reuse.
inline std::exception_ptr take_outcome_locked(task_group_state& state) {
  state.stopping = false;
  state.waiting = false;
  return std::exchange(state.first_error, nullptr);
}

inline void task_finished(const std::shared_ptr<task_group_state>& state, const std::shared_ptr<group_task>& task,
                          std::exception_ptr error) {
  std::vector<std::shared_ptr<group_task>> to_stop;
  group_waiter* waiter = nullptr;
  std::exception_ptr outcome;
  {
    std::lock_guard lock(state->mutex);
    task->finished = true;
    state->running.erase(task->position);
    if (error && !state->first_error) {
      state->first_error = std::move(error);
      to_stop = stop_all_locked(*state);
    }
    if (state->running.empty() && state->waiter) {
      waiter = std::exchange(state->waiter, nullptr);
      outcome = take_outcome_locked(*state);
    }
  }
  for (auto& other : to_stop) request_stop(std::move(other));
  if (waiter) waiter->complete(std::move(outcome));
}

// co_spawn's completion handler. Its cancellation slot is the task's own
// signal; having no associated executor, co_spawn emits into the coroutine
// directly (request_stop is already on the task's executor).
struct task_done {
  using cancellation_slot_type = boost::asio::cancellation_slot;
  cancellation_slot_type get_cancellation_slot() const noexcept { return task->signal.slot(); }

  void operator()(std::exception_ptr error) const { task_finished(state, task, std::move(error)); }

  std::shared_ptr<task_group_state> state;
  std::shared_ptr<group_task> task;
};

// The suspended wait(): resumed by posting to its coroutine's executor, on
// which it holds outstanding work meanwhile.
template <class Handler>
class group_wait_op final : public group_waiter {
 public:
  explicit group_wait_op(Handler&& handler)
      : handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                  boost::asio::execution::outstanding_work.tracked)) {}

  boost::asio::associated_cancellation_slot_t<Handler> slot() const noexcept {
    return boost::asio::get_associated_cancellation_slot(handler_);
  }

  void complete(std::exception_ptr outcome) override {
    auto work = work_;
    boost::asio::post(work, [self = std::unique_ptr<group_wait_op>(this), outcome]() mutable {
      auto slot = boost::asio::get_associated_cancellation_slot(self->handler_);
      if (slot.is_connected()) slot.clear();
      Handler handler = std::move(self->handler_);
      self.reset();
      std::move(handler)(outcome);
    });
  }

 private:
  Handler handler_;
  std::decay_t<decltype(boost::asio::prefer(std::declval<boost::asio::associated_executor_t<Handler>>(),
                                            boost::asio::execution::outstanding_work.tracked))>
      work_;
};

// Cancelling wait() stops the tasks; wait() itself goes on until they end.
struct wait_cancelled {
  // Not an aggregate: slot.emplace() constructs with parentheses (clang 14).
  explicit wait_cancelled(std::shared_ptr<task_group_state> state_) noexcept : state(std::move(state_)) {}
  std::shared_ptr<task_group_state> state;
  void operator()(boost::asio::cancellation_type_t type) const {
    if (type != boost::asio::cancellation_type::none) cancel_all(state);
  }
};

struct initiate_wait {
  std::shared_ptr<task_group_state> state;

  template <class Handler>
  void operator()(Handler&& handler) const {
    auto* op = new group_wait_op<std::decay_t<Handler>>(std::move(handler));
    if (auto slot = op->slot(); slot.is_connected()) slot.template emplace<wait_cancelled>(state);
    std::exception_ptr outcome;
    {
      std::lock_guard lock(state->mutex);
      if (!state->running.empty()) {
        state->waiter = op;
        return;
      }
      outcome = take_outcome_locked(*state);
    }
    op->complete(std::move(outcome));
  }
};

}  // namespace detail

inline task_group::task_group(executor_type executor)
    : executor_(std::move(executor)), state_(std::make_shared<detail::task_group_state>()) {}

inline task_group::~task_group() { detail::cancel_all(state_); }

inline void task_group::spawn(boost::asio::awaitable<void> task) { spawn(executor_, std::move(task)); }

inline void task_group::spawn(executor_type executor, boost::asio::awaitable<void> task) {
  auto record = std::make_shared<detail::group_task>(executor);
  {
    std::lock_guard lock(state_->mutex);
    state_->running.push_back(record);
    record->position = std::prev(state_->running.end());
    record->stop_requested = state_->stopping;
  }
  try {
    boost::asio::co_spawn(std::move(executor), std::move(task), detail::task_done{state_, record});
  } catch (...) {
    detail::task_finished(state_, record, nullptr);  // never started: the spawner gets the error
    throw;
  }
  bool stop_now = false;
  {
    std::lock_guard lock(state_->mutex);
    record->started = true;
    stop_now = record->stop_requested;
  }
  if (stop_now) detail::request_stop(std::move(record));
}

inline void task_group::cancel() { detail::cancel_all(state_); }

inline boost::asio::awaitable<void> task_group::wait() {
  const std::shared_ptr<detail::task_group_state> state = state_;
  {
    std::unique_lock lock(state->mutex);
    if (state->waiting) throw std::logic_error("s3co::flow::task_group: wait() is already in progress");
    if (state->running.empty()) {
      std::exception_ptr outcome = detail::take_outcome_locked(*state);
      lock.unlock();
      if (outcome) std::rethrow_exception(outcome);
      co_return;
    }
    state->waiting = true;
  }
  // A named operation: g++ 12 destroys some temporaries of a co_await
  // expression twice, and this one holds a shared_ptr.
  auto wait_for_tasks = boost::asio::async_initiate<const boost::asio::deferred_t&, void(std::exception_ptr)>(
      detail::initiate_wait{state}, boost::asio::deferred);
  co_await std::move(wait_for_tasks);
}

}  // namespace s3co::flow
