// The asynchronous form of PostJson, for the dispatcher, which runs many posts on one
// io_context and must be able to abandon them. Module-internal: it exposes Boost.Asio.
#pragma once

#include <arrow/result.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>

#include "latebind/alerts/webhook_client.h"

namespace latebind::alerts::internal {

// A client TLS context: TLS 1.2 or later, peers verified against the system's CA store
// plus `ca_file` when not empty. kBadInput when `ca_file` cannot be loaded. Creating one
// reads the CA store: share it between posts. Thread-safe once made.
arrow::Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(
    const std::string& ca_file);

// One POST under way.
class PendingPost {
 public:
  virtual ~PendingPost() = default;
  // Abandons the post: its callback runs with kUnavailable "cancelled" (at once, on the
  // caller's stack). Does nothing once the callback ran. Call on the io_context's thread.
  virtual void Cancel() = 0;
};

using PostCallback = std::function<void(arrow::Result<WebhookResponse>)>;

// Starts PostJson's exchange on `io`; `done` runs exactly once on a thread running `io`,
// with what PostJson would return, unless `io` is stopped and destroyed first (then never).
// `tls` is required for an https URL. Call on the io_context's thread, or before it runs.
arrow::Result<std::shared_ptr<PendingPost>> StartPost(
    boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
    const WebhookUrl& url, std::string json_body, const std::string& idempotency_key,
    std::chrono::milliseconds timeout, PostCallback done);

}  // namespace latebind::alerts::internal
