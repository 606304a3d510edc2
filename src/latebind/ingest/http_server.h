// `latebind serve`: the HTTP ingest API (DESIGN.md §7) on Boost.Beast/Asio (ADR-017).
#pragma once

#include <arrow/result.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "latebind/ingest/auth.h"
#include "latebind/ingest/lander.h"
#include "latebind/promotion/promoter.h"
#include "latebind/registry/registry.h"
#include "latebind/storage/object_store.h"

namespace latebind::ingest {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback by default
  uint16_t port = 8080;            // 0: any free port (tests)
  // Largest body accepted (default 64 MiB): refused with 413 before reading when
  // Content-Length says so, and as soon as a chunked body passes it.
  uint64_t max_body_bytes = 64ull << 20;
  // Largest decoded size of a gzip body (default 1 GiB, ArrivalProcessor's): one that
  // inflates past it is dead-lettered as too large, in bounded memory. Higher lets larger
  // payloads through at the cost of profiling time, never of memory (the profiler streams).
  uint64_t max_decoded_bytes = 1ull << 30;
  // Largest request header (default 16 KiB), else 431.
  uint32_t max_header_bytes = 16 << 10;
  // A client must send its whole header / body within these (defaults 10 s / 60 s), else
  // the connection is closed: slow clients cannot hold connections forever.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{60};
  // Bearer tokens; null: no authentication (only allowed on loopback, which the CLI
  // enforces). With it, payload posts need a token allowed the source (else 401/403),
  // /v1/sources any valid token, status changes and promotions an operator token;
  // /healthz and /metrics stay open for probes and scrapers.
  std::shared_ptr<const TokenAuthenticator> auth;
  // Directory of the write-ahead log (ADR-021); "" acknowledges only after the raw zone
  // write is durable (slower: the file creation is on the request path).
  std::string wal_dir;
  // Bytes per log segment; a segment is deleted, after a sync of the store, once all its
  // records are in the store (ADR-037).
  uint64_t wal_segment_bytes = 64ull << 20;
  // Group commit, and with the log how far the raw zone may fall behind it (ADR-045/046).
  LanderOptions lander;
  // Every payload that parses updates its source's schema here; /v1/sources and the
  // versions endpoints read it. Required.
  std::shared_ptr<registry::Registry> registry;
  // Webhook sinks for BREAKING versions (one outbox row each, ApplyOptions::alert_sinks).
  std::vector<std::string> alert_sinks;
  // Called (on a profiling thread) after a payload created a new schema version: serve
  // wakes the alert dispatcher with it.
  std::function<void(const registry::ApplyOutcome&)> on_new_version;
  // POST /v1/promotions runs this promoter with `promote_options` (lock_dir, log, sizes)
  // and the request's sources, override_breaking and repromote_since_version, on the
  // server's one promotion thread, one request at a time (ADR-030). It must use the same
  // lock_dir as `latebind promote` so that each reports the other's source as busy; its
  // store and registry must outlive the server. Null (default): the route answers 404.
  std::shared_ptr<promotion::Promoter> promoter;
  promotion::PromoteOptions promote_options;
  int io_threads = 2;  // threads serving connections
  // Threads profiling landed payloads and applying them to the registry. Default 2: one
  // profiles while another waits on the registry's flush (measured by
  // bench/registry_bench.py: p99 202→visible 1.5 s with one worker at 1,000 payloads/s on
  // two cores, 0.18 s with two).
  int profile_workers = 2;
};

class HttpServer {
 public:
  // Binds the listening socket and recovers arrivals a previous run left unprofiled.
  // Errors: kUnavailable when the address cannot be bound or storage cannot be read.
  static arrow::Result<std::unique_ptr<HttpServer>> Start(
      std::shared_ptr<storage::ObjectStore> store, const ServerOptions& options);
  ~HttpServer();

  uint16_t port() const;  // the bound port
  // Serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight
  // (each gets its answer: nothing acknowledged is abandoned) and returns.
  void Run();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace latebind::ingest
