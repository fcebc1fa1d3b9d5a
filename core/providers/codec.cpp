#include "core/providers/codec.hpp"

#include "core/providers/codec_support.hpp"

namespace outreach {

// ---- the defaults of the providers that cannot read an inbox ------------------------------------

namespace {

ProviderResult no_inbox(HttpResponse const& response, ProviderKind kind) {
  ProviderResult r = codec::responded(response);
  r.signal = ProviderSignal::read_refused;
  r.message = std::string(to_string(kind)) + " cannot read an account's DMs";
  return r;
}

}  // namespace

Result<HttpRequest> ProviderCodec::inbox_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                                 std::optional<std::string_view> cursor) const {
  (void)provider;
  (void)account;
  (void)cursor;
  return make_error(std::string(to_string(kind())) + ": this provider cannot read an account's DMs");
}

InboxPage ProviderCodec::parse_inbox(HttpResponse const& response, ProviderCredentials const& provider,
                                     AccountCredentials const& account, std::string_view own_id, TimePoint now) const {
  (void)provider;
  (void)account;
  (void)own_id;
  (void)now;
  return InboxPage{no_inbox(response, kind()), std::nullopt, {}, std::nullopt};
}

Result<HttpRequest> ProviderCodec::own_account_request(ProviderCredentials const& provider,
                                                       AccountCredentials const& account) const {
  (void)provider;
  (void)account;
  return make_error(std::string(to_string(kind())) + ": this provider has no own-account request");
}

OwnAccount ProviderCodec::parse_own_account(HttpResponse const& response, ProviderCredentials const& provider,
                                            AccountCredentials const& account, TimePoint now) const {
  (void)provider;
  (void)account;
  (void)now;
  OwnAccount own;
  own.result = codec::responded(response);
  own.result.signal = ProviderSignal::read_refused;
  own.result.message = std::string(to_string(kind())) + " has no own-account request";
  return own;
}

std::unique_ptr<ProviderCodec> make_codec(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::getxapi: return codec::make_getxapi_codec();
    case ProviderKind::twitterapi_io: return codec::make_twitterapi_io_codec();
    case ProviderKind::tweetapi: return codec::make_tweetapi_codec();
    case ProviderKind::x_api: return codec::make_x_api_codec();
  }
  return codec::make_getxapi_codec();
}

}  // namespace outreach
