// core/providers/getxapi_codec.cpp: every response parser and request builder of getxapi.
// The input format and the invariants are described in codec_harness.hpp.
#include "core/providers/provider_kind.hpp"
#define FUZZ_PROVIDER ::outreach::ProviderKind::getxapi
#include "codec_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) { return fuzz::codec::run(data, size); }
