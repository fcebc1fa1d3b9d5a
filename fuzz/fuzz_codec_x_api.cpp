// core/providers/x_api_codec.cpp: every response parser and request builder of x_api.
// The input format and the invariants are described in codec_harness.hpp.
#include "core/providers/provider_kind.hpp"
#define FUZZ_PROVIDER ::outreach::ProviderKind::x_api
#include "codec_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) { return fuzz::codec::run(data, size); }
