// Status codes returned by every kernel entry point. Kernels never throw, exit or abort:
// the binding turns a non-ok Status into a JavaScript Error carrying the message.
#pragma once

#include <string>
#include <utility>

namespace tessera {

enum class StatusCode { kOk = 0, kInvalidArgument, kUnsupported, kOutOfMemory, kInternal };

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status Unsupported(std::string message) {
    return Status(StatusCode::kUnsupported, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace tessera
