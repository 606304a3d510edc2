#include "latebind/alerts/alert_dispatcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "latebind/alerts/drift_message.h"
#include "latebind/alerts/webhook_client_internal.h"
#include "latebind/common/json_log.h"
#include "latebind/common/status.h"

namespace latebind::alerts {
namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A Retry-After beyond this is a misconfigured sink, not a plan: retry within the hour.
constexpr std::chrono::seconds kMaxRetryAfter{3600};
constexpr milliseconds kWakeSlack{5};
// How much of a sink's error body goes into the log and the outbox row.
constexpr size_t kMaxErrorBodyChars = 200;

int64_t Ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

}  // namespace

milliseconds Backoff(int failures, const AlertDispatcherOptions& options, double random01) {
  const int doublings = std::clamp(failures - 1, 0, 30);  // 2^30 · 1 ms is past any max
  const double full =
      std::min(static_cast<double>(options.backoff_initial.count()) * std::pow(2.0, doublings),
               static_cast<double>(options.backoff_max.count()));
  const double jitter =
      std::clamp(options.backoff_jitter, 0.0, 1.0) * std::clamp(random01, 0.0, 1.0);
  return milliseconds(std::llround(full * (1.0 - jitter)));
}

struct AlertDispatcher::Impl {
  Impl(std::shared_ptr<registry::Registry> r, AlertDispatcherOptions o)
      : registry(std::move(r)), options(std::move(o)), rng(std::random_device{}()) {}

  // Everything below runs on `thread`, except QueuePoll and the atomics.

  void QueuePoll() {
    if (!poll_queued.exchange(true)) net::post(io, [this] { Poll(); });
  }

  // Wakes the loop at `at` unless it is to wake earlier anyway.
  void WakeAt(Clock::time_point at) {
    if (timer_armed && timer.expiry() <= at) return;
    timer_armed = true;
    timer.expires_at(at);  // cancels the wait for the later time
    timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // re-armed or stopped
      timer_armed = false;
      Poll();
    });
  }

  void Poll() {
    poll_queued = false;
    WakeAt(Clock::now() + options.poll_interval);
    auto due = registry->DueDeliveries(std::chrono::system_clock::now(), options.batch_limit);
    if (!due.ok()) {
      Log("error", "cannot read the alert outbox", {{"error", due.status().message()}});
      return;
    }
    const Clock::time_point now = Clock::now();
    for (const registry::PendingDelivery& d : *due) {
      if (in_flight.size() >= options.max_in_flight) break;
      // One POST per sink at a time keeps a sink's alerts in order and a slow sink from
      // taking every slot; a sink that just failed is left alone until its backoff ends.
      if (in_flight.contains(d.sink)) continue;
      if (auto h = sinks.find(d.sink); h != sinks.end() && h->second.not_before > now) continue;
      Launch(d);
    }
  }

  void Launch(const registry::PendingDelivery& d) {
    auto url = ParseWebhookUrl(d.sink);
    if (!url.ok()) {
      // Validated when configured, so only a row written by another configuration gets
      // here; keep it owed, but ask rarely.
      return Reschedule(d, "invalid sink URL: " + url.status().message(), options.backoff_max,
                        "<invalid URL>");
    }
    auto version = registry->Version(d.source_id, d.version);
    if (!version.ok()) {
      // Not the sink's fault: its health is untouched; the row waits its own backoff.
      return Reschedule(d, "cannot read the version: " + version.status().message(),
                        Backoff(d.attempts + 1, options, Random()), url->Redacted());
    }
    // Field names come from the data: replace invalid UTF-8 rather than throw.
    std::string body =
        DriftMessage(*version).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const Clock::time_point start = Clock::now();
    auto post = internal::StartPost(io, url->tls ? tls : nullptr, *url, std::move(body),
                                    d.idempotency_key, options.post_timeout,
                                    [this, d, u = *url, start](arrow::Result<WebhookResponse> r) {
                                      OnPosted(d, u, Clock::now() - start, std::move(r));
                                    });
    if (!post.ok()) {
      return Reschedule(d, post.status().message(), Backoff(d.attempts + 1, options, Random()),
                        url->Redacted());
    }
    in_flight[d.sink] = std::move(*post);
  }

  void OnPosted(const registry::PendingDelivery& d, const WebhookUrl& url, Clock::duration elapsed,
                arrow::Result<WebhookResponse> r) {
    in_flight.erase(d.sink);
    if (r.ok() && r->ok()) {
      sinks.erase(d.sink);
      delivered++;
      nlohmann::ordered_json fields = {{"alert_id", d.alert_id},   {"sink", url.Redacted()},
                                       {"source", d.source_id},    {"version", d.version},
                                       {"http_status", r->status}, {"attempt", d.attempts + 1},
                                       {"ms", Ms(elapsed)}};
      if (auto st = registry->MarkDelivered(d.alert_id, d.sink); !st.ok()) {
        // The sink has it; the row still says owed, so it is posted again later with the
        // same Idempotency-Key, which the sink uses to drop the repeat.
        fields["error"] = st.message();
        Log("error", "alert delivered but not marked so: it will be repeated", fields);
      } else {
        Log("info", "alert delivered", fields);
      }
    } else {
      std::string error =
          r.ok() ? fmt::format("HTTP {}: {}", r->status, r->body.substr(0, kMaxErrorBodyChars))
                 : r.status().message();
      SinkHealth& health = sinks[d.sink];
      health.failures++;
      // The sink's own streak counts too: after a restart a fresh row to a sink that has
      // been down for an hour should not start at the shortest wait.
      milliseconds wait = Backoff(std::max(d.attempts + 1, health.failures), options, Random());
      if (r.ok() && r->retry_after) {
        wait = std::max<milliseconds>(wait, std::min(*r->retry_after, kMaxRetryAfter));
      }
      health.not_before = Clock::now() + wait;
      failed++;
      Reschedule(d, error, wait, url.Redacted(), Ms(elapsed));
    }
    QueuePoll();  // the sink is free: its next owed alert may go now
  }

  // Records a failed attempt in the outbox and wakes the loop when the row falls due.
  // `post_ms`: how long the POST took, when one was made.
  void Reschedule(const registry::PendingDelivery& d, const std::string& error, milliseconds wait,
                  const std::string& sink, std::optional<int64_t> post_ms = std::nullopt) {
    nlohmann::ordered_json fields = {{"alert_id", d.alert_id},     {"sink", sink},
                                     {"source", d.source_id},      {"version", d.version},
                                     {"attempt", d.attempts + 1},  {"error", error},
                                     {"retry_in_ms", wait.count()}};
    if (post_ms) fields["ms"] = *post_ms;
    Log("warn", "alert delivery failed", fields);
    if (auto st = registry->MarkFailed(d.alert_id, d.sink, error,
                                       std::chrono::system_clock::now() + wait);
        !st.ok()) {
      // The row stays due as it was: the next poll tries again, which the sink hold above
      // keeps from turning into a tight loop for a failing sink.
      Log("error", "cannot record a failed alert delivery",
          {{"alert_id", d.alert_id}, {"sink", sink}, {"error", st.message()}});
    }
    // A little late rather than early: the registry may keep times to the millisecond, and a
    // wake-up before the row is due would find nothing and sleep a whole poll interval.
    WakeAt(Clock::now() + wait + kWakeSlack);
  }

  double Random() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

  void Run() {
    auto work = net::make_work_guard(io);
    QueuePoll();
    // A handler that throws (a library inside the registry) must not end delivery for the
    // life of the process: log and keep running.
    while (!stopping) {
      try {
        io.run();
        break;
      } catch (const std::exception& e) {
        Log("error", "alert dispatcher: unexpected exception", {{"error", e.what()}});
      }
    }
  }

  struct SinkHealth {
    int failures = 0;  // consecutive
    Clock::time_point not_before;
  };

  std::shared_ptr<registry::Registry> registry;
  AlertDispatcherOptions options;
  net::io_context io;
  net::steady_timer timer{io};
  bool timer_armed = false;
  std::shared_ptr<net::ssl::context> tls;
  std::mt19937_64 rng;
  std::map<std::string, SinkHealth> sinks;
  // Declared after `io`, so destroyed before it: pending operations die with their owner.
  std::map<std::string, std::shared_ptr<internal::PendingPost>> in_flight;
  std::atomic<bool> poll_queued{false};
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> failed{0};
  std::thread thread;
};

AlertDispatcher::AlertDispatcher(std::shared_ptr<registry::Registry> registry,
                                 AlertDispatcherOptions options)
    : impl_(std::make_unique<Impl>(std::move(registry), std::move(options))) {}

AlertDispatcher::~AlertDispatcher() { Stop(); }

arrow::Status AlertDispatcher::Start() {
  if (impl_->thread.joinable() || impl_->stopping) {
    return MakeError(ErrorKind::kInternal,
                     "the alert dispatcher was already started (or stopped): start it once");
  }
  ARROW_ASSIGN_OR_RAISE(impl_->tls, internal::MakeTlsContext(impl_->options.ca_file));
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
  return arrow::Status::OK();
}

void AlertDispatcher::Notify() {
  if (!impl_->stopping) impl_->QueuePoll();
}

void AlertDispatcher::Stop() {
  impl_->stopping = true;
  // Stopping the io_context abandons timers and POSTs where they stand: no handler runs
  // again, so nothing is marked; what was owed stays owed in the registry.
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (!impl_->in_flight.empty()) {
    Log("info", "alert dispatcher stopped with POSTs in flight: their alerts stay owed",
        {{"in_flight", impl_->in_flight.size()}});
  }
  impl_->in_flight.clear();
}

int64_t AlertDispatcher::delivered() const { return impl_->delivered; }
int64_t AlertDispatcher::failed() const { return impl_->failed; }

}  // namespace latebind::alerts
