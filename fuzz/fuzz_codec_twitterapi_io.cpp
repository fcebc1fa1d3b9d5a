// core/providers/twitterapi_io_codec.cpp: every response parser and request builder of twitterapi_io.
// The input format and the invariants are described in codec_harness.hpp.
#include "core/providers/provider_kind.hpp"
#define FUZZ_PROVIDER ::outreach::ProviderKind::twitterapi_io
#include "codec_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) { return fuzz::codec::run(data, size); }
