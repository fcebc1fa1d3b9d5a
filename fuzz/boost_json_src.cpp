// Boost.JSON in header-only mode: compiled once here, with the fuzz build's instrumentation, in
// place of the prebuilt libboost_json (which libFuzzer could neither guide through nor check).
#include <boost/json/src.hpp>
