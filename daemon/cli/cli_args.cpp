#include "daemon/cli/cli_args.hpp"

#include <algorithm>
#include <cstdio>

#include "config/config.hpp"
#include "daemon/cli/cli.hpp"

namespace outreach::cli {
namespace {

OptionSpec const* find_option(CommandSpec const& spec, std::string_view name) {
  auto it = std::find_if(spec.options.begin(), spec.options.end(), [&](OptionSpec const& o) { return o.name == name; });
  return it == spec.options.end() ? nullptr : &*it;
}

bool is_help(std::string_view arg) { return arg == "--help" || arg == "-h"; }

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

std::string arity_error(CommandSpec const& spec, std::size_t given) {
  const std::string expected = spec.positionals.empty() ? std::string("no arguments") : std::string(spec.positionals);
  if (given < spec.min_positionals) return "missing " + expected;
  if (spec.max_positionals == 0) return "takes no arguments, but got " + plural(given, "argument");
  return "expects " + expected + ", but got " + plural(given, "argument");
}

}  // namespace

Result<ParsedArgs> parse_args(CommandSpec const& spec, std::span<std::string const> args) {
  ParsedArgs out;
  // --help wins over every other problem, so `outreachd validate --help` works without a FILE.
  for (std::string const& arg : args) {
    if (arg == "--") break;
    if (is_help(arg)) {
      out.help = true;
      return out;
    }
  }

  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (options_done || arg.size() < 2 || arg.front() != '-') {  // "-" alone is a positional (stdin, by convention)
      out.positionals.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") return make_error("unknown option " + std::string(arg));

    std::string_view name = arg.substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    OptionSpec const* option = find_option(spec, name);
    if (option == nullptr) return make_error("unknown option --" + std::string(name));

    if (option->value_name.empty()) {
      if (inline_value) return make_error("option --" + std::string(name) + " takes no value");
      out.set_flag(name);
      continue;
    }
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size() && args[i + 1].substr(0, 2) != "--") {
      // A following "--option" is taken as a forgotten value rather than silently as a file name.
      value = args[++i];
    } else {
      return make_error("option --" + std::string(name) + " needs a value (" + std::string(option->value_name) + ")");
    }
    if (value.empty())
      return make_error("option --" + std::string(name) + " needs a value (" + std::string(option->value_name) + ")");
    if (out.value(name)) return make_error("option --" + std::string(name) + " is given more than once");
    out.set_value(name, std::string(value));
  }

  const std::size_t n = out.positionals.size();
  if (n < spec.min_positionals || n > spec.max_positionals) return make_error(arity_error(spec, n));
  return out;
}

std::string usage_text(CommandSpec const& spec) {
  std::string text = "usage: outreachd " + std::string(spec.name);
  if (!spec.positionals.empty()) text += " " + std::string(spec.positionals);
  for (OptionSpec const& o : spec.options) {
    text += " [--" + std::string(o.name);
    if (!o.value_name.empty()) text += " " + std::string(o.value_name);
    text += "]";
  }
  text += "\n\n" + std::string(spec.summary) + "\n\noptions:\n";
  std::size_t width = std::string_view("--help").size();
  auto label = [](OptionSpec const& o) {
    std::string l = "--" + std::string(o.name);
    if (!o.value_name.empty()) l += " " + std::string(o.value_name);
    return l;
  };
  for (OptionSpec const& o : spec.options) width = std::max(width, label(o).size());
  auto line = [&](std::string const& l, std::string_view help) {
    text += "  " + l + std::string(width - l.size() + 2, ' ') + std::string(help) + "\n";
  };
  for (OptionSpec const& o : spec.options) line(label(o), o.help);
  line("--help", "show this text");
  text += "\nOptions may come before or after the arguments; \"--\" ends the options.\n";
  if (!spec.details.empty()) text += "\n" + std::string(spec.details) + (spec.details.back() == '\n' ? "" : "\n");
  return text;
}

ParseOutcome parse_command_line(CommandSpec const& spec, std::vector<std::string> const& args) {
  auto parsed = parse_args(spec, args);
  if (parsed.has_error()) {
    std::fprintf(stderr, "outreachd %.*s: %s; run \"outreachd %.*s --help\" for usage\n",
                 static_cast<int>(spec.name.size()), spec.name.data(), parsed.error().message.c_str(),
                 static_cast<int>(spec.name.size()), spec.name.data());
    return {std::nullopt, kExitUsage};
  }
  if (parsed->help) {
    std::fputs(usage_text(spec).c_str(), stdout);
    return {std::nullopt, kExitOk};
  }
  return {std::move(*parsed), kExitOk};
}

std::string config_path_from(ParsedArgs const& args) {
  if (auto path = args.value("config")) return *path;
  return default_config_path();
}

}  // namespace outreach::cli
