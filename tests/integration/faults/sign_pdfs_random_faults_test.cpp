// 200 runs of sign_pdfs against radosgw, each with a random failure point,
// through a failure-injecting RequestSender around the real http::client:
// a list request answered 500, failing in transport or with its body cut; the
// manifest upload failing before it reaches radosgw or after (the answer
// lost); a cancellation at a random moment; or several of these at once.
// Every run must end before its deadline, leave no multipart upload, and
// either complete (count + errors == the PDFs listed, the manifest exactly
// those keys) or fail with a typed error and leave no manifest. One
// exception, counted and bounded: a cancellation that abandons the final
// PutObject after radosgw received it may leave that (complete) manifest,
// as radosgw can store it after the run's clean-up DELETE.
#include "faults_support.hpp"

#include <cstdlib>
#include <random>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include "support/fault_proxy.hpp"

using namespace s3co;
using boost::asio::awaitable;
using s3co::testing::run_async;
using s3co::testing::faults::run_outcome;

namespace {

enum class list_failure { none, status_500, transport, cut_body };
enum class upload_failure { none, before_send, answer_lost };

struct failure_plan {
  int list_request = 0;  // 1-based number of the list request that fails; 0: none
  list_failure list = list_failure::none;
  upload_failure upload = upload_failure::none;
  std::chrono::microseconds max_latency{0};  // each request waits up to this before it goes
};

// A RequestSender that fails where its plan says and forwards the rest.
class flaky_sender {
 public:
  explicit flaky_sender(http::client& inner) : inner_(inner) {}

  void arm(failure_plan plan, std::uint32_t seed) {
    plan_ = plan;
    random_.seed(seed);
    lists_ = 0;
    injected_ = 0;
  }
  int injected() const noexcept { return injected_; }

  awaitable<http::response> send(http::request request) {
    if (plan_.max_latency.count() > 0) {
      boost::asio::steady_timer latency(co_await boost::asio::this_coro::executor);
      latency.expires_after(std::chrono::microseconds(random_() % plan_.max_latency.count()));
      co_await latency.async_wait(boost::asio::use_awaitable);
    }
    const std::string method(aws::method_name(request.method));
    const bool list = method == "GET" && testing::detail::has_query_parameter(request.target, "list-type");
    const bool upload = (method == "PUT" || method == "POST") && testing::detail::names_a_key(request.target);
    if (list && ++lists_ == plan_.list_request) {
      ++injected_;
      switch (plan_.list) {
        case list_failure::status_500: {
          http::response response;
          response.status = 500;
          response.body = "<Error><Code>InternalError</Code><Message>injected</Message></Error>";
          co_return response;
        }
        case list_failure::transport:
          throw http::transport_error(std::make_error_code(std::errc::connection_reset),
                                      request.describe() + " failed (injected)", 3);
        case list_failure::cut_body: {
          http::response response = co_await inner_.send(std::move(request));
          response.body.resize(response.body.size() / 2);
          co_return response;
        }
        case list_failure::none:
          break;
      }
    }
    if (upload && plan_.upload != upload_failure::none) {
      ++injected_;
      if (plan_.upload == upload_failure::answer_lost) co_await inner_.send(std::move(request));
      throw http::transport_error(std::make_error_code(std::errc::connection_reset),
                                  "manifest upload failed (injected)", 3);
    }
    co_return co_await inner_.send(std::move(request));
  }

 private:
  http::client& inner_;
  failure_plan plan_;
  std::mt19937 random_;
  int lists_ = 0;
  int injected_ = 0;
};

static_assert(s3::RequestSender<flaky_sender>);

struct random_bucket : s3co::testing::faults::bucket_under_test {
  http::client transport{context.get_executor(), quick_options()};
  flaky_sender sender{transport};
  s3::client<flaky_sender> s3{sender, env.credentials, env.region, env.endpoint};

  random_bucket() : bucket_under_test("faults-random") {
    std::vector<std::string> keys;
    for (int i = 0; i < 300; ++i) {
      keys.push_back("r/" + std::to_string(1000 + i) + (i % 6 == 5 ? ".txt" : i % 7 == 3 ? ".PDF" : ".pdf"));
    }
    seed(keys);
  }

  static http::client_options quick_options() {
    http::client_options options;
    options.connect_timeout = std::chrono::seconds(5);
    options.request_timeout = std::chrono::seconds(10);
    options.retry.base_delay = std::chrono::milliseconds(5);
    return options;
  }

  static pipelines::sign_pdfs_config config() {
    pipelines::sign_pdfs_config config;
    config.prefix = "r/";
    config.page_size = 50;
    config.concurrency = 3;
    config.list_concurrency = 1;  // failure points are numbered in one chain's fixed order of requests
    config.queue_size = 100;
    return config;
  }

  // One run, cancelled after `cancel_after` unless it ended before; fails
  // the test when it outlives `deadline`.
  run_outcome run_racing(std::optional<std::chrono::microseconds> cancel_after, std::chrono::seconds deadline) {
    pipelines::sign_pdfs_config run_config = config();
    run_config.bucket = bucket;
    run_outcome outcome;
    bool finished = false;
    boost::asio::cancellation_signal cancel;
    boost::asio::steady_timer racer(context);
    const auto started = std::chrono::steady_clock::now();
    boost::asio::co_spawn(
        context, pipelines::run(s3, run_config),
        boost::asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr error,
                                                               pipelines::sign_pdfs_result result) {
          finished = true;
          racer.cancel();
          if (error) {
            outcome.error = error;
            outcome.error_text = s3co::testing::faults::describe_error(error);
          } else {
            outcome.result = std::move(result);
          }
        }));
    if (cancel_after) {
      racer.expires_after(*cancel_after);
      racer.async_wait([&](boost::system::error_code error) {
        if (!error && !finished) cancel.emit(boost::asio::cancellation_type::terminal);
      });
    }
    context.restart();
    const auto give_up = started + deadline;
    while (!finished && std::chrono::steady_clock::now() < give_up) {
      context.run_for(std::chrono::milliseconds(50));
      if (context.stopped()) context.restart();
    }
    outcome.elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    REQUIRE(finished);  // else the run hung past its deadline
    drain();
    return outcome;
  }
};

}  // namespace

TEST_CASE("random faults: 200 runs with a random failure point never hang, leak or lie", "[faults][random]") {
  random_bucket b;
  REQUIRE(b.expected_pdfs.size() == 250);
  const auto fetch = [&](const std::string& url) { return b.fetch_url(url); };

  // A clean run first, to time the cancellations.
  b.sender.arm({}, 0);
  const run_outcome clean = b.run_racing(std::nullopt, std::chrono::seconds(30));
  REQUIRE(clean.completed());
  CHECK(clean.result->pages == 6);
  b.check_outcome(clean, fetch);
  const auto typical = std::max<std::chrono::microseconds>(clean.elapsed, std::chrono::milliseconds(5));

  // S3CO_RANDOM_FAULTS_SEED replays a failed run's base seed.
  const char* replay = std::getenv("S3CO_RANDOM_FAULTS_SEED");
  const std::uint32_t base_seed =
      replay ? static_cast<std::uint32_t>(std::stoul(replay)) : std::random_device{}();
  std::mt19937 random(base_seed);
  int completed = 0, failed = 0, cancelled = 0, injected = 0;
  int leftovers = 0;  // manifests left behind by a cancelled run
  for (int run = 0; run < 200; ++run) {
    const std::uint32_t seed = random();
    std::mt19937 pick(seed);
    failure_plan plan;
    std::optional<std::chrono::microseconds> cancel_after;
    const int mode = static_cast<int>(pick() % 5);
    if (mode == 0 || mode == 3 || mode == 4) {
      plan.list_request = 1 + static_cast<int>(pick() % 7);  // 6 pages; a 7th never comes
      plan.list = static_cast<list_failure>(1 + pick() % 3);
    }
    if (mode == 1 || mode == 4) plan.upload = pick() % 2 ? upload_failure::before_send : upload_failure::answer_lost;
    if (mode == 2 || mode == 3) {
      cancel_after = std::chrono::microseconds(pick() % static_cast<std::uint32_t>(typical.count() * 12 / 10 + 1));
    }
    plan.max_latency = std::chrono::microseconds(pick() % 3000);
    b.sender.arm(plan, seed);

    INFO("run " << run << ", base seed " << base_seed << ", seed " << seed << ", mode " << mode);
    const run_outcome outcome = b.run_racing(cancel_after, std::chrono::seconds(30));
    injected += b.sender.injected();
    INFO("outcome: " << (outcome.completed() ? "completed" : outcome.error_text));
    if (outcome.completed()) {
      ++completed;
      CHECK(outcome.result->count + outcome.result->errors == b.expected_pdfs.size());
      CHECK(outcome.result->keys_listed == 300);
    } else if (outcome.error_text.starts_with("cancelled")) {
      ++cancelled;
      CHECK(cancel_after.has_value());
    } else {
      ++failed;
      CHECK(b.sender.injected() > 0);
    }
    b.check_outcome(outcome, fetch, "manifests/", outcome.error_text.starts_with("cancelled") ? &leftovers : nullptr);
  }
  WARN("200 runs: " << completed << " completed, " << failed << " failed, " << cancelled << " cancelled; "
                    << injected << " failures injected; " << leftovers
                    << " cancelled runs left a (complete) manifest behind");
  CHECK(leftovers == 0);  // the final request is never cut off by a cancellation
  CHECK(completed > 0);
  CHECK(failed > 0);
  CHECK(cancelled > 0);
}
