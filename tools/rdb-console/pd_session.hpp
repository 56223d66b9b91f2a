#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <type_traits>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "pd/pd_interface.hpp"

namespace rdb::console {

/// The console's line to PD: connected on first use (after a bounded TCP probe, since CAF
/// 0.17's `remote_actor` blocks), reconnected after PD went away. Each request waits at most
/// the timeout and comes back as the answer or a one-line error.
class pd_session {
 public:
  pd_session(caf::actor_system& sys, std::string address, std::chrono::milliseconds timeout);

  /// Sends `xs...` to PD and waits for its answer of type `T`.
  template <class T, class... Ts>
  std::expected<T, std::string> ask(const Ts&... xs) {
    // PD's requests are safe to repeat: one more try on a fresh connection after a timeout
    // or a lost connection, which a long-idle or half-open link to PD may cause.
    auto first = ask_once<T>(xs...);
    if (first || pd_) return first;
    return ask_once<T>(xs...);
  }

  const std::string& address() const { return address_; }
  caf::actor_system& system() { return sys_; }
  /// Talks to the PD at `address` from now on.
  void attach(std::string address) {
    address_ = std::move(address);
    pd_.reset();
  }

 private:
  template <class T, class... Ts>
  std::expected<T, std::string> ask_once(const Ts&... xs) {
    auto pd = connect();
    if (!pd) return std::unexpected(pd.error());
    std::expected<T, std::string> out = std::unexpected(std::string{"no answer from PD"});
    auto failed = [&](caf::error& e) {
      out = std::unexpected(describe(e));
      // Anything but PD's own refusal may mean the connection is gone: attach again next time.
      if (e.category() != pd::error_category) pd_.reset();
    };
    caf::scoped_actor self{sys_};
    auto pending = self->request(*pd, timeout_, xs...);
    if constexpr (std::is_void_v<T>)
      pending.receive([&] { out = {}; }, failed);
    else
      pending.receive([&](T& value) { out = std::move(value); }, failed);
    return out;
  }

  std::expected<pd::pd_actor, std::string> connect();
  std::string describe(const caf::error& e) const;

  caf::actor_system& sys_;
  std::string address_;
  std::chrono::milliseconds timeout_;
  std::optional<pd::pd_actor> pd_;
};

}  // namespace rdb::console
