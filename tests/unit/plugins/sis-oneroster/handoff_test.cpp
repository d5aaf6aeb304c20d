// run_beside: the pass's records reach the deliverer in order, on the calling thread, with only a
// bounded number waiting; the pass's result and its failures come back to the caller.
#include "handoff.hpp"

#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace schakel::sis_oneroster {
namespace {

using nlohmann::json;

json envelope(int i) {
  return json{{"source_key", "stu-" + std::to_string(i)}, {"source_version", "2026-09-01T06:00:00.000000Z"}};
}

Outgoing outgoing(const std::string& stream, int i) {
  return Outgoing{stream, envelope(i).dump(), "2026-09-01T06:00:00.000000Z", ""};
}

TEST(Handoff, EveryRecordArrivesInOrderOnTheCallingThreadWithFewWaiting) {
  // Several times what may wait, so the bound below is tested.
  constexpr int k_records = int(Handoff::k_batch * (Handoff::k_waiting_batches + 2) * 3);
  std::atomic<int> produced{0};
  int delivered = 0;
  std::size_t most_waiting = 0;
  const auto caller = std::this_thread::get_id();
  bool pass_on_other_thread = false;
  auto stats = run_beside(
      [&](const SyncOutput& out) -> Result<SyncStats> {
        pass_on_other_thread = std::this_thread::get_id() != caller;
        for (int i = 0; i < k_records; ++i) {
          produced.fetch_add(1);
          out.emit(outgoing(i % 2 ? "students" : "guardians", i));
        }
        SyncStats s;
        s.rejected = 7;
        return s;
      },
      [&](Outgoing& o) {
        ASSERT_EQ(std::this_thread::get_id(), caller);
        EXPECT_EQ(json::parse(o.text), envelope(delivered));
        EXPECT_EQ(o.stream, delivered % 2 ? "students" : "guardians");
        EXPECT_EQ(o.version, "2026-09-01T06:00:00.000000Z");
        most_waiting = std::max(most_waiting, static_cast<std::size_t>(produced.load() - delivered));
        ++delivered;
      });
  ASSERT_TRUE(stats) << stats.status().message();
  EXPECT_TRUE(pass_on_other_thread);
  EXPECT_EQ(stats->rejected, 7u);
  EXPECT_EQ(delivered, k_records);
  // The batch being filled, the full ones waiting, the one being delivered: never the whole pass.
  EXPECT_LE(most_waiting, Handoff::k_batch * (Handoff::k_waiting_batches + 2));
}

TEST(Handoff, APassThatThrowsIsAnErrorAfterWhatItEmittedIsDelivered) {
  int delivered = 0;
  auto stats = run_beside(
      [&](const SyncOutput& out) -> Result<SyncStats> {
        for (int i = 0; i < 300; ++i) out.emit(outgoing("students", i));
        throw std::runtime_error("disk gone");
      },
      [&](Outgoing&) { ++delivered; });
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.status().code(), ErrorCode::internal);
  EXPECT_NE(stats.status().message().find("disk gone"), std::string::npos);
  EXPECT_EQ(delivered, 300);
}

TEST(Handoff, ADelivererThatThrowsStopsTheHandoffWithoutLeavingThePassWaiting) {
  std::atomic<int> produced{0};
  constexpr int k_more = int(Handoff::k_batch * (Handoff::k_waiting_batches + 2) * 2);  // more than may wait
  EXPECT_THROW(run_beside(
                   [&](const SyncOutput& out) -> Result<SyncStats> {
                     // Far more than fit in the queue: the pass would wait forever if nobody took them.
                     for (int i = 0; i < k_more; ++i, ++produced) out.emit(outgoing("students", i));
                     return SyncStats{};
                   },
                   [&](Outgoing&) { throw std::runtime_error("host gone"); }),
               std::runtime_error);
  EXPECT_EQ(produced.load(), k_more);
}

}  // namespace
}  // namespace schakel::sis_oneroster
