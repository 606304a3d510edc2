#include "latebind/ingest/promotion_worker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace latebind::ingest {
namespace {

TEST(PromotionWorkerTest, RunsOffTheCallingThread) {
  PromotionWorker worker;
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(worker.TrySubmit([&] {
    ran_on.set_value(std::this_thread::get_id());
    return PromotionWorker::Answer();
  }));
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
}

TEST(PromotionWorkerTest, RefusesWhileOneIsRunningThenAcceptsAgain) {
  PromotionWorker worker;
  std::promise<void> started;
  std::promise<void> release;
  std::promise<void> finished;
  ASSERT_TRUE(worker.TrySubmit([&] {
    started.set_value();
    release.get_future().wait();
    return PromotionWorker::Answer([&] { finished.set_value(); });
  }));
  started.get_future().wait();
  bool second_ran = false;
  EXPECT_FALSE(worker.TrySubmit([&] {
    second_ran = true;
    return PromotionWorker::Answer();
  }));
  release.set_value();
  // The slot is free by the time the answer goes out: a client may send its next request
  // as soon as it has read its answer.
  finished.get_future().wait();
  std::promise<void> third;
  ASSERT_TRUE(
      worker.TrySubmit([&] { return PromotionWorker::Answer([&] { third.set_value(); }); }));
  third.get_future().wait();
  EXPECT_FALSE(second_ran);
}

TEST(PromotionWorkerTest, JobAndAnswerAreDestroyedOnceAnswered) {
  PromotionWorker worker;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  std::promise<void> ran;
  ASSERT_TRUE(worker.TrySubmit([&ran, token = std::move(token)] {
    return PromotionWorker::Answer([&ran, token] { ran.set_value(); });
  }));
  ran.get_future().wait();
  for (int i = 0; i < 2000 && !watch.expired(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(watch.expired());
}

TEST(PromotionWorkerTest, DestructorRunsAndAnswersAnAcceptedJob) {
  bool ran = false;
  {
    PromotionWorker worker;
    ASSERT_TRUE(worker.TrySubmit([&] { return PromotionWorker::Answer([&] { ran = true; }); }));
  }
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace latebind::ingest
