#include "daemon/runtime/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>

namespace outreach {
namespace {

Result<spdlog::level::level_enum> parse_level(std::string_view level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  return make_error("log_level \"" + std::string(level) + "\" is not one of trace, debug, info, warn, error");
}

void append_escaped(std::string_view text, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto put = [&out](std::string_view s) { out.append(s.data(), s.data() + s.size()); };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto const c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      put("\\n");
    } else if (c == '\t') {
      put("\\t");
    } else if (c == '\r') {
      put("\\r");
    } else if (c < 0x20 || c == 0x7F) {
      char const esc[] = {'\\', 'x', kHex[c >> 4], kHex[c & 0x0F]};
      put(std::string_view(esc, sizeof esc));
    } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      // C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F): NEL (U+0085) ends a line for some readers.
      auto const c1 = static_cast<unsigned char>(text[++i]);
      char const esc[] = {'\\', 'u', '0', '0', kHex[c1 >> 4], kHex[c1 & 0x0F]};
      put(std::string_view(esc, sizeof esc));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

/// `%*`: the message, escaped. Escaping the whole line at the sink, rather than each value at each
/// call, means no log call can forget it.
class EscapedPayload final : public spdlog::custom_flag_formatter {
 public:
  void format(spdlog::details::log_msg const& msg, std::tm const&, spdlog::memory_buf_t& dest) override {
    append_escaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<EscapedPayload>(); }
};

}  // namespace

std::string escape_for_log(std::string_view text) {
  spdlog::memory_buf_t buf;
  append_escaped(text, buf);
  return std::string(buf.data(), buf.size());
}

Result<void> init_logging(std::string_view level) {
  auto parsed = parse_level(level);
  if (!parsed) return parsed.error();
  auto logger = spdlog::stderr_color_mt("outreachd");
  // journald stamps every line itself; a terminal gets our own timestamp.
  const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedPayload>('*').set_pattern(journal ? "%l: %*" : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %*");
  logger->set_formatter(std::move(formatter));
  logger->set_level(*parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return {};
}

Result<void> set_log_level(std::string_view level) {
  auto parsed = parse_level(level);
  if (!parsed) return parsed.error();
  spdlog::set_level(*parsed);
  return {};
}

}  // namespace outreach
