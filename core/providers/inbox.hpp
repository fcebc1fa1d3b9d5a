#pragma once
// Reading an account's DM history (docs/providers.md#reading-the-inbox): the provider-neutral
// values the inbox parsers of the codecs (core/providers/codec.hpp) produce. What a read result
// means for the account is decided by decide_inbox_read() (core/inbox_read.hpp).
//
// Only getxapi (`POST /twitter/dm/list`) and x_api (`GET /2/dm_events`) can read an inbox.
// A page is all or nothing: when one of its messages cannot be read, the whole page is malformed
// and carries no messages, so a caller never acts on half a page.
#include <optional>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "core/time.hpp"

namespace outreach {

/// One direct message of a one-to-one conversation of the account, in either direction.
struct InboxMessage {
  std::string id;         ///< the provider's decimal message (DM event) id
  TimePoint created_at;   ///< when the provider says it was created
  std::string sender_id;  ///< decimal; the account's own id for a message the account sent
  /// Decimal; the conversation's other participant for a message the account sent, the account's
  /// own id for a message it received.
  std::string recipient_id;
  std::string text;  ///< the DM body exactly as the provider gave it (never scrubbed, may be empty)
};

/// One page of an inbox read.
struct InboxPage {
  /// success: `messages` is the complete page. Anything else: `messages` is empty, `next_cursor`
  /// unset, and decide_inbox_read() says what to do.
  ProviderResult result;
  /// The account's own decimal id as the provider reported it with the page (GetXAPI's `userId`);
  /// unset when the provider's page does not carry it (x_api: ask own_account_request()).
  std::optional<std::string> account_id;
  /// In the provider's order, newest first. Messages of group conversations, and provider events
  /// other than messages, are left out.
  std::vector<InboxMessage> messages;
  /// The cursor of the next (older) page; unset on the last page. Printable ASCII, bounded.
  std::optional<std::string> next_cursor;
};

/// The account's own identity as the provider sees its credentials (x_api `GET /2/users/me`).
struct OwnAccount {
  ProviderResult result;                ///< success: user_id is set
  std::optional<std::string> user_id;   ///< decimal
  std::string username;                 ///< without '@'; empty when the provider gave none usable
};

}  // namespace outreach
