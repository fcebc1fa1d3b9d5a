#pragma once
// Provider codecs: the wire format of each DM provider (docs/providers.md), as pure functions.
// A codec builds an HttpRequest from plain inputs and reads an HttpResponse back into the
// provider-neutral ProviderResult that classify() (core/outcome.hpp) turns into a decision.
// No sockets, no clocks: `now` is an argument (it anchors Retry-After and reset headers).
//
// Flow for one recipient (docs/send-rules.md: the lookup, then the send):
//   1. user_id known  → lookup_by_id_request / parse_lookup_by_id
//      only username  → lookup_by_username_request / parse_lookup_by_username; if the answer has
//                       needs_dm_check (tweetapi: by-username gives no canDm), follow with the
//                       by-id pair for the returned user_id.
//   2. classify(RequestKind::lookup, lookup.result, …): Sent means "use user_id / can_dm".
//   3. send_request / parse_send, then classify(RequestKind::send, …).
//
// Reading the inbox (getxapi and x_api only; reads_inbox() says which, see core/providers/inbox.hpp):
//   x_api once per account: own_account_request / parse_own_account (the account's own id), then
//   page by page: inbox_request(cursor) / parse_inbox(own id) until next_cursor is unset, each
//   result through decide_inbox_read() (core/inbox_read.hpp), never classify(): a read has rules
//   of its own (a 429 delays reads only, a read-only refusal turns the inbox off).
//
// Secrets: requests carry credentials in headers, bodies AND sometimes the target (tweetapi's
// dm-permissions takes authToken and proxy as query parameters), so never log a request whole.
// Every text copied from a response into ProviderResult::message is passed through redact() with
// all secrets of the request (providers echo tokens) and cut to about 300 characters.
//
// A *_request function fails (Result error) only for inputs the provider cannot accept at all:
// a missing proxy/user_id/token the provider requires, or an id that is not decimal. Those are
// configuration problems of the account, not of the recipient.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "core/outcome.hpp"
#include "core/providers/inbox.hpp"
#include "core/providers/provider_kind.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"

namespace outreach {

/// One [providers.<kind>] table's credentials.
struct ProviderCredentials {
  Secret api_key;                       ///< getxapi (Bearer), twitterapi_io and tweetapi (X-API-Key)
  std::string client_id;                ///< x_api OAuth 2.0 client
  std::optional<Secret> client_secret;  ///< x_api confidential clients only
};

/// One [[accounts]] entry's credentials.
struct AccountCredentials {
  Secret auth_token;    ///< getxapi auth_token, twitterapi_io login_cookies, tweetapi authToken
  Secret proxy;         ///< "http://user:pass@host:port" (or "host:port"); empty = none
  std::string user_id;  ///< the sender's own decimal id (tweetapi builds conversationId from it)
  Secret access_token;   ///< x_api OAuth 2.0 user access token
  Secret refresh_token;  ///< x_api; only the token refresh sends it, but every parser scrubs it
};

/// One DM to send. The recipient is named by id (required by all but getxapi) or username.
struct DmMessage {
  std::string recipient_id;        ///< decimal; may be empty for getxapi when the username is known
  std::string recipient_username;  ///< without '@'
  std::string text;
  std::string request_id;  ///< optional trace/idempotency key (tweetapi requestId); empty = none
};

/// The answer to a username→id or canDm lookup.
struct UserLookup {
  /// success: the user exists (and, if can_dm is set, accepts DMs); recipient_refused: can_dm is
  /// false; not_found: no such user; anything else: the lookup itself failed (classify decides).
  ProviderResult result;
  std::optional<std::string> user_id;  ///< decimal id, set whenever the provider named the user
  /// The provider's canDm answer. Unset on success when the provider gave none (the send decides).
  std::optional<bool> can_dm;
  /// tweetapi by-username only resolves the id: the caller must follow with the by-id lookup
  /// (dm-permissions) for *user_id before sending.
  bool needs_dm_check = false;
};

class ProviderCodec {
 public:
  virtual ~ProviderCodec() = default;
  virtual ProviderKind kind() const = 0;

  /// The send request; its target excludes base_url (the HTTP client prepends base_url).
  virtual Result<HttpRequest> send_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                           DmMessage const& message) const = 0;
  /// Reads a send response (transport == responded) into a ProviderResult for classify(send).
  virtual ProviderResult parse_send(HttpResponse const& response, ProviderCredentials const& provider,
                                    AccountCredentials const& account, TimePoint now) const = 0;

  /// username → id (and canDm where the same call answers it).
  virtual Result<HttpRequest> lookup_by_username_request(ProviderCredentials const& provider,
                                                         AccountCredentials const& account,
                                                         std::string_view username) const = 0;
  virtual UserLookup parse_lookup_by_username(HttpResponse const& response, ProviderCredentials const& provider,
                                              AccountCredentials const& account, std::string_view username,
                                              TimePoint now) const = 0;

  /// canDm for a known id (tweetapi: dm-permissions from the sending account's point of view).
  virtual Result<HttpRequest> lookup_by_id_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                                   std::string_view user_id) const = 0;
  virtual UserLookup parse_lookup_by_id(HttpResponse const& response, ProviderCredentials const& provider,
                                        AccountCredentials const& account, std::string_view user_id,
                                        TimePoint now) const = 0;

  // ---- inbox reads (docs/providers.md#reading-the-inbox) -----------------------------------------
  // The defaults are those of the providers that cannot read an inbox (twitterapi_io, tweetapi):
  // the request builders fail, the parsers answer read_refused.

  /// Whether this provider can read the account's DMs (getxapi, x_api).
  virtual bool reads_inbox() const { return false; }
  /// One page of the account's DM history, newest first: the first page without a cursor, then
  /// the previous page's next_cursor. Fails for a missing credential or a cursor that is not
  /// bounded printable text.
  virtual Result<HttpRequest> inbox_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                            std::optional<std::string_view> cursor) const;
  /// Reads one page. `own_id` is the account's own decimal id: required by x_api (its events name
  /// a conversation, and the other participant is told apart by it); getxapi takes it from the
  /// answer's `userId` and, when `own_id` is not empty, requires both to agree.
  virtual InboxPage parse_inbox(HttpResponse const& response, ProviderCredentials const& provider,
                                AccountCredentials const& account, std::string_view own_id, TimePoint now) const;
  /// The account's own id (x_api `GET /2/users/me`). getxapi needs none (its inbox pages carry
  /// `userId`), so only x_api builds it; the default fails.
  virtual Result<HttpRequest> own_account_request(ProviderCredentials const& provider,
                                                  AccountCredentials const& account) const;
  virtual OwnAccount parse_own_account(HttpResponse const& response, ProviderCredentials const& provider,
                                       AccountCredentials const& account, TimePoint now) const;
};

/// The codec for one provider. Codecs are stateless and may be shared across accounts.
std::unique_ptr<ProviderCodec> make_codec(ProviderKind kind);

}  // namespace outreach
