#pragma once
// Expected failures are values: Status carries a message a person can act on, Result<T> a value
// or that Status. Exceptions are for start-up and programmer errors only.
#include <string>
#include <utility>
#include <variant>

namespace schakel {

enum class ErrorCode {
  ok = 0,
  invalid,      // the input is wrong; the message says where
  not_found,
  conflict,     // a newer version exists, a key is reused, a state does not allow it
  io,           // file system, disk full, permissions
  corrupt,      // stored data is damaged
  busy,         // another process holds a lock
  unavailable,  // transient: try again later
  denied,       // refused by consent or authorisation
  internal,
};

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  [[nodiscard]] bool is_ok() const { return code_ == ErrorCode::ok; }
  explicit operator bool() const { return is_ok(); }
  [[nodiscard]] ErrorCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }

  // Prefixes the message with the place the error came from, e.g. a file name.
  [[nodiscard]] Status with_context(const std::string& where) const {
    if (is_ok()) return *this;
    return {code_, where + ": " + message_};
  }

 private:
  ErrorCode code_ = ErrorCode::ok;
  std::string message_;
};

inline Status error(ErrorCode code, std::string message) { return {code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] Status status() const { return is_ok() ? Status{} : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

inline const Status& status_of(const Status& s) { return s; }
template <typename T>
Status status_of(const Result<T>& r) { return r.status(); }

}  // namespace schakel

// Returns early, with its Status, from a function returning Status or Result<T> when `expr` failed.
#define SCHAKEL_TRY(expr)                                   \
  do {                                                      \
    if (const auto& schakel_r_ = (expr); !schakel_r_) {     \
      return ::schakel::status_of(schakel_r_);              \
    }                                                       \
  } while (0)
