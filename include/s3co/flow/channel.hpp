// A bounded multi-producer, multi-consumer channel for Boost.Asio C++20
// coroutines: the hand-off between the stages of a pipeline, with
// backpressure and an end-of-stream that no consumer can miss.
//
//   co_await ch.send(v)   suspends while the channel is full
//   co_await ch.receive() the next item, or std::nullopt at end-of-stream
//   ch.close()            no more sends; consumers drain what is buffered,
//                         then every receive, however many and however late,
//                         returns std::nullopt
//   ch.close(error)       no more sends; buffered items are discarded and
//                         every receive, current or later, throws `error`
//
// close(error) is how a failed stage stops the others promptly: consumers
// do not work through a backlog whose producer has already failed. After
// close() a send throws channel_closed; after close(error) it throws
// `error`. A send still waiting for room when the channel closes throws
// the same: its item was not enqueued. The first close wins; later ones do
// nothing.
//
// Every item a send accepted reaches exactly one receive (unless
// close(error) discards it), in the order the sends were accepted. A send
// with room, or a receive with an item buffered, completes without
// suspending; a waiting one is resumed by posting to its own coroutine's
// executor, never inside the call that made it ready, so producers and
// consumers may run on different strands, threads or io_contexts.
//
// A waiting send or receive can be cancelled through its cancellation slot
// (flow::with_timeout, awaitable_operators, a co_spawn bound to a
// cancellation_signal). It then throws system_error(operation_aborted); a
// cancelled send has not enqueued its item and a cancelled receive has not
// taken one. If an item was handed to a receive just before the
// cancellation arrived, that receive returns it: with_timeout passes it on,
// while awaitable_operators' `||` drops the losing branch's result, item and
// all. As everywhere in Asio, request cancellation on the operation's
// executor (its strand, when the io_context runs several threads).
//
// Ownership: the caller owns the channel and keeps it alive until every send
// and receive on it has completed (typically it lives in the coroutine that
// spawns the producers and consumers and awaits them with a task_group). The
// channel owns buffered items, and the item of a waiting send. It is not
// movable: waiting operations point to it. Asio cannot see operations waiting
// inside a channel, so an io_context destroyed while coroutines wait on one
// does not destroy those coroutines.
#pragma once

#include <cassert>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/circular_buffer.hpp>
#include <boost/system/system_error.hpp>

namespace s3co::flow {

// Thrown by a send on a channel closed with close().
class channel_closed : public std::runtime_error {
 public:
  channel_closed() : std::runtime_error("s3co::flow::channel: send on a closed channel") {}
};

namespace detail {
template <class T> struct send_waiter;
template <class T> struct receive_waiter;
template <class Node> class waiting_queue;
}  // namespace detail

template <class T>
class channel {
 public:
  using value_type = T;

  // Throws std::invalid_argument when `capacity` is 0.
  explicit channel(std::size_t capacity);
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;
  ~channel();  // no send or receive may still be waiting

  boost::asio::awaitable<void> send(T value);
  boost::asio::awaitable<std::optional<T>> receive();

  void close() noexcept { close_with(nullptr); }
  // A null `error` is close().
  void close(std::exception_ptr error) noexcept { close_with(std::move(error)); }

  std::size_t capacity() const noexcept { return capacity_; }

 private:
  using sender = detail::send_waiter<T>;
  using receiver = detail::receive_waiter<T>;

  enum class step { done, closed, must_wait };

  // Both run with mutex_ held and report a peer to wake once it is released.
  step send_locked(T& value, receiver*& wake);
  step receive_locked(std::optional<T>& item, sender*& admitted);

  std::exception_ptr send_error_locked() const;
  void close_with(std::exception_ptr error) noexcept;

  template <class Handler> void start_send(Handler&& handler, T value);
  template <class Handler> void start_receive(Handler&& handler);
  template <class Node> void cancel(detail::waiting_queue<Node>& queue, Node* node);

  struct initiate_send;
  struct initiate_receive;
  template <class Node> struct cancel_waiting;

  const std::size_t capacity_;
  std::mutex mutex_;
  boost::circular_buffer<T> buffer_;
  detail::waiting_queue<sender> senders_;      // only while buffer_ is full
  detail::waiting_queue<receiver> receivers_;  // only while buffer_ is empty
  bool closed_ = false;
  std::exception_ptr error_;
};

// ---------------------------------------------------------------------------

namespace detail {

// A FIFO of waiting operations linked through the operations themselves, so
// that waiting allocates nothing more and a cancelled one leaves in O(1).
template <class Node>
struct waiting_links {
  Node* prev = nullptr;
  Node* next = nullptr;
  bool queued = false;
};

template <class Node>
class waiting_queue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }

  void push_back(Node* node) noexcept {
    node->prev = tail_;
    node->next = nullptr;
    node->queued = true;
    (tail_ ? tail_->next : head_) = node;
    tail_ = node;
  }

  Node* pop_front() noexcept {
    Node* node = head_;
    if (node) erase(node);
    return node;
  }

  // False when `node` has already left the queue (it was completed).
  bool erase(Node* node) noexcept {
    if (!node->queued) return false;
    (node->prev ? node->prev->next : head_) = node->next;
    (node->next ? node->next->prev : tail_) = node->prev;
    node->prev = node->next = nullptr;
    node->queued = false;
    return true;
  }

  // Empties the queue; the nodes stay chained through `next`.
  Node* take_all() noexcept {
    for (Node* node = head_; node; node = node->next) {
      node->prev = nullptr;
      node->queued = false;
    }
    tail_ = nullptr;
    return std::exchange(head_, nullptr);
  }

 private:
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
};

template <class T>
struct send_waiter : waiting_links<send_waiter<T>> {
  explicit send_waiter(T&& item) : value(std::move(item)) {}
  virtual void complete(std::exception_ptr error) = 0;
  T value;

 protected:
  ~send_waiter() = default;
};

// What a waiting receive completes with. One argument rather than
// (exception_ptr, optional<T>): Boost 1.81's awaitable cannot resume from
// that two-argument signature.
template <class T>
struct received {
  std::exception_ptr error;
  std::optional<T> item;
};

template <class T>
struct receive_waiter : waiting_links<receive_waiter<T>> {
  virtual void complete(received<T> result) = 0;

 protected:
  ~receive_waiter() = default;
};

// A waiting operation: the completion handler of the coroutine that awaits
// it, plus outstanding work on that coroutine's executor, as any pending
// Asio operation counts. complete() posts the handler to that executor; the
// node lives until then, so a cancellation that races the completion still
// finds it (and sees it is no longer queued).
template <class Waiter, class Handler, class Result>
class waiting_op final : public Waiter {
 public:
  using node_allocator = typename std::allocator_traits<
      boost::asio::associated_allocator_t<Handler, boost::asio::recycling_allocator<void>>>::
      template rebind_alloc<waiting_op>;

  template <class... WaiterArgs>
  static waiting_op* create(Handler&& handler, WaiterArgs&&... args) {
    node_allocator allocator(
        boost::asio::get_associated_allocator(handler, boost::asio::recycling_allocator<void>()));
    waiting_op* op = std::allocator_traits<node_allocator>::allocate(allocator, 1);
    try {
      return std::construct_at(op, allocator, std::move(handler), std::forward<WaiterArgs>(args)...);
    } catch (...) {
      std::allocator_traits<node_allocator>::deallocate(allocator, op, 1);
      throw;
    }
  }

  template <class... WaiterArgs>
  waiting_op(const node_allocator& allocator, Handler&& handler, WaiterArgs&&... args)
      : Waiter(std::forward<WaiterArgs>(args)...),
        allocator_(allocator),
        handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                  boost::asio::execution::outstanding_work.tracked)) {}

  boost::asio::associated_cancellation_slot_t<Handler> slot() const noexcept {
    return boost::asio::get_associated_cancellation_slot(handler_);
  }

  void complete(Result result) override {
    result_.emplace(std::move(result));
    boost::asio::post(work_, [owner = owned(this)]() mutable { owner.release()->finish(); });
  }

 private:
  // Frees the node if the posted completion is destroyed without running.
  struct owned {
    explicit owned(waiting_op* op) noexcept : op(op) {}
    owned(owned&& other) noexcept : op(std::exchange(other.op, nullptr)) {}
    owned& operator=(owned&&) = delete;
    ~owned() {
      if (op) op->destroy();
    }
    waiting_op* release() noexcept { return std::exchange(op, nullptr); }
    waiting_op* op;
  };

  void finish() {
    // On the handler's executor, where cancellation is emitted: after this,
    // nothing can reach the node through the slot.
    auto slot = boost::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
    Handler handler = std::move(handler_);
    Result result = std::move(*result_);
    destroy();  // before the upcall, so the memory can be reused by it
    std::move(handler)(std::move(result));
  }

  void destroy() noexcept {
    node_allocator allocator = allocator_;
    std::destroy_at(this);
    std::allocator_traits<node_allocator>::deallocate(allocator, this, 1);
  }

  using work_executor = std::decay_t<decltype(boost::asio::prefer(
      std::declval<boost::asio::associated_executor_t<Handler>>(), boost::asio::execution::outstanding_work.tracked))>;

  node_allocator allocator_;
  Handler handler_;
  work_executor work_;
  std::optional<Result> result_;
};

}  // namespace detail

template <class T>
struct channel<T>::initiate_send {
  channel* self;
  template <class Handler>
  void operator()(Handler&& handler, T value) const {
    self->start_send(std::forward<Handler>(handler), std::move(value));
  }
};

template <class T>
struct channel<T>::initiate_receive {
  channel* self;
  template <class Handler>
  void operator()(Handler&& handler) const {
    self->start_receive(std::forward<Handler>(handler));
  }
};

template <class T>
template <class Node>
struct channel<T>::cancel_waiting {
  // A constructor, not an aggregate: Asio's slot.emplace() constructs with
  // parentheses, which clang 14 does not accept for aggregates.
  cancel_waiting(channel* self_, detail::waiting_queue<Node>* queue_, Node* node_) noexcept
      : self(self_), queue(queue_), node(node_) {}
  channel* self;
  detail::waiting_queue<Node>* queue;
  Node* node;
  void operator()(boost::asio::cancellation_type_t type) const {
    if (type != boost::asio::cancellation_type::none) self->cancel(*queue, node);
  }
};

template <class T>
channel<T>::channel(std::size_t capacity)
    : capacity_(capacity == 0 ? throw std::invalid_argument("s3co::flow::channel: capacity must be at least 1")
                              : capacity),
      buffer_(capacity) {}

template <class T>
channel<T>::~channel() {
  assert(senders_.empty() && receivers_.empty() && "s3co::flow::channel destroyed while operations wait on it");
}

template <class T>
boost::asio::awaitable<void> channel<T>::send(T value) {
  receiver* wake = nullptr;
  std::exception_ptr error;
  step outcome;
  {
    std::lock_guard lock(mutex_);
    outcome = send_locked(value, wake);
    if (outcome == step::closed) error = send_error_locked();
  }
  if (outcome == step::closed) std::rethrow_exception(error);
  if (wake) wake->complete({nullptr, std::move(value)});
  if (outcome == step::done) co_return;
  // Named rather than a temporary of the co_await expression, which g++ 12
  // can destroy twice (and this one holds the item).
  auto wait_for_room = boost::asio::async_initiate<const boost::asio::deferred_t&, void(std::exception_ptr)>(
      initiate_send{this}, boost::asio::deferred, std::move(value));
  co_await std::move(wait_for_room);
}

template <class T>
boost::asio::awaitable<std::optional<T>> channel<T>::receive() {
  std::optional<T> item;
  sender* admitted = nullptr;
  std::exception_ptr error;
  step outcome;
  {
    std::lock_guard lock(mutex_);
    outcome = receive_locked(item, admitted);
    error = outcome == step::closed ? error_ : nullptr;
  }
  if (admitted) admitted->complete(nullptr);
  if (error) std::rethrow_exception(error);
  if (outcome != step::must_wait) co_return std::move(item);
  auto wait_for_item = boost::asio::async_initiate<const boost::asio::deferred_t&, void(detail::received<T>)>(
      initiate_receive{this}, boost::asio::deferred);
  detail::received<T> result = co_await std::move(wait_for_item);
  if (result.error) std::rethrow_exception(result.error);
  co_return std::move(result.item);
}

template <class T>
typename channel<T>::step channel<T>::send_locked(T& value, receiver*& wake) {
  if (closed_) return step::closed;
  if ((wake = receivers_.pop_front())) return step::done;  // the caller hands `value` over
  if (buffer_.full()) return step::must_wait;
  buffer_.push_back(std::move(value));
  return step::done;
}

template <class T>
typename channel<T>::step channel<T>::receive_locked(std::optional<T>& item, sender*& admitted) {
  if (!buffer_.empty()) {
    item.emplace(std::move(buffer_.front()));
    buffer_.pop_front();
    // The oldest waiting send takes the freed place, keeping FIFO order.
    if ((admitted = senders_.pop_front())) buffer_.push_back(std::move(admitted->value));
    return step::done;
  }
  return closed_ ? step::closed : step::must_wait;  // closed and drained: end-of-stream or error_
}

template <class T>
std::exception_ptr channel<T>::send_error_locked() const {
  return error_ ? error_ : std::make_exception_ptr(channel_closed());
}

template <class T>
void channel<T>::close_with(std::exception_ptr error) noexcept {
  boost::circular_buffer<T> discarded;
  receiver* receivers = nullptr;
  sender* senders = nullptr;
  std::exception_ptr send_error;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    error_ = error;
    if (error_) discarded.swap(buffer_);
    receivers = receivers_.take_all();  // waiting only while nothing is buffered
    senders = senders_.take_all();
    if (senders) send_error = send_error_locked();
  }
  // Read `next` first: a completed node may be freed on another thread.
  while (receiver* node = receivers) {
    receivers = node->next;
    node->complete({error, std::nullopt});
  }
  while (sender* node = senders) {
    senders = node->next;
    node->complete(send_error);
  }
}

template <class T>
template <class Handler>
void channel<T>::start_send(Handler&& handler, T value) {
  using op_type = detail::waiting_op<sender, std::decay_t<Handler>, std::exception_ptr>;
  op_type* op = op_type::create(std::move(handler), std::move(value));
  // Installed before the node is published: only then can a peer complete it.
  if (auto slot = op->slot(); slot.is_connected()) {
    slot.template emplace<cancel_waiting<sender>>(this, &senders_, op);
  }
  receiver* wake = nullptr;
  std::exception_ptr error;
  {
    std::lock_guard lock(mutex_);
    // Re-checked: the channel may have changed since send() looked.
    switch (send_locked(op->value, wake)) {
      case step::must_wait: senders_.push_back(op); return;
      case step::closed: error = send_error_locked(); break;
      case step::done: break;
    }
  }
  if (wake) wake->complete({nullptr, std::move(op->value)});
  op->complete(error);
}

template <class T>
template <class Handler>
void channel<T>::start_receive(Handler&& handler) {
  using op_type = detail::waiting_op<receiver, std::decay_t<Handler>, detail::received<T>>;
  op_type* op = op_type::create(std::move(handler));
  if (auto slot = op->slot(); slot.is_connected()) {
    slot.template emplace<cancel_waiting<receiver>>(this, &receivers_, op);
  }
  std::optional<T> item;
  sender* admitted = nullptr;
  std::exception_ptr error;
  {
    std::lock_guard lock(mutex_);
    switch (receive_locked(item, admitted)) {
      case step::must_wait: receivers_.push_back(op); return;
      case step::closed: error = error_; break;
      case step::done: break;
    }
  }
  if (admitted) admitted->complete(nullptr);
  op->complete({error, std::move(item)});
}

template <class T>
template <class Node>
void channel<T>::cancel(detail::waiting_queue<Node>& queue, Node* node) {
  {
    std::lock_guard lock(mutex_);
    // Not queued: a peer has completed it already, and that result stands.
    if (!queue.erase(node)) return;
  }
  auto aborted = std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted));
  if constexpr (std::is_same_v<Node, sender>) {
    node->complete(aborted);  // its item is destroyed with it, never enqueued
  } else {
    node->complete({aborted, std::nullopt});
  }
}

}  // namespace s3co::flow
