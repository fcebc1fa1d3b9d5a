#include "core/providers/codec.hpp"

#include "core/providers/codec_support.hpp"

namespace outreach {

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
