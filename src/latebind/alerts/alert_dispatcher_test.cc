#include "latebind/alerts/alert_dispatcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "latebind/alerts/test_sink_for_tests.h"
#include "latebind/common/status.h"

namespace latebind::alerts {
namespace {

using std::chrono::milliseconds;
using test_support::Behavior;
using test_support::TestSink;
using SystemClock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;

// The outbox and versions in memory, as the registry keeps them; everything else is not
// needed by the dispatcher and says so.
class FakeRegistry : public registry::Registry {
 public:
  struct Row {
    registry::PendingDelivery delivery;
    SystemClock::time_point next_attempt;
    bool delivered = false;
    int marked_delivered = 0;
    std::string last_error;
    std::vector<milliseconds> waits;  // next_attempt - now of each MarkFailed
  };

  void AddVersion(registry::SchemaVersion v) {
    std::lock_guard lock(mu_);
    versions_[{v.source_id, v.version}] = std::move(v);
  }

  // One row per sink, as Apply writes them with a BREAKING version; returns the alert id.
  int64_t AddAlert(const std::string& source, int64_t version,
                   const std::vector<std::string>& sinks) {
    std::lock_guard lock(mu_);
    const int64_t id = ++last_alert_id_;
    for (const std::string& sink : sinks) {
      Row row;
      row.delivery = {.alert_id = id,
                      .sink = sink,
                      .source_id = source,
                      .version = version,
                      .attempts = 0,
                      .idempotency_key = "latebind-alert-" + std::to_string(id) + "-" +
                                         std::to_string(rows_.size())};
      row.next_attempt = SystemClock::now();
      rows_.push_back(std::move(row));
    }
    return id;
  }

  Row RowOf(int64_t alert_id, const std::string& sink) {
    std::lock_guard lock(mu_);
    return *Find(alert_id, sink);
  }

  bool WaitDelivered(int64_t alert_id, const std::string& sink, milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return Find(alert_id, sink)->delivered; });
  }

  bool WaitFailures(int64_t alert_id, const std::string& sink, size_t n, milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return Find(alert_id, sink)->waits.size() >= n; });
  }

  arrow::Result<std::vector<registry::PendingDelivery>> DueDeliveries(SystemClock::time_point now,
                                                                      int limit) override {
    // As the registry's: each sink's oldest owed row (rows are added in alert order), if due.
    std::lock_guard lock(mu_);
    std::vector<registry::PendingDelivery> due;
    std::set<std::string> owing;
    for (const Row& r : rows_) {
      if (r.delivered || !owing.insert(r.delivery.sink).second) continue;
      if (r.next_attempt <= now && static_cast<int>(due.size()) < limit) due.push_back(r.delivery);
    }
    return due;
  }
  arrow::Status MarkDelivered(int64_t alert_id, const std::string& sink) override {
    std::lock_guard lock(mu_);
    Row* r = Find(alert_id, sink);
    r->delivered = true;
    r->marked_delivered++;
    cv_.notify_all();
    return arrow::Status::OK();
  }
  arrow::Status MarkFailed(int64_t alert_id, const std::string& sink, const std::string& error,
                           SystemClock::time_point next_attempt) override {
    std::lock_guard lock(mu_);
    Row* r = Find(alert_id, sink);
    r->delivery.attempts++;
    r->last_error = error;
    r->next_attempt = next_attempt;
    r->waits.push_back(std::chrono::duration_cast<milliseconds>(next_attempt - SystemClock::now()));
    cv_.notify_all();
    return arrow::Status::OK();
  }
  arrow::Result<int64_t> PendingAlerts() override {
    std::lock_guard lock(mu_);
    return std::count_if(rows_.begin(), rows_.end(), [](const Row& r) { return !r.delivered; });
  }
  arrow::Result<int64_t> SetAlertSinks(const std::vector<std::string>&) override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Result<registry::SchemaVersion> Version(const std::string& source_id,
                                                 int64_t version) override {
    std::lock_guard lock(mu_);
    auto it = versions_.find({source_id, version});
    if (it == versions_.end()) {
      return MakeError(ErrorKind::kNotFound,
                       "no version " + std::to_string(version) + " of source " + source_id);
    }
    return it->second;
  }

  arrow::Result<std::vector<registry::ApplyOutcome>> Apply(
      const std::vector<registry::ProfiledPayload>&, const registry::ApplyOptions&) override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Status RecordDeadLetter(const std::string&, const std::string&,
                                 const std::string&) override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Status ClearDeadLetter(const std::string&) override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Result<std::vector<std::string>> Unrecorded(const std::vector<std::string>&) override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Result<std::vector<registry::SourceSummary>> Sources() override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Result<std::vector<registry::SchemaVersion>> Versions(const std::string&) override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Result<registry::SchemaVersion> SetStatus(const std::string&, int64_t,
                                                   const registry::StatusUpdate&) override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Result<std::vector<registry::StatusChange>> StatusHistory(const std::string&) override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Result<std::map<std::pair<std::string, std::string>, int64_t>> VersionCounts() override {
    return arrow::Status::NotImplemented("fake");
  }
  arrow::Result<std::vector<registry::PromotableObject>> Unpromoted(const std::string&) override {
    return std::vector<registry::PromotableObject>{};
  }
  arrow::Result<registry::RepromotionSet> PromotedSince(const std::string&, int64_t) override {
    return registry::RepromotionSet{};
  }
  arrow::Result<std::map<std::string, std::string>> ColumnNames(const std::string&) override {
    return std::map<std::string, std::string>{};
  }
  arrow::Status CommitPromotion(const registry::PromotionRun&, bool) override {
    return arrow::Status::OK();
  }
  arrow::Result<std::vector<registry::PromotionRun>> UnpublishedRuns() override {
    return std::vector<registry::PromotionRun>{};
  }
  arrow::Status MarkPublished(const std::string&) override { return arrow::Status::OK(); }
  arrow::Result<bool> RunCommitted(const std::string&) override { return false; }
  arrow::Status RecordBlocked(const std::string&, const std::vector<int64_t>&) override {
    return arrow::Status::OK();
  }
  arrow::Result<std::map<std::string, int64_t>> BlockedCounts() override {
    return std::map<std::string, int64_t>{};
  }
  arrow::Result<std::vector<registry::CuratedTable>> Tables() override {
    return std::vector<registry::CuratedTable>{};
  }
  arrow::Result<std::optional<registry::CuratedTable>> Table(const std::string&) override {
    return std::nullopt;
  }

 private:
  Row* Find(int64_t alert_id, const std::string& sink) {
    for (Row& r : rows_) {
      if (r.delivery.alert_id == alert_id && r.delivery.sink == sink) return &r;
    }
    ADD_FAILURE() << "no outbox row for alert " << alert_id << " and sink " << sink;
    static Row none;
    return &none;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<std::string, int64_t>, registry::SchemaVersion> versions_;
  std::vector<Row> rows_;
  int64_t last_alert_id_ = 0;
};

registry::SchemaVersion Orders(int64_t version) {
  registry::SchemaVersion v;
  v.source_id = "orders";
  v.version = version;
  v.status = registry::VersionStatus::kBreaking;
  v.compatibility = registry::Compatibility::kBackward;
  v.field_diff.renamed["transaction_date"] = {"txn_date", 0.9};
  return v;
}

class AlertDispatcherTest : public ::testing::Test {
 protected:
  AlertDispatcherTest() : registry_(std::make_shared<FakeRegistry>()) {
    registry_->AddVersion(Orders(3));
    registry_->AddVersion(Orders(4));
    options_.post_timeout = milliseconds(300);
    options_.backoff_initial = milliseconds(100);
    options_.poll_interval = milliseconds(1000);
  }

  std::shared_ptr<FakeRegistry> registry_;
  AlertDispatcherOptions options_;
};

TEST(Backoff, DoublesFromTheInitialWaitUpToTheMaximum) {
  AlertDispatcherOptions o;  // 500 ms doubling to 60 s, 20% jitter
  EXPECT_EQ(Backoff(1, o, 0.0), milliseconds(500));
  EXPECT_EQ(Backoff(2, o, 0.0), milliseconds(1000));
  EXPECT_EQ(Backoff(3, o, 0.0), milliseconds(2000));
  EXPECT_EQ(Backoff(7, o, 0.0), milliseconds(32000));
  EXPECT_EQ(Backoff(8, o, 0.0), milliseconds(60000));
  EXPECT_EQ(Backoff(1000, o, 0.0), milliseconds(60000));
  EXPECT_EQ(Backoff(0, o, 0.0), milliseconds(500));
  // Jitter takes up to 20% off, never adds.
  EXPECT_EQ(Backoff(1, o, 0.5), milliseconds(450));
  EXPECT_GE(Backoff(8, o, 0.9999), milliseconds(48000));
  // With jitter a later wait is still longer than an earlier one before the cap.
  for (int n = 1; n < 7; ++n) EXPECT_GT(Backoff(n + 1, o, 0.9999), Backoff(n, o, 0.0));
}

TEST_F(AlertDispatcherTest, RetriesUntilTheSinkAnswers2xxThenDeliversOnce) {
  TestSink sink;
  sink.Script({Behavior::Status(500), Behavior::Hang()}, Behavior::Status(200));
  const int64_t alert = registry_->AddAlert("orders", 3, {sink.url()});
  AlertDispatcher dispatcher(registry_, options_);
  ASSERT_TRUE(dispatcher.Start().ok());
  ASSERT_TRUE(registry_->WaitDelivered(alert, sink.url(), milliseconds(5000)));

  // 500, then no answer within 300 ms, then 200: three POSTs, one delivery.
  const auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 3u);
  const FakeRegistry::Row row = registry_->RowOf(alert, sink.url());
  for (const auto& r : requests) {
    EXPECT_EQ(r.headers.at("Idempotency-Key"), row.delivery.idempotency_key);
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["latebind"]["source_id"], "orders");
    EXPECT_EQ(body["latebind"]["version"], 3);
    EXPECT_EQ(body["latebind"]["resolve_command"],
              "latebind schema resolve orders --version 3 --status ACTIVE --note \"...\" "
              "--map txn_date=transaction_date");
  }
  EXPECT_EQ(row.marked_delivered, 1);
  ASSERT_EQ(row.waits.size(), 2u);
  EXPECT_NE(row.last_error.find("timed out"), std::string::npos) << row.last_error;
  // 100 ms then 200 ms, each less up to 20% jitter (and the time the fake took to record).
  EXPECT_GE(row.waits[0], milliseconds(60));
  EXPECT_LE(row.waits[0], milliseconds(100));
  EXPECT_GE(row.waits[1], milliseconds(140));
  EXPECT_LE(row.waits[1], milliseconds(200));
  EXPECT_GT(row.waits[1], row.waits[0]);
  // The retry came after the wait, not before.
  EXPECT_GE(requests[1].at - requests[0].at, row.waits[0] - milliseconds(10));
  EXPECT_GE(requests[2].at - requests[1].at,
            options_.post_timeout + row.waits[1] - milliseconds(10));
  EXPECT_EQ(dispatcher.delivered(), 1);
  EXPECT_EQ(dispatcher.failed(), 2);

  // Delivered means done: nothing more is posted.
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_EQ(sink.requests().size(), 3u);
  EXPECT_EQ(*registry_->PendingAlerts(), 0);
}

TEST_F(AlertDispatcherTest, NotifySendsAtOnceWithoutWaitingForThePoll) {
  TestSink sink;
  options_.poll_interval = milliseconds(60000);
  AlertDispatcher dispatcher(registry_, options_);
  ASSERT_TRUE(dispatcher.Start().ok());
  std::this_thread::sleep_for(milliseconds(100));  // the first poll found nothing
  const auto start = SteadyClock::now();
  const int64_t alert = registry_->AddAlert("orders", 3, {sink.url()});
  dispatcher.Notify();
  ASSERT_TRUE(registry_->WaitDelivered(alert, sink.url(), milliseconds(2000)));
  EXPECT_LT(SteadyClock::now() - start, milliseconds(500));
}

TEST_F(AlertDispatcherTest, AFailingSinkDoesNotHoldUpAnother) {
  TestSink dead;  // never answers
  dead.Script({}, Behavior::Hang());
  TestSink failing;  // answers 500 forever
  failing.Script({}, Behavior::Status(500));
  TestSink good;
  options_.post_timeout = milliseconds(3000);
  const int64_t first = registry_->AddAlert("orders", 3, {dead.url(), failing.url(), good.url()});
  AlertDispatcher dispatcher(registry_, options_);
  const auto start = SteadyClock::now();
  ASSERT_TRUE(dispatcher.Start().ok());
  ASSERT_TRUE(registry_->WaitDelivered(first, good.url(), milliseconds(1000)));
  EXPECT_LT(SteadyClock::now() - start, milliseconds(500));

  // A second alert while the dead sink still holds the first one's POST open.
  ASSERT_TRUE(dead.WaitForRequests(1, milliseconds(1000)));
  const auto second_at = SteadyClock::now();
  const int64_t second = registry_->AddAlert("orders", 4, {dead.url(), failing.url(), good.url()});
  dispatcher.Notify();
  ASSERT_TRUE(registry_->WaitDelivered(second, good.url(), milliseconds(1000)));
  EXPECT_LT(SteadyClock::now() - second_at, milliseconds(500));

  EXPECT_FALSE(registry_->RowOf(first, dead.url()).delivered);
  EXPECT_FALSE(registry_->RowOf(first, failing.url()).delivered);
  EXPECT_EQ(dead.requests().size(), 1u);  // one POST per sink at a time
  EXPECT_EQ(good.requests().size(), 2u);
  ASSERT_TRUE(registry_->WaitFailures(first, failing.url(), 2, milliseconds(2000)));
  EXPECT_NE(registry_->RowOf(first, failing.url()).last_error.find("HTTP 500"), std::string::npos);
}

TEST_F(AlertDispatcherTest, StopIsPromptDuringAPostInFlightAndTheAlertStaysOwed) {
  TestSink sink;
  sink.Script({Behavior::Hang()}, Behavior::Status(200));
  options_.post_timeout = milliseconds(10000);
  const int64_t alert = registry_->AddAlert("orders", 3, {sink.url()});
  {
    AlertDispatcher dispatcher(registry_, options_);
    ASSERT_TRUE(dispatcher.Start().ok());
    ASSERT_TRUE(sink.WaitForRequests(1, milliseconds(2000)));
    const auto start = SteadyClock::now();
    dispatcher.Stop();
    EXPECT_LT(SteadyClock::now() - start, milliseconds(200));
  }
  FakeRegistry::Row row = registry_->RowOf(alert, sink.url());
  EXPECT_FALSE(row.delivered);
  EXPECT_EQ(row.delivery.attempts, 0);  // abandoned, not failed

  // As after a restart: the alert goes out again, with the same key.
  AlertDispatcher restarted(registry_, options_);
  ASSERT_TRUE(restarted.Start().ok());
  ASSERT_TRUE(registry_->WaitDelivered(alert, sink.url(), milliseconds(2000)));
  const auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.at("Idempotency-Key"), requests[1].headers.at("Idempotency-Key"));
  EXPECT_EQ(registry_->RowOf(alert, sink.url()).marked_delivered, 1);
}

TEST_F(AlertDispatcherTest, StopIsPromptDuringABackoffWait) {
  TestSink sink;
  sink.Script({}, Behavior::Status(503));
  options_.backoff_initial = milliseconds(30000);
  const int64_t alert = registry_->AddAlert("orders", 3, {sink.url()});
  AlertDispatcher dispatcher(registry_, options_);
  ASSERT_TRUE(dispatcher.Start().ok());
  ASSERT_TRUE(registry_->WaitFailures(alert, sink.url(), 1, milliseconds(2000)));
  const auto start = SteadyClock::now();
  dispatcher.Stop();
  EXPECT_LT(SteadyClock::now() - start, milliseconds(200));
  dispatcher.Stop();    // idempotent
  dispatcher.Notify();  // ignored
  EXPECT_EQ(sink.requests().size(), 1u);
}

TEST_F(AlertDispatcherTest, AMissingVersionIsRescheduledNotPosted) {
  TestSink sink;
  const int64_t alert = registry_->AddAlert("orders", 99, {sink.url()});
  AlertDispatcher dispatcher(registry_, options_);
  ASSERT_TRUE(dispatcher.Start().ok());
  ASSERT_TRUE(registry_->WaitFailures(alert, sink.url(), 1, milliseconds(2000)));
  EXPECT_NE(registry_->RowOf(alert, sink.url()).last_error.find("cannot read the version"),
            std::string::npos);
  EXPECT_TRUE(sink.requests().empty());
}

TEST_F(AlertDispatcherTest, HonoursRetryAfter) {
  TestSink sink;
  sink.Script({}, Behavior::Status(429, "slow down", "3"));
  const int64_t alert = registry_->AddAlert("orders", 3, {sink.url()});
  AlertDispatcher dispatcher(registry_, options_);
  ASSERT_TRUE(dispatcher.Start().ok());
  ASSERT_TRUE(registry_->WaitFailures(alert, sink.url(), 1, milliseconds(2000)));
  const FakeRegistry::Row row = registry_->RowOf(alert, sink.url());
  EXPECT_GE(row.waits[0], milliseconds(2900));  // not the 100 ms backoff
  EXPECT_NE(row.last_error.find("HTTP 429: slow down"), std::string::npos) << row.last_error;
}

TEST_F(AlertDispatcherTest, DeliversOverHttpsWithTheConfiguredCa) {
  const test_support::TestCertificate cert = test_support::MakeSelfSignedCertificate();
  const std::filesystem::path ca_file =
      std::filesystem::temp_directory_path() /
      ("latebind-dispatcher-ca-" + std::to_string(::getpid()) + ".pem");
  std::ofstream(ca_file) << cert.cert_pem;
  TestSink sink(cert);
  options_.ca_file = ca_file.string();
  const int64_t alert = registry_->AddAlert("orders", 3, {sink.url()});
  AlertDispatcher dispatcher(registry_, options_);
  ASSERT_TRUE(dispatcher.Start().ok());
  EXPECT_TRUE(registry_->WaitDelivered(alert, sink.url(), milliseconds(3000)));
  std::filesystem::remove(ca_file);
}

TEST_F(AlertDispatcherTest, StartTwiceIsRefused) {
  AlertDispatcher dispatcher(registry_, options_);
  ASSERT_TRUE(dispatcher.Start().ok());
  EXPECT_FALSE(dispatcher.Start().ok());
}

TEST_F(AlertDispatcherTest, AnUnreadableCaFileFailsStart) {
  options_.ca_file = "/nonexistent/ca.pem";
  AlertDispatcher dispatcher(registry_, options_);
  const arrow::Status st = dispatcher.Start();
  EXPECT_EQ(KindOf(st), ErrorKind::kBadInput) << st.ToString();
}

}  // namespace
}  // namespace latebind::alerts
