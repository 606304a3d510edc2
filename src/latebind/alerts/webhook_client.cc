#include "latebind/alerts/webhook_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <optional>

#include "latebind/alerts/webhook_client_internal.h"
#include "latebind/common/status.h"

namespace latebind::alerts {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

arrow::Status BadUrl(std::string_view url, std::string_view why) {
  return MakeError(ErrorKind::kBadInput, fmt::format("bad webhook URL '{}': {}", url, why));
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool IsIpLiteral(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

arrow::Result<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  WebhookUrl out;
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) {
    return BadUrl(url, "it must start with http:// or https://");
  }
  const std::string_view scheme = url.substr(0, colon);
  if (beast::iequals(scheme, "https")) {
    out.tls = true;
  } else if (!beast::iequals(scheme, "http")) {
    return BadUrl(url, fmt::format("scheme '{}' is not supported (http or https)", scheme));
  }
  std::string_view rest = url.substr(colon + 3);
  rest = rest.substr(0, rest.find('#'));  // a fragment is never sent
  const size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  const std::string_view target = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (authority.find('@') != std::string_view::npos) {
    return BadUrl(url, "credentials in the URL (user:pass@) are not supported");
  }
  std::optional<std::string_view> port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "the IPv6 address has no ']'");
    out.host = std::string(authority.substr(1, close - 1));
    beast::error_code ec;
    net::ip::make_address_v6(out.host, ec);
    if (ec) return BadUrl(url, fmt::format("'{}' is not an IPv6 address", out.host));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      return BadUrl(url, "unexpected characters after the IPv6 address");
    }
    if (!after.empty()) port = after.substr(1);
  } else {
    const size_t port_at = authority.find(':');
    out.host = std::string(authority.substr(0, port_at));
    if (port_at != std::string_view::npos) port = authority.substr(port_at + 1);
    if (out.host.empty()) return BadUrl(url, "the host is missing");
    for (size_t i = 0; i < out.host.size(); ++i) {
      if (!IsHostChar(out.host[i])) {
        return BadUrl(url, fmt::format("the host has an invalid character at position {}", i));
      }
    }
  }
  out.port = out.tls ? 443 : 80;
  if (port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (ec != std::errc() || end != port->data() + port->size() || value == 0 || value > 65535) {
      return BadUrl(url, fmt::format("port '{}' is not a number from 1 to 65535", *port));
    }
    out.port = static_cast<uint16_t>(value);
  }
  out.target = target.starts_with('/') ? std::string(target) : "/" + std::string(target);
  for (size_t i = 0; i < out.target.size(); ++i) {
    const auto c = static_cast<unsigned char>(out.target[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return BadUrl(url, fmt::format("the path has a character that must be percent-encoded "
                                     "(byte {} of the path)",
                                     i));
    }
  }
  return out;
}

std::string WebhookUrl::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) h += fmt::format(":{}", port);
  return h;
}

std::string WebhookUrl::Redacted() const {
  const std::string origin = fmt::format("{}://{}", tls ? "https" : "http", HostHeader());
  if (target == "/") return origin + target;
  // Keep the first segment only when more follow: a lone segment may be the secret itself.
  const std::string path = target.substr(0, target.find('?'));
  const size_t second = path.find('/', 1);
  return origin + (second == std::string::npos ? "" : path.substr(0, second)) + "/…";
}

namespace internal {
namespace {

// One exchange. Owned by the handlers of its pending operations (shared_from_this); `done_`
// makes the callback run once whichever of completion, timeout or Cancel comes first.
class PostOperation : public PendingPost, public std::enable_shared_from_this<PostOperation> {
 public:
  PostOperation(net::io_context& io, std::shared_ptr<ssl::context> tls, WebhookUrl url,
                std::chrono::milliseconds timeout, PostCallback done)
      : tls_context_(std::move(tls)),
        url_(std::move(url)),
        timeout_(timeout),
        done_(std::move(done)),
        resolver_(io),
        deadline_(io) {
    if (url_.tls) {
      tls_stream_.emplace(io, *tls_context_);
    } else {
      tcp_stream_.emplace(io);
    }
  }

  arrow::Status Prepare(std::string body, const std::string& idempotency_key) {
    request_ = {http::verb::post, url_.target, 11};
    request_.set(http::field::host, url_.HostHeader());
    request_.set(http::field::user_agent, "latebind");
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::connection, "close");
    if (!idempotency_key.empty()) request_.set("Idempotency-Key", idempotency_key);
    request_.body() = std::move(body);
    request_.prepare_payload();
    parser_.body_limit(kMaxResponseBodyBytes);
    if (!tls_stream_) return arrow::Status::OK();
    // SNI is for names only (RFC 6066); the certificate must match the host either way.
    if (!IsIpLiteral(url_.host) &&
        !SSL_set_tlsext_host_name(tls_stream_->native_handle(), url_.host.c_str())) {
      return MakeError(ErrorKind::kInternal, "cannot set the TLS server name");
    }
    tls_stream_->set_verify_callback(ssl::host_name_verification(url_.host));
    return arrow::Status::OK();
  }

  void Start() {
    deadline_.expires_after(timeout_);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the exchange ended first
      self->Finish(
          MakeError(ErrorKind::kUnavailable,
                    fmt::format("POST to {} timed out after {} ms while {}", self->url_.Redacted(),
                                self->timeout_.count(), self->phase_)));
    });
    phase_ = "resolving the host";
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->Fail(ec);
          self->Connect(results);
        });
  }

  void Cancel() override {
    Finish(MakeError(ErrorKind::kUnavailable,
                     fmt::format("POST to {} cancelled while {}", url_.Redacted(), phase_)));
  }

 private:
  beast::tcp_stream& Tcp() {
    return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *tcp_stream_;
  }

  // Calls `f` with whichever stream this exchange speaks over.
  template <class F>
  void WithStream(F&& f) {
    if (tls_stream_) {
      f(*tls_stream_);
    } else {
      f(*tcp_stream_);
    }
  }

  void Connect(const tcp::resolver::results_type& results) {
    phase_ = "connecting";
    Tcp().async_connect(results, [self = shared_from_this()](beast::error_code ec,
                                                             const tcp::endpoint&) {
      if (ec) return self->Fail(ec);
      if (!self->tls_stream_) return self->Write();
      self->phase_ = "in the TLS handshake";
      self->tls_stream_->async_handshake(ssl::stream_base::client, [self](beast::error_code ec) {
        if (ec) return self->Fail(ec);
        self->Write();
      });
    });
  }

  void Write() {
    phase_ = "sending the request";
    WithStream([this](auto& stream) {
      http::async_write(stream, request_,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Fail(ec);
                          self->Read();
                        });
    });
  }

  void Read() {
    phase_ = "waiting for the response";
    WithStream([this](auto& stream) {
      http::async_read(stream, buffer_, parser_,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         // A body past the limit, or a TLS peer that hung up without
                         // close_notify: the status line is what matters, and it came.
                         const bool header_is_enough =
                             ec == http::error::body_limit || ec == ssl::error::stream_truncated;
                         if (ec && !(header_is_enough && self->parser_.is_header_done())) {
                           return self->Fail(ec);
                         }
                         self->Succeed();
                       });
    });
  }

  void Succeed() {
    const auto& res = parser_.get();
    WebhookResponse out;
    out.status = res.result_int();
    out.body = res.body();
    const std::string_view retry = res[http::field::retry_after];
    int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(retry.data(), retry.data() + retry.size(), seconds);
    if (!retry.empty() && ec == std::errc() && end == retry.data() + retry.size() && seconds >= 0) {
      out.retry_after = std::chrono::seconds(seconds);
    }
    Finish(std::move(out));
  }

  void Fail(beast::error_code ec) {
    Finish(MakeError(ErrorKind::kUnavailable, fmt::format("POST to {} failed while {}: {}",
                                                          url_.Redacted(), phase_, ec.message())));
  }

  void Finish(arrow::Result<WebhookResponse> result) {
    if (finished_) return;
    finished_ = true;
    // Abandon whatever is pending: those handlers run with operation_aborted and find the
    // exchange finished. Closing without a TLS close_notify is deliberate: the answer is in,
    // and a sink that stalls the shutdown must not cost us another timeout.
    beast::error_code ignored;
    deadline_.cancel();
    resolver_.cancel();
    Tcp().socket().close(ignored);
    PostCallback done = std::move(done_);
    done(std::move(result));
  }

  std::shared_ptr<ssl::context> tls_context_;  // outlives tls_stream_, which refers to it
  WebhookUrl url_;
  std::chrono::milliseconds timeout_;
  PostCallback done_;
  tcp::resolver resolver_;
  net::steady_timer deadline_;
  std::optional<beast::tcp_stream> tcp_stream_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  const char* phase_ = "starting";
  bool finished_ = false;
};

}  // namespace

arrow::Result<std::shared_ptr<ssl::context>> MakeTlsContext(const std::string& ca_file) {
  std::shared_ptr<ssl::context> ctx;
  try {
    ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::kInternal,
                     fmt::format("cannot create a TLS context: {}", e.what()));
  }
  beast::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (!ec) ctx->set_default_verify_paths(ec);
  if (ec) {
    return MakeError(ErrorKind::kInternal,
                     fmt::format("cannot load the system's CA certificates: {}", ec.message()));
  }
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      return MakeError(ErrorKind::kBadInput,
                       fmt::format("cannot load CA file {}: {}", ca_file, ec.message()));
    }
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return MakeError(ErrorKind::kInternal, "cannot enable TLS peer verification");
  return ctx;
}

arrow::Result<std::shared_ptr<PendingPost>> StartPost(net::io_context& io,
                                                      std::shared_ptr<ssl::context> tls,
                                                      const WebhookUrl& url, std::string json_body,
                                                      const std::string& idempotency_key,
                                                      std::chrono::milliseconds timeout,
                                                      PostCallback done) {
  if (url.tls && !tls) {
    return MakeError(ErrorKind::kInternal, "an https sink needs a TLS context");
  }
  std::shared_ptr<PostOperation> op;
  try {
    // Creating the TLS stream allocates an SSL object, which throws when OpenSSL cannot.
    op = std::make_shared<PostOperation>(io, std::move(tls), url, timeout, std::move(done));
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::kInternal, fmt::format("cannot start a POST: {}", e.what()));
  }
  ARROW_RETURN_NOT_OK(op->Prepare(std::move(json_body), idempotency_key));
  op->Start();
  return op;
}

}  // namespace internal

arrow::Result<WebhookResponse> PostJson(const WebhookUrl& url, const std::string& json_body,
                                        const std::string& idempotency_key,
                                        const PostOptions& options) {
  std::shared_ptr<ssl::context> tls;
  if (url.tls) {
    ARROW_ASSIGN_OR_RAISE(tls, internal::MakeTlsContext(options.ca_file));
  }
  net::io_context io;
  std::optional<arrow::Result<WebhookResponse>> result;
  ARROW_RETURN_NOT_OK(
      internal::StartPost(io, std::move(tls), url, json_body, idempotency_key, options.timeout,
                          [&result](arrow::Result<WebhookResponse> r) { result = std::move(r); })
          .status());
  // Not io.run(): that would also wait for operations the outcome made moot.
  while (!result && io.run_one()) {
  }
  if (!result) return MakeError(ErrorKind::kInternal, "the POST ended without an outcome");
  return std::move(*result);
}

}  // namespace latebind::alerts
