#include "latebind/ingest/metrics.h"

#include <fmt/format.h>

namespace latebind::ingest {

void Histogram::Observe(double seconds) {
  std::lock_guard lock(mu_);
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  ++counts_[i];
  sum_ += seconds;
  ++count_;
}

void Histogram::Render(const std::string& name, const std::string& help, std::string* out) const {
  std::lock_guard lock(mu_);
  *out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += counts_[i];
    *out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBounds[i], cumulative);
  }
  cumulative += counts_[kBounds.size()];
  *out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, cumulative,
                      name, sum_, name, count_);
}

void Metrics::CountRequest(const std::string& source, int status, uint64_t body_bytes,
                           double seconds) {
  {
    std::lock_guard lock(mu_);
    ++requests_[{source, status}];
    if (!source.empty() && status == 202) bytes_[source] += body_bytes;
  }
  request_seconds_.Observe(seconds);
}

void Metrics::ObserveCommit(size_t batch, double seconds) {
  {
    std::lock_guard lock(mu_);
    ++commits_;
    committed_payloads_ += batch;
  }
  commit_seconds_.Observe(seconds);
}

void Metrics::CountProfiled(const std::string& source, bool dead_lettered) {
  std::lock_guard lock(mu_);
  ++profiled_[source];
  if (dead_lettered) ++profiling_failures_[source];
}

std::string Metrics::Render(const Backlog& backlog) const {
  std::string out;
  {
    std::lock_guard lock(mu_);
    out +=
        "# HELP latebind_http_requests_total HTTP requests by source and status code.\n"
        "# TYPE latebind_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      out += fmt::format("latebind_http_requests_total{{source=\"{}\",code=\"{}\"}} {}\n",
                         key.first, key.second, n);
    }
    out +=
        "# HELP latebind_ingested_bytes_total Payload bytes acknowledged (202), by source.\n"
        "# TYPE latebind_ingested_bytes_total counter\n";
    for (const auto& [source, n] : bytes_) {
      out += fmt::format("latebind_ingested_bytes_total{{source=\"{}\"}} {}\n", source, n);
    }
    out +=
        "# HELP latebind_profiled_total Landed payloads profiled, by source.\n"
        "# TYPE latebind_profiled_total counter\n";
    for (const auto& [source, n] : profiled_) {
      out += fmt::format("latebind_profiled_total{{source=\"{}\"}} {}\n", source, n);
    }
    out +=
        "# HELP latebind_profiling_failures_total Payloads that could not be parsed "
        "(dead-lettered), by source.\n# TYPE latebind_profiling_failures_total counter\n";
    for (const auto& [source, n] : profiling_failures_) {
      out += fmt::format("latebind_profiling_failures_total{{source=\"{}\"}} {}\n", source, n);
    }
    out += fmt::format(
        "# HELP latebind_commits_total Group commits (shared syncs).\n"
        "# TYPE latebind_commits_total counter\nlatebind_commits_total {}\n"
        "# HELP latebind_committed_payloads_total Payloads made durable by group commits.\n"
        "# TYPE latebind_committed_payloads_total counter\nlatebind_committed_payloads_total {}\n",
        commits_, committed_payloads_);
  }
  out += fmt::format(
      "# HELP latebind_queue_depth Work waiting, by stage.\n# TYPE latebind_queue_depth gauge\n"
      "latebind_queue_depth{{stage=\"landing\"}} {}\n"
      "latebind_queue_depth{{stage=\"materializing\"}} {}\n"
      "latebind_queue_depth{{stage=\"profiling\"}} {}\n"
      "# HELP latebind_unstored_bytes Bytes acknowledged from the write-ahead log and not yet "
      "in the raw zone (--wal).\n# TYPE latebind_unstored_bytes gauge\n"
      "latebind_unstored_bytes {}\n",
      backlog.landing_queue, backlog.materializing_queue, backlog.profiling_queue,
      backlog.unstored_bytes);
  request_seconds_.Render("latebind_http_request_duration_seconds",
                          "Time from request header to response.", &out);
  commit_seconds_.Render("latebind_commit_duration_seconds",
                         "Time of one group commit (writes and syncs).", &out);
  return out;
}

}  // namespace latebind::ingest
