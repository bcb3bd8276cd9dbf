// An expected failure inside the worker: carries a stable code that validate.ts maps to a Failure.
#pragma once
#include <stdexcept>
#include <string>

namespace bev {

/** Thrown in Execute(); OnError turns it into a rejected promise whose Error has `.code`. */
class GateError : public std::runtime_error {
 public:
  GateError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace bev
