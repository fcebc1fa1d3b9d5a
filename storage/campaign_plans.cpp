#include "storage/campaign_plans.hpp"

#include "storage/sqlite.hpp"

namespace outreach {

Result<std::vector<CampaignPlanRow>> read_campaign_plans(Database& db) {
  auto stmt = db.connection().prepare(
      "SELECT c.name, c.priority, c.start_at, a.name FROM campaigns c "
      "LEFT JOIN campaign_accounts ca ON ca.campaign_id = c.id "
      "LEFT JOIN accounts a ON a.id = ca.account_id "
      "ORDER BY c.id, a.id");
  if (!stmt) return stmt.error();
  std::vector<CampaignPlanRow> out;
  for (;;) {
    auto row = stmt->step("reading campaign accounts");
    if (!row) return row.error();
    if (!*row) return out;
    std::string name = stmt->text_at(0);
    if (out.empty() || out.back().campaign != name)
      out.push_back({std::move(name), stmt->int64_at(1), stmt->optional_time_at(2), {}});
    if (auto account = stmt->optional_text_at(3)) out.back().accounts.push_back(std::move(*account));
  }
}

}  // namespace outreach
