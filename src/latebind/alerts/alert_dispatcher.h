// Delivers the drift-alert outbox (DESIGN.md §2 "drift --> alert sinks"): the registry
// writes one delivery row per sink in the same transaction as a BREAKING version; this
// posts each row's message to its sink until the sink answers 2xx, then marks it delivered.
// Durable and at-least-once by construction (a crash before MarkDelivered means one more
// POST after the restart), made exactly-once for a sink that honours the Idempotency-Key
// header, which is stable per (alert, sink) across every attempt and restart.
#pragma once

#include <arrow/status.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "latebind/registry/registry.h"

namespace latebind::alerts {

struct AlertDispatcherOptions {
  // Bound on one POST (DNS, connect, TLS, response). Default 5 s; a longer one holds a slow
  // sink's next alerts (one POST per sink at a time) but never other sinks'.
  std::chrono::milliseconds post_timeout{5000};
  // After the n-th consecutive failure a delivery waits initial · 2^(n-1), at most `max`,
  // less up to `jitter` of it at random (so sinks that fail together do not retry in
  // lockstep). Defaults 500 ms, 60 s and 0.2: quick recovery from a blip, one try a
  // minute against a sink that is down. A Retry-After from the sink is honoured up to 1 h.
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60000};
  double backoff_jitter = 0.2;
  // How often the outbox is read without a Notify(): picks up rows another process wrote
  // (the CLI, another serve) and retries that fell due. Default 1 s; each poll is one
  // indexed registry query.
  std::chrono::milliseconds poll_interval{1000};
  // Deliveries read per poll: one per sink (its oldest owed alert, when due), so this
  // bounds the sinks served per poll. Default 500.
  int batch_limit = 500;
  // POSTs in flight at once, one per sink at most. Default 16.
  size_t max_in_flight = 16;
  // A PEM bundle trusted besides the system's CAs, for https sinks. Default none.
  std::string ca_file;
};

// The wait after `failures` consecutive failures (>= 1); `random01` in [0, 1) picks the
// jitter. Pure, for tests and for anyone scheduling the same way.
std::chrono::milliseconds Backoff(int failures, const AlertDispatcherOptions& options,
                                  double random01);

// Owns one background thread that reads the outbox, renders DriftMessage for each due
// delivery and posts it; posts to different sinks run concurrently on that thread, at most
// one per sink, so a slow or failing sink delays only its own alerts. Each delivery and
// failure is logged as a JSON line (sinks by WebhookUrl::Redacted, never their secret).
// Thread-safe: Notify may be called from any thread; Start and Stop from one owner.
class AlertDispatcher {
 public:
  // No I/O here (STYLE.md §2): Start does it.
  AlertDispatcher(std::shared_ptr<registry::Registry> registry,
                  AlertDispatcherOptions options = {});
  ~AlertDispatcher();  // Stop()s

  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // Loads the TLS trust store and starts the thread, which reads the outbox at once (alerts
  // owed from before a restart go out first). kBadInput when `ca_file` cannot be loaded;
  // kInternal when already started. Call once.
  arrow::Status Start();

  // Reads the outbox now instead of at the next poll: call right after Apply wrote a
  // BREAKING version. Cheap and coalesced; any thread; ignored after Stop.
  void Notify();

  // Stops promptly, also in a backoff wait or a POST in flight (abandoned: its delivery
  // stays owed and is sent again, same key, after the next start). Waits only for a
  // registry call in progress. Idempotent. (The destructor also waits for a DNS lookup in
  // progress, which the system resolver cannot abandon.)
  void Stop();

  // Since Start: deliveries acknowledged by their sink, and attempts that failed.
  int64_t delivered() const;
  int64_t failed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latebind::alerts
