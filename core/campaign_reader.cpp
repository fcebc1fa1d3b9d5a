#include "core/campaign_reader.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/campaign_json.hpp"
#include "core/csv_reader.hpp"

namespace outreach {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

/// Feeds everything `source` yields to `feed`, one chunk at a time.
template <class Feed>
void pump(ByteSource const& source, std::vector<char>& buffer, Feed&& feed) {
  if (!source) return;
  for (;;) {
    const std::size_t n = std::min(source(buffer.data(), buffer.size()), buffer.size());
    if (n == 0) return;
    feed(std::string_view(buffer.data(), n));
  }
}

std::string csv_location(std::string_view file, std::size_t line) {
  return line == 0 ? std::string(file) : std::string(file) + " line " + std::to_string(line);
}

/// Checks and renders recipients of one campaign as they stream past, in file order.
class RecipientStage {
 public:
  RecipientStage(std::optional<MessageTemplate> const& message, CampaignReport& report,
                 std::function<void(ValidRecipient&&)> const& sink)
      : message_(message), report_(report), sink_(sink) {}

  /// A recipient whose identity is known to be good.
  void accept(Recipient&& recipient, RecipientLocation const& where) {
    ++report_.recipients;
    if (!message_) return;  // the message itself is broken (reported): nothing to render with
    auto valid = validate_recipient(*message_, std::move(recipient), where, report_.problems);
    if (valid && sink_ && report_.problems.empty()) sink_(std::move(*valid));
  }
  /// A recipient already reported as broken: counted, not rendered.
  void reject() { ++report_.recipients; }

 private:
  std::optional<MessageTemplate> const& message_;
  CampaignReport& report_;
  std::function<void(ValidRecipient&&)> const& sink_;
};

/// Column positions of a recipients_csv, worked out from its header row.
struct CsvColumns {
  std::optional<std::size_t> username;
  std::optional<std::size_t> user_id;
  std::vector<std::size_t> vars;
  bool usable = false;
};

std::string column_list(std::vector<std::string> const& header) {
  std::string out;
  for (auto const& name : header) {
    if (!out.empty()) out += ", ";
    out += quote_for_problem(name);
  }
  return out;
}

void read_csv(std::string const& file, ByteSource const& source, std::vector<char>& buffer, RecipientStage& stage,
              ProblemList& problems) {
  CsvColumns columns;
  bool resolved = false;
  std::size_t drained = 0;
  CsvReader* reader_ptr = nullptr;

  // The reader keeps its problems in a list; moving them over before each row (and at the end)
  // keeps all problems in line order: a row it delivers never has a problem of its own.
  auto drain = [&] {
    auto const& list = reader_ptr->problems();
    for (; drained < list.size(); ++drained) problems.add(csv_location(file, list[drained].line), list[drained].message);
  };
  auto resolve = [&] {
    resolved = true;
    auto const& header = reader_ptr->header();
    if (header.empty()) return;  // no header row: the reader reports it
    columns.username = reader_ptr->column("username");
    columns.user_id = reader_ptr->column("user_id");
    if (!columns.username && !columns.user_id) {
      problems.add(csv_location(file, 0), "the header row needs a \"username\" or \"user_id\" column (it has " +
                                              column_list(header) + ")");
      return;
    }
    for (std::size_t i = 0; i < header.size(); ++i)
      if (i != columns.username && i != columns.user_id && !header[i].empty()) columns.vars.push_back(i);
    columns.usable = true;
  };

  CsvReader reader(
      [&](CsvRow const& row) {
        drain();
        if (!resolved) resolve();
        if (!columns.usable) {
          stage.reject();
          return;
        }
        const RecipientLocation where{file, row.line};
        Recipient recipient;
        bool ok = true;
        bool identity_given = false;
        auto identity = [&](std::optional<std::size_t> column, auto check, std::string& target) {
          if (!column || row.cells[*column].empty()) return;  // empty cell: not given
          identity_given = true;
          if (auto checked = check(row.cells[*column])) {
            target = std::move(*checked);
          } else {
            problems.add(where.to_string(), checked.error().message);
            ok = false;
          }
        };
        identity(columns.username, normalize_username, recipient.username);
        identity(columns.user_id, check_user_id, recipient.user_id);
        if (!identity_given) {
          problems.add(where.to_string(), "needs a username or a user_id (the cells are empty)");
          ok = false;
        }
        if (!ok) {
          stage.reject();
          return;
        }
        auto const& header = reader_ptr->header();
        for (const std::size_t c : columns.vars)
          if (!row.cells[c].empty()) recipient.vars.emplace_back(header[c], row.cells[c]);
        stage.accept(std::move(recipient), where);
      },
      std::max<std::size_t>(problems.limit(), 1));
  reader_ptr = &reader;

  pump(source, buffer, [&](std::string_view chunk) {
    reader.feed(chunk);
    drain();
  });
  reader.finish();
  drain();
  if (!resolved) resolve();  // a header with no data rows still needs its columns checked
  problems.count_unlisted(reader.problem_count() - reader.problems().size());
}

}  // namespace

CampaignReport read_campaign(CampaignSources const& sources, AccountNames const& configured_accounts,
                             std::function<void(ValidRecipient&&)> const& sink) {
  CampaignReport report;
  ProblemList& problems = report.problems;
  std::vector<char> buffer(kChunkBytes);

  // Pass 1: the campaign-level fields. Recipients are only counted here (no on_recipient); pass 2
  // reports their structural problems together with the rendering problems, in file order.
  CampaignJsonParser first(CampaignJsonEvents{
      .on_problem = [&](Problem&& p, ProblemScope scope) {
        if (scope != ProblemScope::recipient) problems.add(std::move(p));
      },
      .on_recipient = {}});
  if (sources.open_json) pump(sources.open_json(), buffer, [&](std::string_view chunk) { first.feed(chunk); });
  first.finish();
  report.header = first.header();
  HeaderFields const& fields = first.fields();

  const std::optional<MessageTemplate> message = validate_header(report.header, fields, configured_accounts, problems);
  const std::size_t problems_before_recipients = problems.total();
  RecipientStage stage(message, report, sink);

  // Pass 2: inline recipients (skipped when there is no "recipients" array to read).
  if (fields.recipients == FieldState::present) {
    CampaignJsonParser second(CampaignJsonEvents{
        .on_problem = [&](Problem&& p, ProblemScope scope) {
          if (scope == ProblemScope::recipient) problems.add(std::move(p));
        },
        .on_recipient = [&](std::size_t index, Recipient&& recipient, bool ok) {
          if (ok)
            stage.accept(std::move(recipient), RecipientLocation{{}, index});
          else
            stage.reject();
        }});
    if (sources.open_json) pump(sources.open_json(), buffer, [&](std::string_view chunk) { second.feed(chunk); });
    second.finish();
  }

  // Then the CSV rows.
  bool csv_read = false;
  if (fields.recipients_csv == FieldState::present && report.header.recipients_csv &&
      !report.header.recipients_csv->empty()) {
    std::string const& file = *report.header.recipients_csv;
    if (!sources.open_csv) {
      problems.add("recipients_csv", "CSV recipient files cannot be read here");
    } else if (auto source = sources.open_csv(file)) {
      read_csv(file, *source, buffer, stage, problems);
      csv_read = true;
    } else {
      problems.add("recipients_csv", source.error().message);
    }
  }

  // Zero recipients is only worth saying when nothing else explains it.
  const bool had_source = fields.recipients == FieldState::present || csv_read;
  if (report.recipients == 0 && had_source && !first.syntax_error() &&
      problems.total() == problems_before_recipients)
    problems.add(fields.recipients == FieldState::present ? "recipients" : "recipients_csv",
                 "the campaign has no recipients");
  return report;
}

}  // namespace outreach
