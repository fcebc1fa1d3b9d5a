#pragma once
// Kept so existing daemon tests can include "temp_dir.hpp"; the helper lives in tests/support/.
#include "support/temp_dir.hpp"
