#include "handoff.hpp"

#include <exception>
#include <thread>

namespace schakel::sis_oneroster {

void Handoff::push(Outgoing item) {
  filling_.push_back(std::move(item));
  if (filling_.size() < batch_size_) return;
  std::unique_lock lock(mu_);
  room_.wait(lock, [&] { return full_.size() < max_batches_; });
  full_.push_back(std::move(filling_));
  filling_.clear();
  filling_.reserve(batch_size_);
  lock.unlock();
  ready_.notify_one();
}

void Handoff::close() {
  {
    std::lock_guard lock(mu_);
    if (!filling_.empty()) full_.push_back(std::move(filling_));
    filling_.clear();
    closed_ = true;
  }
  ready_.notify_one();
}

std::vector<Outgoing> Handoff::take() {
  std::unique_lock lock(mu_);
  ready_.wait(lock, [&] { return !full_.empty() || closed_; });
  if (full_.empty()) return {};
  std::vector<Outgoing> batch = std::move(full_.front());
  full_.pop_front();
  lock.unlock();
  room_.notify_one();
  return batch;
}

Result<SyncStats> run_beside(const std::function<Result<SyncStats>(const SyncOutput&)>& pass,
                             const std::function<void(Outgoing&)>& deliver) {
  Handoff handoff;
  Result<SyncStats> result = Status(ErrorCode::internal, "the pass did not run");
  std::thread reader([&] {
    try {
      SyncOutput out;
      out.emit = [&](Outgoing o) { handoff.push(std::move(o)); };
      result = pass(out);
    } catch (const std::exception& e) {
      result = Status(ErrorCode::internal, std::string("the bundle pass failed: ") + e.what());
    } catch (...) {
      result = Status(ErrorCode::internal, "the bundle pass failed");
    }
    handoff.close();
  });
  // The reader is joined on every path: a throwing deliver would otherwise leave it running.
  try {
    for (auto batch = handoff.take(); !batch.empty(); batch = handoff.take())
      for (auto& item : batch) deliver(item);
  } catch (...) {
    for (auto batch = handoff.take(); !batch.empty(); batch = handoff.take()) {
    }
    reader.join();
    throw;
  }
  reader.join();
  return result;
}

}  // namespace schakel::sis_oneroster
