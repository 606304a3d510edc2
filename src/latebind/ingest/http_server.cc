#include "latebind/ingest/http_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <cctype>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "latebind/common/ids.h"
#include "latebind/common/json_log.h"
#include "latebind/common/status.h"
#include "latebind/ingest/arrival_workers.h"
#include "latebind/ingest/arrivals.h"
#include "latebind/ingest/http_errors.h"
#include "latebind/ingest/lander.h"
#include "latebind/ingest/metrics.h"
#include "latebind/ingest/promotion_worker.h"
#include "latebind/ingest/request_head_internal.h"
#include "latebind/promotion/promotion_json.h"
#include "latebind/registry/schema_json.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::ingest {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::ordered_json;
using Response = http::response<http::string_body>;

Response JsonResponse(unsigned version, int status, const std::string& body) {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::server, "latebind");
  res.set(http::field::content_type, "application/json");
  res.body() = body;
  res.prepare_payload();
  return res;
}

Response ErrorResponse(unsigned version, int status, const std::string& code,
                       const std::string& message) {
  return JsonResponse(version, status, ErrorBody(code, message));
}

}  // namespace

// Everything the handlers share. Owned by HttpServer::Impl.
struct ServerState {
  ServerOptions options;
  std::shared_ptr<storage::ObjectStore> store;
  Metrics metrics;
  std::unique_ptr<Lander> lander;
  std::unique_ptr<ArrivalProcessor> processor;
  std::unique_ptr<ArrivalWorkers> workers;
  std::unique_ptr<PromotionWorker> promotions;  // null without options.promoter
  std::atomic<bool> draining{false};
};

namespace {

// On a 202 that repeats the first answer to an Idempotency-Key (Stripe's name for it).
constexpr std::string_view kReplayedHeader = "Idempotent-Replayed";

// A request routed to a handler: "/v1/sources/{id}/payloads" → {"payloads", id}.
struct Route {
  enum class Kind {
    kPostPayload,
    kHealth,
    kMetrics,
    kListSources,
    kListVersions,
    kGetVersion,
    kSetStatus,
    kPromote,
    kNotFound,
    kBadMethod
  };
  Kind kind = Kind::kNotFound;
  std::string source;
  std::string version;     // as sent; validated by the handler
  std::string_view allow;  // kBadMethod: the methods the path takes
  bool has_source() const {
    return kind == Kind::kPostPayload || kind == Kind::kListVersions || kind == Kind::kGetVersion ||
           kind == Kind::kSetStatus;
  }
};

// `path`: the target's path, without its query.
Route RouteOf(http::verb method, std::string_view path) {
  Route r;
  // A GET route answers HEAD too, with the same header and no body.
  auto want = [&](http::verb v, Route::Kind kind) {
    const bool get = v == http::verb::get;
    if (method == v || (get && method == http::verb::head)) {
      r.kind = kind;
    } else {
      r.kind = Route::Kind::kBadMethod;
      r.allow = get ? "GET, HEAD" : "POST";
    }
    // The id is the client's text until validated: only a route that takes one keeps it
    // (it becomes a metric label).
    if (!r.has_source()) r.source.clear();
    return r;
  };
  if (path == "/healthz") return want(http::verb::get, Route::Kind::kHealth);
  if (path == "/metrics") return want(http::verb::get, Route::Kind::kMetrics);
  if (path == "/v1/sources") return want(http::verb::get, Route::Kind::kListSources);
  if (path == "/v1/promotions") return want(http::verb::post, Route::Kind::kPromote);
  constexpr std::string_view kPrefix = "/v1/sources/";
  constexpr std::string_view kSuffix = "/payloads";
  if (!path.starts_with(kPrefix)) return r;
  const auto not_found = [&r] {
    r.source.clear();
    return r;
  };
  if (path.ends_with(kSuffix) && path.size() >= kPrefix.size() + kSuffix.size()) {
    // The id as sent, undecoded: "%2e%2e" is refused as it stands, never decoded into "..".
    r.source =
        std::string(path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()));
    return want(http::verb::post, Route::Kind::kPostPayload);
  }
  // {id}/versions, {id}/versions/{n}, {id}/versions/{n}/status
  std::string_view rest = path.substr(kPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return not_found();
  r.source = std::string(rest.substr(0, slash));
  rest = rest.substr(slash);
  if (rest == "/versions") return want(http::verb::get, Route::Kind::kListVersions);
  if (!rest.starts_with("/versions/")) return not_found();
  rest = rest.substr(10);
  const size_t end = rest.find('/');
  r.version = std::string(rest.substr(0, end));
  if (r.version.empty()) return not_found();
  if (end == std::string_view::npos) return want(http::verb::get, Route::Kind::kGetVersion);
  if (rest.substr(end) == "/status") return want(http::verb::post, Route::Kind::kSetStatus);
  return not_found();
}

// One handler per endpoint. Each completes by calling `respond` exactly once.
using Respond = std::function<void(Response)>;

void HandleHealth(ServerState&, const http::request<http::string_body>& req, Respond respond) {
  respond(JsonResponse(req.version(), 200, "{\"status\":\"ok\"}\n"));
}

void HandleMetrics(ServerState& s, const http::request<http::string_body>& req, Respond respond) {
  Response res{http::status::ok, req.version()};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = s.metrics.Render({.landing_queue = s.lander->queued(),
                                 .materializing_queue = s.lander->materializing(),
                                 .unstored_bytes = s.lander->unstored_bytes(),
                                 .profiling_queue = s.workers->queued()});
  // Registry series are read at scrape time: the registry is their source of truth, also
  // for versions written by other processes (the CLI).
  if (auto counts = s.options.registry->VersionCounts(); counts.ok()) {
    res.body() +=
        "# HELP latebind_schema_versions_total Schema versions by source and status.\n"
        "# TYPE latebind_schema_versions_total gauge\n";
    for (const auto& [key, n] : *counts) {
      res.body() +=
          fmt::format("latebind_schema_versions_total{{source=\"{}\",status=\"{}\"}} {}\n",
                      key.first, key.second, n);
    }
  }
  if (auto blocked = s.options.registry->BlockedCounts(); blocked.ok()) {
    res.body() +=
        "# HELP latebind_promotion_blocked_total Promotions skipped because of a BREAKING "
        "version, by source.\n"
        "# TYPE latebind_promotion_blocked_total counter\n";
    for (const auto& [source, n] : *blocked) {
      res.body() +=
          fmt::format("latebind_promotion_blocked_total{{source=\"{}\"}} {}\n", source, n);
    }
  }
  if (auto pending = s.options.registry->PendingAlerts(); pending.ok()) {
    res.body() += fmt::format(
        "# HELP latebind_alerts_pending Alert deliveries not yet acknowledged by their sink.\n"
        "# TYPE latebind_alerts_pending gauge\nlatebind_alerts_pending {}\n",
        *pending);
  }
  res.prepare_payload();
  respond(std::move(res));
}

// A registry failure as an error answer (404 unknown source/version, 400, 503 locked...).
Response StatusResponse(unsigned version, const arrow::Status& st) {
  const HttpError e = HttpErrorFor(st);
  return ErrorResponse(version, e.status, e.code, st.message());
}

void HandleListSources(ServerState& s, const http::request<http::string_body>& req,
                       Respond respond) {
  auto sources = s.options.registry->Sources();
  if (!sources.ok()) return respond(StatusResponse(req.version(), sources.status()));
  // A producer's token sees the sources it may post to; an operator's sees every one.
  const TokenAuthenticator* auth = s.options.auth.get();
  const std::string_view token = req[http::field::authorization];
  std::string who;
  const bool sees_all =
      auth == nullptr || auth->CheckOperator(token, &who) == TokenAuthenticator::Decision::kAllowed;
  json list = json::array();
  for (const auto& src : *sources) {
    if (!sees_all && auth->Check(token, src.source_id) != TokenAuthenticator::Decision::kAllowed) {
      continue;
    }
    json j = registry::SourceToJson(src);
    j["id"] = src.source_id;
    list.push_back(std::move(j));
  }
  respond(JsonResponse(req.version(), 200, json{{"sources", list}}.dump() + "\n"));
}

void HandleListVersions(ServerState& s, const std::string& source,
                        const http::request<http::string_body>& req, Respond respond) {
  auto versions = s.options.registry->Versions(source);
  if (!versions.ok()) return respond(StatusResponse(req.version(), versions.status()));
  json list = json::array();
  for (const auto& v : *versions) list.push_back(registry::VersionToJson(v));
  respond(JsonResponse(req.version(), 200,
                       json{{"source_id", source}, {"versions", list}}.dump() + "\n"));
}

// "3" → 3; anything but a positive decimal number is refused.
std::optional<int64_t> ParseVersionNumber(const std::string& text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int64_t n = std::stoll(text);
  return n > 0 ? std::optional<int64_t>(n) : std::nullopt;
}

void HandleGetVersion(ServerState& s, const Route& route,
                      const http::request<http::string_body>& req, Respond respond) {
  const auto n = ParseVersionNumber(route.version);
  if (!n) {
    return respond(ErrorResponse(req.version(), 400, "bad_version",
                                 "version must be a positive integer: " + route.version));
  }
  auto v = s.options.registry->Version(route.source, *n);
  if (!v.ok()) return respond(StatusResponse(req.version(), v.status()));
  auto history = s.options.registry->StatusHistory(route.source);
  if (!history.ok()) return respond(StatusResponse(req.version(), history.status()));
  json out = registry::VersionToJson(*v);
  json changes = json::array();
  for (const auto& c : *history) {
    if (c.version == *n) changes.push_back(registry::StatusChangeToJson(c));
  }
  out["status_history"] = changes;
  respond(JsonResponse(req.version(), 200, out.dump() + "\n"));
}

// Body: {"status": "ACTIVE"|"DEPRECATED", "note": "...", "mappings": {"new": "old"}}.
void HandleSetStatus(ServerState& s, const Route& route, const std::string& who,
                     const http::request<http::string_body>& req, Respond respond) {
  const auto n = ParseVersionNumber(route.version);
  if (!n) {
    return respond(ErrorResponse(req.version(), 400, "bad_version",
                                 "version must be a positive integer: " + route.version));
  }
  const json body = json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& why) {
    respond(ErrorResponse(req.version(), 400, "bad_request", why));
  };
  if (!body.is_object()) return bad("body must be a JSON object {\"status\", \"note\"}");
  if (!body.contains("status") || !body["status"].is_string()) return bad("\"status\" missing");
  const auto status = registry::ParseStatus(body["status"].get<std::string>());
  if (!status) return bad("\"status\" must be ACTIVE or DEPRECATED");
  registry::StatusUpdate update;
  update.status = *status;
  update.note =
      body.contains("note") && body["note"].is_string() ? body["note"].get<std::string>() : "";
  update.who = who;
  if (body.contains("mappings")) {
    if (!body["mappings"].is_object()) return bad("\"mappings\" must map new to old field");
    for (const auto& [to, from] : body["mappings"].items()) {
      if (!from.is_string()) return bad("\"mappings\" values must be field paths");
      update.mappings[to] = from.get<std::string>();
    }
  }
  auto v = s.options.registry->SetStatus(route.source, *n, update);
  if (!v.ok()) return respond(StatusResponse(req.version(), v.status()));
  Log("info", "version status changed",
      {{"source", route.source},
       {"version", *n},
       {"requested", registry::StatusName(*status)},
       {"status", registry::StatusName(v->status)},  // DEPRECATED when a newer one stays ACTIVE
       {"who", who}});
  respond(JsonResponse(req.version(), 200, registry::VersionToJson(*v).dump() + "\n"));
}

// What a POST /v1/promotions body cannot be: an answer's code and message.
struct BadPromoteRequest {
  std::string code;
  std::string message;
};

// Body: empty (every source), or {"sources": [...], "override_breaking": bool,
// "repromote_since_version": n}, each member optional; sets those members of *options.
std::optional<BadPromoteRequest> ParsePromoteRequest(const std::string& text,
                                                     promotion::PromoteOptions* options) {
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); })) {
    return std::nullopt;
  }
  const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](std::string why) { return BadPromoteRequest{"bad_request", std::move(why)}; };
  if (!body.is_object()) {
    return bad(
        "body must be empty or a JSON object {\"sources\", \"override_breaking\", "
        "\"repromote_since_version\"}");
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "sources") {
      if (!value.is_array() || value.empty()) {
        return bad(
            "\"sources\" must be a non-empty array of source ids (leave it out to promote "
            "every source)");
      }
      for (const json& id : value) {
        if (!id.is_string()) return bad("\"sources\" must hold source ids (strings)");
        const std::string source = id.get<std::string>();
        if (auto st = ValidateSourceId(source); !st.ok()) {
          return BadPromoteRequest{"bad_source_id",
                                   fmt::format("\"sources\": '{}': {}", source, st.message())};
        }
        // Named twice, promoted once: the answer has one entry per source.
        if (std::find(options->sources.begin(), options->sources.end(), source) ==
            options->sources.end()) {
          options->sources.push_back(source);
        }
      }
    } else if (key == "override_breaking") {
      if (!value.is_boolean()) return bad("\"override_breaking\" must be true or false");
      options->override_breaking = value.get<bool>();
    } else if (key == "repromote_since_version") {
      if (!value.is_number_integer() || value.get<int64_t>() <= 0) {
        return bad("\"repromote_since_version\" must be a positive integer");
      }
      options->repromote_since_version = value.get<int64_t>();
    } else {
      return bad(
          fmt::format("unknown member \"{}\": expected \"sources\", \"override_breaking\" or "
                      "\"repromote_since_version\"",
                      key));
    }
  }
  return std::nullopt;
}

// Runs the promotion on the promotion thread and answers with `promote --json`'s document.
void HandlePromote(ServerState& s, const std::string& who,
                   const http::request<http::string_body>& req, Respond respond) {
  if (!s.promotions) {
    return respond(
        ErrorResponse(req.version(), 404, "not_found", "this server does not run promotions"));
  }
  promotion::PromoteOptions options = s.options.promote_options;
  if (auto bad = ParsePromoteRequest(req.body(), &options)) {
    return respond(ErrorResponse(req.version(), 400, bad->code, bad->message));
  }
  // A version a named source does not have re-promotes nothing: a typo, answered as
  // `promote --repromote` answers it. A source without versions is the promoter's to report.
  const std::vector<std::string> named =
      options.repromote_since_version > 0 ? options.sources : std::vector<std::string>{};
  for (const std::string& source : named) {
    auto versions = s.options.registry->Versions(source);
    if (!versions.ok() || versions->empty()) continue;
    auto picked = registry::PickVersion(*versions, options.repromote_since_version);
    if (!picked.ok()) {
      return respond(StatusResponse(
          req.version(),
          picked.status().WithMessage("\"repromote_since_version\": ", picked.status().message())));
    }
  }
  const unsigned version = req.version();
  const json fields = {{"who", who},
                       {"sources", options.sources},
                       {"override_breaking", options.override_breaking},
                       {"repromote_since_version", options.repromote_since_version}};
  promotion::Promoter* promoter = s.options.promoter.get();
  const bool accepted = s.promotions->TrySubmit([promoter, options, fields, version, respond] {
    Log("info", "promotion requested", fields);
    auto results = promoter->Run(options);
    // Error texts of failed sources may hold any bytes (paths): never throw on them.
    Response res = results.ok() ? JsonResponse(version, 200,
                                               promotion::PromotionsToJson(*results).dump(
                                                   -1, ' ', false, json::error_handler_t::replace) +
                                                   "\n")
                                : StatusResponse(version, results.status());
    return PromotionWorker::Answer(
        [respond, res = std::move(res)]() mutable { respond(std::move(res)); });
  });
  if (!accepted) {
    respond(ErrorResponse(version, 429, "promotion_running",
                          "another promotion requested over HTTP is still running: retry once "
                          "it has answered"));
  }
}

// The request's Content-Encoding, every field of it: a second field (`identity` then `br`)
// is part of the list (RFC 9110 §5.3) and must not slip past the 415 gate.
std::string ContentEncoding(const http::request<http::string_body>& req) {
  std::string out;
  const auto [begin, end] = req.equal_range(http::field::content_encoding);
  for (auto it = begin; it != end; ++it) {
    if (!out.empty()) out += ", ";
    out += std::string(it->value());
  }
  return out;
}

void HandlePostPayload(ServerState& s, const std::string& source,
                       http::request<http::string_body>&& req, Respond respond) {
  Arrival a;
  a.source = source;
  a.content_type = std::string(req[http::field::content_type]);
  const std::string encoding = ContentEncoding(req);
  a.gzip = beast::iequals(encoding, "gzip") || beast::iequals(encoding, "x-gzip");
  a.idempotency_key = std::string(req["Idempotency-Key"]);
  a.body = std::move(req.body());
  const unsigned version = req.version();
  ServerState* state = &s;
  s.lander->Land(std::move(a), [state, version, respond](arrow::Result<Receipt> r) {
    if (!r.ok()) {
      Log("error", "landing failed", {{"error", r.status().message()}});
      const HttpError e = HttpErrorFor(r.status());
      // Server-side details (paths, errno) stay in the log.
      Response res = ErrorResponse(version, e.status, e.code,
                                   e.status >= 500 ? "storage is unavailable: the payload was "
                                                     "not accepted; retry later"
                                                   : r.status().message());
      if (e.status == 503) res.set(http::field::retry_after, "1");
      respond(std::move(res));
      return;
    }
    Response res = JsonResponse(version, 202,
                                json{{"object", r->object},
                                     {"bytes", r->bytes},
                                     {"sha256", r->sha256},
                                     {"received_at", r->received_at}}
                                        .dump() +
                                    "\n");
    if (r->replayed) res.set(kReplayedHeader, "true");
    respond(std::move(res));
  });
}

// A request Beast could not parse (not a clean close or a message cut short by the client).
bool IsMalformed(const beast::error_code& ec) {
  static const auto& kHttpErrors = http::make_error_code(http::error::bad_method).category();
  return ec.category() == kHttpErrors && ec != http::error::end_of_stream &&
         ec != http::error::partial_message;
}

// What a POST's Content-Encoding cannot be: the stored bytes are the body as received, and
// only gzip is decoded when profiling.
bool IsSupportedEncoding(std::string_view encoding) {
  return encoding.empty() || beast::iequals(encoding, "gzip") ||
         beast::iequals(encoding, "x-gzip") || beast::iequals(encoding, "identity");
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerState* state, std::function<void(Session*)> on_close)
      : stream_(std::move(socket)),
        deadline_(stream_.get_executor()),
        state_(state),
        on_close_(std::move(on_close)) {}
  ~Session() { on_close_(this); }

  void Start() { ReadHeader(); }

  // Closes the connection if it is idle between requests (used when draining).
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.close();
      }
    });
  }

 private:
  void ReadHeader() {
    idle_ = true;
    parser_.emplace();
    parser_->header_limit(state_->options.max_header_bytes);
    parser_->body_limit(state_->options.max_body_bytes);
    ArmDeadline(state_->options.header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    const bool timed_out = Disarm(ec);
    idle_ = false;
    start_ = std::chrono::steady_clock::now();
    // A client that sent part of a request is told why it is cut off; an idle keep-alive
    // connection that expires is closed without a word (an unasked-for answer could be
    // read as the answer to a request the client is just sending).
    if (timed_out) {
      if (buffer_.size() == 0 && !parser_->got_some()) return Close();
      return Reply(RequestTimeout(11, state_->options.header_timeout, "header"), false);
    }
    if (ec == http::error::header_limit) {
      return Reply(ErrorResponse(11, 431, "header_too_large", "request header too large"), false);
    }
    // Beast checks these while parsing the header, before our own checks could run.
    if (ec == http::error::body_limit) {
      return Reply(ErrorResponse(11, 413, "payload_too_large",
                                 fmt::format("body exceeds the limit of {} bytes",
                                             state_->options.max_body_bytes)),
                   false);
    }
    if (ec == http::error::bad_transfer_encoding || ec == http::error::bad_content_length) {
      return Reply(ErrorResponse(11, 400, "bad_request",
                                 "conflicting or invalid Content-Length / Transfer-Encoding"),
                   false);
    }
    if (IsMalformed(ec)) {
      return Reply(ErrorResponse(11, 400, "bad_request", "malformed request: " + ec.message()),
                   false);
    }
    if (ec) return Close();  // end of stream, timeout, reset: nothing was acknowledged
    auto& req = parser_->get();
    head_ = req.method() == http::verb::head;
    // Host, HTTP/1.0 framing and the target's form, before anything reads the target.
    auto target = internal::CheckRequestHead(req);
    if (!target.ok()) return Reply(StatusResponse(req.version(), target.status()), false);
    path_ = target->substr(0, target->find('?'));
    route_ = RouteOf(req.method(), path_);
    // Both framings at once is how requests are smuggled past proxies: refuse.
    if (req.count(http::field::content_length) && req.count(http::field::transfer_encoding)) {
      return Reply(ErrorResponse(req.version(), 400, "bad_request",
                                 "both Content-Length and Transfer-Encoding"),
                   false);
    }
    if (route_.has_source()) {
      if (auto st = ValidateSourceId(route_.source); !st.ok()) {
        route_.source.clear();  // never a metric label: clients choose it
        return Reply(ErrorResponse(req.version(), 400, "bad_source_id", st.message()), false);
      }
    }
    if (req.count(http::field::transfer_encoding) &&
        !beast::iequals(req[http::field::transfer_encoding], "chunked")) {
      return Reply(ErrorResponse(req.version(), 501, "not_implemented",
                                 fmt::format("Transfer-Encoding '{}' is not supported: send "
                                             "Content-Length or chunked alone",
                                             std::string(req[http::field::transfer_encoding]))),
                   false);
    }
    who_ = "api";
    if (state_->options.auth && route_.kind != Route::Kind::kHealth &&
        route_.kind != Route::Kind::kMetrics && route_.kind != Route::Kind::kNotFound &&
        route_.kind != Route::Kind::kBadMethod) {
      // Before the body is read: an unauthenticated client gets nothing stored. Status
      // changes and promotions are an operator's decision; reading a source's schema needs
      // its grant.
      const bool operator_only =
          route_.kind == Route::Kind::kSetStatus || route_.kind == Route::Kind::kPromote;
      const auto decision =
          operator_only
              ? state_->options.auth->CheckOperator(req[http::field::authorization], &who_)
              : state_->options.auth->Check(req[http::field::authorization], route_.source);
      switch (decision) {
        case TokenAuthenticator::Decision::kAllowed:
          break;
        case TokenAuthenticator::Decision::kUnauthenticated: {
          Response res =
              ErrorResponse(req.version(), 401, "unauthorized", "missing or invalid bearer token");
          res.set(http::field::www_authenticate, "Bearer");
          return Reply(std::move(res), false);
        }
        case TokenAuthenticator::Decision::kForbidden: {
          std::string why = "this token is not granted source " + route_.source;
          if (route_.kind == Route::Kind::kSetStatus) {
            why = "changing a version's status needs an operator token";
          } else if (route_.kind == Route::Kind::kPromote) {
            why = "running a promotion needs an operator token";
          }
          return Reply(ErrorResponse(req.version(), 403, "forbidden", why), false);
        }
      }
    }
    if (route_.kind == Route::Kind::kPostPayload) {
      if (const std::string encoding = ContentEncoding(req); !IsSupportedEncoding(encoding)) {
        return Reply(ErrorResponse(req.version(), 415, "unsupported_encoding",
                                   fmt::format("Content-Encoding '{}' is not supported: send "
                                               "the body as it is, or gzip",
                                               encoding)),
                     false);
      }
      if (!parser_->content_length() && !parser_->chunked()) {
        return Reply(ErrorResponse(req.version(), 411, "length_required",
                                   "send Content-Length or a chunked body"),
                     false);
      }
      if (parser_->content_length() &&
          *parser_->content_length() > state_->options.max_body_bytes) {
        return Reply(
            ErrorResponse(req.version(), 413, "payload_too_large",
                          fmt::format("body of {} bytes exceeds the limit of {}",
                                      *parser_->content_length(), state_->options.max_body_bytes)),
            false);
      }
    }
    // The client waits for this before it sends a body (any route: a status change or a
    // promotion request too). HTTP/1.0 has no interim answers (RFC 9110 §10.1.1).
    if (beast::iequals(req[http::field::expect], "100-continue") && req.version() >= 11 &&
        (parser_->content_length().value_or(0) > 0 || parser_->chunked())) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    ArmDeadline(state_->options.body_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (Disarm(ec)) {
      return Reply(RequestTimeout(parser_->get().version(), state_->options.body_timeout, "body"),
                   false);
    }
    if (ec == http::error::body_limit) {
      return Reply(ErrorResponse(11, 413, "payload_too_large",
                                 fmt::format("body exceeds the limit of {} bytes",
                                             state_->options.max_body_bytes)),
                   false);
    }
    if (IsMalformed(ec)) {
      return Reply(ErrorResponse(11, 400, "bad_request", "malformed request: " + ec.message()),
                   false);
    }
    if (ec) return Close();  // the client went away: nothing acknowledged
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    // Counts as outstanding work: io_context::run must not return — not even when
    // draining — while a handler still owes this client its answer.
    auto work = net::prefer(stream_.get_executor(), net::execution::outstanding_work.tracked);
    auto respond = [self = shared_from_this(), work](Response res) {
      // Handlers may answer from another thread (the lander's): back onto our strand.
      net::post(work, [self, res = std::move(res)]() mutable {
        self->Reply(std::move(res), self->keep_alive_);
      });
    };
    switch (route_.kind) {
      case Route::Kind::kPostPayload:
        body_bytes_ = req.body().size();
        return HandlePostPayload(*state_, route_.source, std::move(req), respond);
      case Route::Kind::kHealth:
        return HandleHealth(*state_, req, respond);
      case Route::Kind::kMetrics:
        return HandleMetrics(*state_, req, respond);
      case Route::Kind::kListSources:
        return HandleListSources(*state_, req, respond);
      case Route::Kind::kListVersions:
        return HandleListVersions(*state_, route_.source, req, respond);
      case Route::Kind::kGetVersion:
        return HandleGetVersion(*state_, route_, req, respond);
      case Route::Kind::kSetStatus:
        return HandleSetStatus(*state_, route_, who_, req, respond);
      case Route::Kind::kPromote:
        return HandlePromote(*state_, who_, req, respond);
      case Route::Kind::kBadMethod: {
        Response res =
            ErrorResponse(req.version(), 405, "method_not_allowed",
                          fmt::format("{} {} is not allowed: use {}",
                                      std::string(req.method_string()), path_, route_.allow));
        res.set(http::field::allow, route_.allow);
        return respond(std::move(res));
      }
      case Route::Kind::kNotFound:
        return respond(ErrorResponse(req.version(), 404, "not_found",
                                     fmt::format("no route for {}", std::string(req.target()))));
    }
  }

  void Reply(Response res, bool keep_alive) {
    keep_alive = keep_alive && !state_->draining;
    res.keep_alive(keep_alive);
    if (head_) {
      // The header a GET would get, without its body (RFC 9110 §9.3.2).
      const size_t length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    // A client error is counted without its source: any client could make up ids, and
    // each label is a series kept for the life of the process.
    const unsigned code = res.result_int();
    // A retry answered with the first receipt stored nothing: its bytes were counted once.
    const uint64_t landed = res.count(kReplayedHeader) ? 0 : body_bytes_;
    state_->metrics.CountRequest(code >= 400 && code < 500 ? std::string() : route_.source, code,
                                 landed, seconds);
    auto shared = std::make_shared<Response>(std::move(res));
    stream_.expires_after(state_->options.body_timeout);
    http::async_write(
        stream_, *shared,
        [self = shared_from_this(), shared, keep_alive](beast::error_code ec, size_t) {
          // Draining may have begun while the answer was written.
          if (ec || !keep_alive || self->state_->draining) return self->Close();
          self->body_bytes_ = 0;
          self->route_ = Route{};
          self->head_ = false;
          self->ReadHeader();
        });
  }

  // Ends the connection after the last answer. What the client still sends (the rest of a
  // refused body) is read and dropped for a moment first: closing with unread bytes makes
  // the kernel reset the connection, and a reset can reach the client before the answer.
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    idle_ = true;  // a drain (SIGTERM) closes it at once
    drain_until_ = std::chrono::steady_clock::now() + kLinger;
    Discard();
  }

  void Discard() {
    stream_.expires_at(drain_until_);
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec)
                                self->Discard();  // until the client closes, or the time is up
                            });
  }

  // Reads are timed by a timer of our own, not the stream's: a stream that times out
  // closes its socket at once, and a client that sent part of a request is owed a 408
  // (RFC 9110 §15.5.9) first. The timer cancels the read; Disarm tells the read's handler.
  void ArmDeadline(std::chrono::seconds timeout) {
    stream_.expires_never();
    const uint64_t armed = ++deadline_armed_;
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this(), armed](beast::error_code ec) {
      // A timer that fired as the read completed must not cancel what comes next.
      if (ec || armed != self->deadline_armed_) return;
      self->deadline_hit_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }

  // Whether the read that ended with `ec` was cut by its deadline; stops the timer.
  bool Disarm(const beast::error_code& ec) {
    ++deadline_armed_;
    deadline_.cancel();
    const bool hit = deadline_hit_ && ec == net::error::operation_aborted;
    deadline_hit_ = false;
    return hit;
  }

  static Response RequestTimeout(unsigned version, std::chrono::seconds timeout,
                                 std::string_view part) {
    return ErrorResponse(version, 408, "request_timeout",
                         fmt::format("the request {} did not arrive within {} s: the connection "
                                     "is closed",
                                     part, timeout.count()));
  }

  static constexpr auto kLinger = std::chrono::seconds(2);

  beast::tcp_stream stream_;
  net::steady_timer deadline_;
  uint64_t deadline_armed_ = 0;  // which arming the timer's handler belongs to
  bool deadline_hit_ = false;
  beast::flat_buffer buffer_;
  std::array<char, 16384> discard_;
  std::chrono::steady_clock::time_point drain_until_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerState* state_;
  std::function<void(Session*)> on_close_;
  Route route_;
  std::string path_;  // the target's path: origin-form as sent, or absolute-form's path
  std::string who_;   // the caller, for the audit trail: the token's name, or "api"
  bool keep_alive_ = false;
  bool head_ = false;  // a HEAD request: its answer goes without a body
  bool idle_ = true;
  uint64_t body_bytes_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

struct HttpServer::Impl {
  net::io_context io;
  tcp::acceptor acceptor{io};
  ServerState state;
  std::mutex sessions_mu;
  // Live sessions, to close idle ones when draining. Weak: a dying session is skipped.
  std::map<Session*, std::weak_ptr<Session>> sessions;

  void Accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed: draining
      auto session = std::make_shared<Session>(std::move(socket), &state, [this](Session* s) {
        std::lock_guard lock(sessions_mu);
        sessions.erase(s);
      });
      {
        std::lock_guard lock(sessions_mu);
        sessions.emplace(session.get(), session);
      }
      session->Start();
      Accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

arrow::Result<std::unique_ptr<HttpServer>> HttpServer::Start(
    std::shared_ptr<storage::ObjectStore> store, const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  ServerState& s = impl->state;
  s.options = options;
  s.store = store;
  profiler::ProfileOptions profile;
  profile.threads = 1;  // parallelism comes from several workers and requests
  profile.source.max_decompressed_bytes = options.max_decoded_bytes;
  if (options.registry == nullptr) {
    return MakeError(ErrorKind::kInternal, "HttpServer needs a registry");
  }
  registry::ApplyOptions apply;
  apply.alert_sinks = options.alert_sinks;
  s.processor = std::make_unique<ArrivalProcessor>(store, options.registry, profile, apply);
  s.workers = std::make_unique<ArrivalWorkers>(
      s.processor.get(), options.profile_workers,
      [&s](const std::string& key, const arrow::Result<ArrivalOutcome>& out) {
        const std::string source = storage::SourceOfKey(key);
        if (!out.ok()) {
          Log("error", "profiling failed", {{"object", key}, {"error", out.status().message()}});
          return;
        }
        s.metrics.CountProfiled(source, out->dead_lettered);
        if (out->schema && out->schema->new_version) {
          Log(out->schema->status == registry::VersionStatus::kBreaking ? "warn" : "info",
              "new schema version",
              {{"source", source},
               {"version", out->schema->version},
               {"status", registry::StatusName(out->schema->status)},
               {"object", key}});
          if (s.options.on_new_version) s.options.on_new_version(*out->schema);
        }
        if (out->dead_lettered) {
          const auto& p = out->profile.problems.front();
          Log("warn", "payload cannot be parsed: kept in dead-letter",
              {{"object", out->object},
               {"line", p.line},
               {"byte", p.byte_offset},
               {"reason", p.message}});
        }
      });
  // Acknowledged payloads still only in the log (a crash) go into the raw zone before
  // anything is served.
  std::unique_ptr<WriteAheadLog> wal;
  if (!options.wal_dir.empty()) {
    ARROW_ASSIGN_OR_RAISE(wal, WriteAheadLog::Open(options.wal_dir, options.wal_segment_bytes));
    ARROW_ASSIGN_OR_RAISE(std::vector<std::string> replayed, ReplayWal(wal.get(), store.get()));
    if (!replayed.empty())
      Log("info", "replayed the write-ahead log", {{"payloads", replayed.size()}});
  }
  if (options.promoter) s.promotions = std::make_unique<PromotionWorker>();
  s.lander = std::make_unique<Lander>(store, options.lander, std::move(wal));
  s.lander->OnCommit([&s](size_t n, double seconds) { s.metrics.ObserveCommit(n, seconds); });
  s.lander->OnStored([&s](const std::string& key) { s.workers->Enqueue(key); });
  // Arrivals a previous run landed but did not profile (a crash) come first.
  ARROW_ASSIGN_OR_RAISE(std::vector<std::string> pending, s.processor->Pending());
  for (std::string& key : pending) s.workers->Enqueue(std::move(key));
  if (!pending.empty()) Log("info", "recovering unprofiled arrivals", {{"count", pending.size()}});

  beast::error_code ec;
  const auto address = net::ip::make_address(options.host, ec);
  if (ec)
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("bad listen host {}: {}", options.host, ec.message()));
  const tcp::endpoint endpoint{address, options.port};
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(
        ErrorKind::kUnavailable,
        fmt::format("cannot listen on {}:{}: {}", options.host, options.port, ec.message()));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::Run() {
  Impl& impl = *impl_;
  net::signal_set signals(impl.io, SIGINT, SIGTERM);
  signals.async_wait([&impl](beast::error_code ec, int sig) {
    if (ec) return;
    Log("info", "draining", {{"signal", sig}});
    impl.state.draining = true;
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    // Take the live sessions under the lock, act on them after it: dropping the last
    // reference destroys a session, whose destructor takes the same lock.
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(impl.sessions_mu);
      for (auto& [raw, weak] : impl.sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->CloseIfIdle();
  });
  impl.Accept();
  Log("info", "listening", {{"address", fmt::format("{}:{}", impl.state.options.host, port())}});
  std::vector<std::thread> threads;
  for (int i = 1; i < impl.state.options.io_threads; ++i)
    threads.emplace_back([&] { impl.io.run(); });
  impl.io.run();
  for (auto& t : threads) t.join();
  // Every request in flight got its answer; the lander commits anything still queued.
  // The lander first: its materializer hands stored payloads to the workers.
  impl.state.lander.reset();
  impl.state.workers.reset();
  impl.state.promotions.reset();  // idle: every promotion request was answered
  Log("info", "stopped");
}

}  // namespace latebind::ingest
