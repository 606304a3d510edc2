// latebind serve --listen HOST:PORT : the HTTP ingest API.
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <optional>
#include <string_view>

#include "latebind/alerts/alert_dispatcher.h"
#include "latebind/alerts/webhook_client.h"
#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"
#include "latebind/common/file_lock.h"
#include "latebind/common/json_log.h"
#include "latebind/common/status.h"
#include "latebind/ingest/http_server.h"
#include "latebind/promotion/promoter.h"
#include "latebind/promotion/scheduler.h"
#include "latebind/registry/registry.h"
#include "latebind/storage/local_store.h"

namespace latebind::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  std::string auth_tokens;
  std::vector<std::string> alert_webhooks;
  ingest::ServerOptions server;
  int header_timeout_s = 10;
  int body_timeout_s = 60;
  bool wal = false;
  uint64_t wal_segment_mib = 64;
  uint64_t wal_backlog_mib = 256;
  std::string wal_backlog_wait = "2s";
  std::string promote_every;  // "" (off), or a duration: 500ms, 30s, 5m, 1h
};

// The longest duration a flag takes: a year. Past it a wait overflowed (the scheduler's
// condition-variable wait in nanoseconds returned at once, a busy loop).
constexpr long long kMaxDurationMs = 365LL * 24 * 3'600'000;

// "500ms", "30s", "5m", "1h" → milliseconds; nullopt for anything else, zero, or past a year.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  long long unit_ms = 0;
  if (unit == "ms") {
    unit_ms = 1;
  } else if (unit == "s") {
    unit_ms = 1000;
  } else if (unit == "m") {
    unit_ms = 60'000;
  } else if (unit == "h") {
    unit_ms = 3'600'000;
  } else {
    return std::nullopt;
  }
  if (n <= 0 || n > kMaxDurationMs / unit_ms) return std::nullopt;
  return std::chrono::milliseconds(n * unit_ms);
}

// The value of duration flag `flag`; nullopt, with the usage error printed, when it is not
// one (`examples` says what is).
std::optional<std::chrono::milliseconds> DurationFlag(std::string_view flag,
                                                      const std::string& value,
                                                      std::string_view examples) {
  auto parsed = ParseDuration(value);
  if (!parsed) {
    fmt::print(stderr,
               "latebind serve: {} wants a duration such as {}, from 1ms to 8760h (a year), "
               "got '{}'\n",
               flag, examples, value);
  }
  return parsed;
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.starts_with("127.");
}

int RunServe(const GlobalOptions& global, ServeArgs args) {
  const size_t colon = args.listen.rfind(':');
  if (colon == std::string::npos) {
    fmt::print(stderr, "latebind serve: --listen wants HOST:PORT, got '{}'\n", args.listen);
    return kExitBadInput;
  }
  args.server.host = args.listen.substr(0, colon);
  // An IPv6 address is written in brackets, as in a URL: [::1]:8080 (ADR-075). Unbracketed,
  // "::1:8080" is ambiguous (is 8080 the port or the address's last group?): refused.
  const bool bracketed = args.server.host.size() >= 2 && args.server.host.front() == '[' &&
                         args.server.host.back() == ']';
  if (bracketed) {
    args.server.host = args.server.host.substr(1, args.server.host.size() - 2);
  } else if (args.server.host.find_first_of(":[]") != std::string::npos) {
    fmt::print(stderr,
               "latebind serve: --listen '{}': write an IPv6 address in brackets, as "
               "[::1]:8080\n",
               args.listen);
    return kExitBadInput;
  }
  if (args.server.host.empty()) {
    fmt::print(stderr,
               "latebind serve: --listen '{}' has no host: give one, e.g. 127.0.0.1{} "
               "(loopback) or 0.0.0.0{} (every interface, needs --auth-tokens)\n",
               args.listen, args.listen.substr(colon), args.listen.substr(colon));
    return kExitBadInput;
  }
  if (args.server.host == "localhost") args.server.host = "127.0.0.1";
  const std::string port_text = args.listen.substr(colon + 1);
  int port = -1;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    fmt::print(stderr, "latebind serve: bad port in --listen '{}': want a number 0-65535\n",
               args.listen);
    return kExitBadInput;
  }
  args.server.port = static_cast<uint16_t>(port);
  if (!args.auth_tokens.empty()) {
    auto auth = ingest::TokenAuthenticator::Load(args.auth_tokens);
    if (!auth.ok()) {
      fmt::print(stderr, "latebind serve: --auth-tokens {}\n", auth.status().message());
      return kExitBadInput;
    }
    args.server.auth = std::move(*auth);
  } else if (!IsLoopback(args.server.host)) {
    fmt::print(stderr,
               "latebind serve: refusing to listen on non-loopback address {} without "
               "authentication: pass --auth-tokens FILE\n",
               args.server.host);
    return kExitBadInput;
  }
  args.server.header_timeout = std::chrono::seconds(args.header_timeout_s);
  args.server.body_timeout = std::chrono::seconds(args.body_timeout_s);
  if (args.wal) args.server.wal_dir = global.home + "/wal";
  args.server.wal_segment_bytes = args.wal_segment_mib << 20;
  args.server.lander.max_unstored_bytes = args.wal_backlog_mib << 20;
  const auto backlog_wait =
      DurationFlag("--wal-backlog-wait", args.wal_backlog_wait, "500ms or 2s");
  if (!backlog_wait) return kExitBadInput;
  args.server.lander.max_backlog_wait = *backlog_wait;
  for (const std::string& url : args.alert_webhooks) {
    // Refused at startup, not at the first alert: a typo must not silently drop alerts.
    if (auto parsed = alerts::ParseWebhookUrl(url); !parsed.ok()) {
      fmt::print(stderr, "latebind serve: --alert-webhook {}: {}\n", url,
                 parsed.status().message());
      return kExitBadInput;
    }
  }
  args.server.alert_sinks = args.alert_webhooks;
  std::optional<std::chrono::milliseconds> promote_every;
  if (!args.promote_every.empty()) {
    promote_every = DurationFlag("--promote-every", args.promote_every, "30s, 5m or 1h");
    if (!promote_every) return kExitBadInput;
  }
  auto store = storage::LocalStore::Open(global.home);
  if (!store.ok()) {
    fmt::print(stderr, "latebind serve: {}\n", store.status().message());
    return ExitCodeFor(store.status());
  }
  // One server per home: a second one would profile the first one's arrivals again, and
  // with --wal replay (and delete) the log the first one appends to. Taken once the store
  // has made the home durably (creating it here would leave its name unsynced).
  const std::string lock_path = ServeLockPath(global.home);
  auto lock = FileLock::TryAcquire(lock_path);
  if (!lock.ok()) {
    fmt::print(stderr, "latebind serve: {}\n", lock.status().message());
    return ExitCodeFor(lock.status());
  }
  if (!*lock) {
    fmt::print(stderr,
               "latebind serve: another latebind serve is running on {} ({}); one server per "
               "home: stop it first\n",
               global.home, FileLock::HolderOf(lock_path));
    return kExitFailure;
  }
  if (arrow::Status st =
          (*lock)->Describe(fmt::format("pid {}, listening on {}", ::getpid(), args.listen));
      !st.ok()) {
    fmt::print(stderr, "latebind serve: {}: {}\n", lock_path, st.message());
    return ExitCodeFor(st);
  }
  auto registry = registry::OpenRegistry(global.home);
  if (!registry.ok()) {
    fmt::print(stderr, "latebind serve: {}\n", registry.status().message());
    return ExitCodeFor(registry.status());
  }
  args.server.registry = *registry;
  // Registered, so that a BREAKING version written by `ingest` or `deadletter replay` on
  // this home is owed to these sinks too (also while this server is down).
  auto dropped = (*registry)->SetAlertSinks(args.alert_webhooks);
  if (!dropped.ok()) {
    fmt::print(stderr, "latebind serve: {}\n", dropped.status().message());
    return ExitCodeFor(dropped.status());
  }
  if (*dropped > 0) {
    Log("warn", "alerts owed to sinks no longer configured are dropped",
        {{"deliveries", *dropped}, {"sinks", args.alert_webhooks}});
  }
  // Delivers what this server's sinks are owed, from earlier runs and the CLI too.
  alerts::AlertDispatcher dispatcher(*registry);
  if (arrow::Status st = dispatcher.Start(); !st.ok()) {
    fmt::print(stderr, "latebind serve: {}\n", st.message());
    return ExitCodeFor(st);
  }
  args.server.on_new_version = [&dispatcher](const registry::ApplyOutcome& out) {
    if (out.status == registry::VersionStatus::kBreaking) dispatcher.Notify();
  };
  // Promotion's own store handle, for POST /v1/promotions and the scheduler: the server
  // owns the other one. Declared before the server, so it outlives the server's promoter.
  auto opened = storage::LocalStore::Open(global.home);
  if (!opened.ok()) {
    fmt::print(stderr, "latebind serve: {}\n", opened.status().message());
    return ExitCodeFor(opened.status());
  }
  std::unique_ptr<storage::LocalStore> promote_store = std::move(*opened);
  // The lock directory `latebind promote` uses: a source being promoted by one is `busy`
  // for the others (the scheduler, the endpoint, the CLI).
  promotion::PromoteOptions promote_options;
  promote_options.lock_dir = global.home + "/locks";
  promote_options.log = true;
  args.server.promoter =
      std::make_shared<promotion::Promoter>(promote_store.get(), registry->get());
  args.server.promote_options = promote_options;
  std::unique_ptr<promotion::PromotionScheduler> scheduler;
  if (promote_every) {
    scheduler = std::make_unique<promotion::PromotionScheduler>(
        promote_store.get(), registry->get(), promote_options, *promote_every);
  }
  auto server = ingest::HttpServer::Start(std::move(*store), args.server);
  if (!server.ok()) {
    fmt::print(stderr, "latebind serve: {}\n", server.status().message());
    return ExitCodeFor(server.status());
  }
  if (scheduler) scheduler->Start();
  (*server)->Run();
  if (scheduler) scheduler->Stop();
  dispatcher.Stop();
  return kExitOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the HTTP ingest API");
  cmd->footer(
      "POST /v1/sources/{id}/payloads   raw body (Content-Type application/json,\n"
      "                                 application/x-ndjson, text/csv or none; optional\n"
      "                                 Content-Encoding: gzip) -> 202 once durable\n"
      "GET  /v1/sources                 sources: versions, status, payload counts\n"
      "GET  /v1/sources/{id}/versions   schema versions, oldest first\n"
      "GET  /v1/sources/{id}/versions/{n}         one version with its status history\n"
      "POST /v1/sources/{id}/versions/{n}/status  {\"status\",\"note\",\"mappings\"}; an\n"
      "                                 operator token when auth is on\n"
      "POST /v1/promotions              {\"sources\",\"override_breaking\",\n"
      "                                 \"repromote_since_version\"}, each optional (empty body:\n"
      "                                 every source) -> 200 with `promote --json`'s report once\n"
      "                                 done; 429 while another is running; an operator token\n"
      "                                 when auth is on\n"
      "GET  /healthz, GET /metrics      liveness, Prometheus metrics\n\n"
      "Payloads land in <home>/raw/ and are profiled off the request path; what cannot be\n"
      "parsed moves to <home>/dead-letter/ with its reason. Every payload that parses updates\n"
      "its source's schema in <home>/registry.db; a BREAKING version is posted to each\n"
      "--alert-webhook (Slack-compatible JSON, retried until 2xx, also across restarts),\n"
      "also one that `ingest` or `deadletter replay` finds on this home: the sinks are kept\n"
      "in the registry until the next serve starts with others. SIGTERM or SIGINT: stop\n"
      "accepting, answer the requests in flight, exit. Logs: JSON lines on stderr.\n\n"
      "With --auth-tokens, producers send 'Authorization: Bearer <token>'; tokens are stored\n"
      "as SHA-256 hashes (printf %s \"$TOKEN\" | sha256sum). 401 without a valid token, 403\n"
      "for a source the token may not post to, or for status changes and promotions without\n"
      "\"operator\": true. /healthz and /metrics stay open. The file:\n"
      "  {\"tokens\": [\n"
      "    {\"name\": \"orders-producer\", \"sha256\": \"<64 hex>\", \"sources\": [\"orders\"]},\n"
      "    {\"name\": \"oncall\", \"sha256\": \"<64 hex>\", \"sources\": [\"*\"], \"operator\": "
      "true}]}\n"
      "\"*\" in \"sources\" allows every source; \"operator\" defaults to false.");
  cmd->add_option("--listen", args->listen,
                  "HOST:PORT to listen on; a non-loopback address needs --auth-tokens")
      ->capture_default_str();
  cmd->add_option("--auth-tokens", args->auth_tokens,
                  "JSON file of hashed bearer tokens and the sources each may post to: "
                  "{\"tokens\":[{\"name\",\"sha256\",\"sources\":[...],\"operator\"}]}; "
                  "\"sources\": [\"*\"] allows every source, \"operator\": true (default "
                  "false) allows status changes and promotions");
  cmd->add_option("--promote-every", args->promote_every,
                  "Promote every source on this schedule (e.g. 30s, 5m, 1h; default off); "
                  "a source being promoted by `latebind promote` is skipped that round");
  cmd->add_option("--alert-webhook", args->alert_webhooks,
                  "URL that BREAKING schema versions are posted to (repeatable); "
                  "http:// or https://");
  cmd->add_option("--max-body-bytes", args->server.max_body_bytes,
                  "Largest payload accepted; larger gets 413")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--max-decoded-bytes", args->server.max_decoded_bytes,
                  "Largest decoded size of a gzip payload (bytes); one that inflates past it is "
                  "dead-lettered as too large (`deadletter replay --max-decoded-bytes` with more "
                  "recovers it). Profiling streams: memory does not grow with it")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 50))
      ->capture_default_str();
  cmd->add_option("--header-timeout", args->header_timeout_s,
                  "Seconds a client has to send a request header; past it, 408 and close (an idle "
                  "keep-alive connection is closed without an answer)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--body-timeout", args->body_timeout_s,
                  "Seconds a client has to send a request body; past it, 408 and close")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  CLI::Option* wal =
      cmd->add_flag("--wal", args->wal,
                    "Acknowledge once a write-ahead log under <home>/wal holds the payload (one "
                    "fdatasync per batch); the payload reaches raw/ moments later, or, after a "
                    "crash, when the next serve replays the log before it starts serving. Default: "
                    "acknowledge once the raw file itself is durable (slower)");
  cmd->add_option("--wal-segment-mib", args->wal_segment_mib,
                  "With --wal: MiB per log segment. The raw files a segment holds are synced "
                  "(one syncfs) before it is deleted")
      ->check(CLI::Range(1, 4096))
      ->needs(wal)
      ->capture_default_str();
  cmd->add_option("--wal-backlog-mib", args->wal_backlog_mib,
                  "With --wal: MiB acknowledged from the log that may wait for the raw zone. "
                  "Past it new payloads wait for the raw zone to catch up")
      ->check(CLI::Range(1, 65536))
      ->needs(wal)
      ->capture_default_str();
  cmd->add_option("--wal-backlog-wait", args->wal_backlog_wait,
                  "With --wal: how long a payload waits for that room (e.g. 500ms, 2s); then it "
                  "gets 503 with Retry-After, and so do the next ones until the raw zone "
                  "catches up")
      ->needs(wal)
      ->capture_default_str();
  cmd->add_option("--io-threads", args->server.io_threads, "Threads serving connections")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--profile-workers", args->server.profile_workers,
                  "Threads profiling landed payloads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->callback([args, &global, exit_code] { *exit_code = RunServe(global, *args); });
}

std::string ServeLockPath(const std::string& home) { return home + "/locks/serve.lock"; }

bool ServerRuns(const std::string& home) {
  auto lock = FileLock::TryAcquire(ServeLockPath(home));
  return lock.ok() && !lock->has_value();  // released at once when it was free
}

}  // namespace latebind::cli
