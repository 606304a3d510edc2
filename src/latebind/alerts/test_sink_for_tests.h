// A webhook sink for the alerts tests: a Boost.Beast HTTP(S) server on 127.0.0.1 with an
// ephemeral port, on its own thread, answering each request as scripted (a status, or
// never) and recording what it got. Also a self-signed certificate for 127.0.0.1, so the
// TLS path is tested against a real handshake. Test-only, header-only.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace latebind::alerts::test_support {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// A P-256 key and a certificate for IP 127.0.0.1 signed by itself, valid for a day.
inline TestCertificate MakeSelfSignedCertificate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("latebind test sink"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  auto to_string = [](BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(bio);
    return s;
  };
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  TestCertificate out{to_string(cert_bio), to_string(key_bio)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// How the sink answers one request.
struct Behavior {
  int status = 200;
  bool hang = false;  // read the request, never answer
  std::string body = "ok";
  std::string retry_after;  // a Retry-After header when not empty

  static Behavior Status(int s, std::string body = "ok", std::string retry_after = "") {
    Behavior b;
    b.status = s;
    b.body = std::move(body);
    b.retry_after = std::move(retry_after);
    return b;
  }
  static Behavior Hang() {
    Behavior b;
    b.hang = true;
    return b;
  }
};

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // as sent, names as sent
  std::string body;
  std::chrono::steady_clock::time_point at;
};

class TestSink {
 public:
  // Listens before returning; with a certificate, speaks TLS only.
  explicit TestSink(std::optional<TestCertificate> tls = std::nullopt) {
    if (tls) {
      tls_.emplace(net::ssl::context::tls_server);
      tls_->use_certificate_chain(net::buffer(tls->cert_pem));
      tls_->use_private_key(net::buffer(tls->key_pem), net::ssl::context::pem);
    }
    const tcp::endpoint endpoint{net::ip::make_address("127.0.0.1"), 0};
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TestSink() {
    // Destroys every session, hanging ones included: their clients see the connection go.
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) + path;
  }

  // Answers the next requests as `replies` say, in order, then each one as `then`.
  void Script(std::vector<Behavior> replies, Behavior then = {}) {
    std::lock_guard lock(mu_);
    script_.assign(replies.begin(), replies.end());
    fallback_ = std::move(then);
  }

  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  // Whether `n` requests arrived within `timeout`.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      if (tls_) {
        auto stream =
            std::make_shared<beast::ssl_stream<beast::tcp_stream>>(std::move(socket), *tls_);
        stream->async_handshake(net::ssl::stream_base::server,
                                [this, stream](beast::error_code ec) {
                                  if (!ec) Serve(stream);
                                });
      } else {
        Serve(std::make_shared<beast::tcp_stream>(std::move(socket)));
      }
      Accept();
    });
  }

  template <class Stream>
  void Serve(std::shared_ptr<Stream> stream) {
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<http::request<http::string_body>>();
    http::async_read(
        *stream, *buffer, *req, [this, stream, buffer, req](beast::error_code ec, size_t) {
          if (ec) return;
          const Behavior b = Record(*req);
          if (b.hang) {
            // Keep the connection open and silent until the sink is destroyed.
            hanging_.push_back(stream);
            return;
          }
          auto res = std::make_shared<http::response<http::string_body>>(
              static_cast<http::status>(b.status), 11);
          res->body() = b.body;
          if (!b.retry_after.empty()) res->set(http::field::retry_after, b.retry_after);
          res->keep_alive(false);
          res->prepare_payload();
          http::async_write(*stream, *res, [stream, res](beast::error_code, size_t) {
            beast::error_code ignored;
            beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
          });
        });
  }

  Behavior Record(const http::request<http::string_body>& req) {
    ReceivedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& field : req) r.headers[std::string(field.name_string())] = field.value();
    r.body = req.body();
    r.at = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
    cv_.notify_all();
    if (script_.empty()) return fallback_;
    Behavior b = script_.front();
    script_.pop_front();
    return b;
  }

  // Before io_: the sessions that io_ destroys last refer to it.
  std::optional<net::ssl::context> tls_;
  net::io_context io_;
  tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::vector<std::shared_ptr<void>> hanging_;  // io thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Behavior> script_;
  Behavior fallback_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

}  // namespace latebind::alerts::test_support
