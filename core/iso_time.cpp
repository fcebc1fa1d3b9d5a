#include "core/iso_time.hpp"

#include <string>

namespace outreach {

namespace {

constexpr long long kMsPerSecond = 1000;
constexpr long long kSecondsPerDay = 86'400;

constexpr char const* kMonthNames[] = {"January", "February", "March",     "April",   "May",      "June",
                                       "July",    "August",   "September", "October", "November", "December"};

bool is_leap(long long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(long long y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

long long floor_div(long long a, long long b) {
  long long q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Civil {
  long long year;
  unsigned month;
  unsigned day;
};

// Inverse of days_from_civil (H. Hinnant's algorithm, proleptic Gregorian calendar).
Civil civil_from_days(long long z) {
  z += 719'468;
  long long const era = (z >= 0 ? z : z - 146'096) / 146'097;
  long long const doe = z - era * 146'097;                                       // [0, 146096]
  long long const yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  long long const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  // [0, 365]
  long long const mp = (5 * doy + 2) / 153;                                       // [0, 11]
  auto const day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  auto const month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Value of text[pos, pos+n) when all digits.
bool read_digits(std::string_view text, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > text.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(text[i])) return false;
    v = v * 10 + static_cast<unsigned>(text[i] - '0');
  }
  out = v;
  return true;
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  if (text.size() <= kMaxShown) return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, kMaxShown)) + "...\"";
}

void append_padded(std::string& out, long long value, int width) {
  if (value < 0) {
    out += '-';
    value = -value;
  }
  auto digits = std::to_string(value);
  for (auto n = static_cast<int>(digits.size()); n < width; ++n) out += '0';
  out += digits;
}

}  // namespace

long long days_from_civil(long long year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  long long const era = (year >= 0 ? year : year - 399) / 400;
  long long const yoe = year - era * 400;                                           // [0, 399]
  long long const m = month;
  long long const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1;          // [0, 365]
  long long const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                      // [0, 146096]
  return era * 146'097 + doe - 719'468;
}

Result<TimePoint> parse_iso8601(std::string_view text) {
  auto const q = quoted(text);
  auto form_error = [&] {
    return make_error("time " + q + " is not in the form YYYY-MM-DDTHH:MM:SSZ (for example 2026-12-01T09:00:00Z)");
  };

  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 19 || !read_digits(text, 0, 4, year) || text[4] != '-' || !read_digits(text, 5, 2, month) ||
      text[7] != '-' || !read_digits(text, 8, 2, day) || text[10] != 'T' || !read_digits(text, 11, 2, hour) ||
      text[13] != ':' || !read_digits(text, 14, 2, minute) || text[16] != ':' || !read_digits(text, 17, 2, second)) {
    return form_error();
  }

  std::size_t pos = 19;
  long long millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t const start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
      if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) return form_error();
    for (auto n = pos - start; n < 3; ++n) millis *= 10;
  }

  long long offset_minutes = 0;
  auto const offset_error = make_error("time " + q + " must end in Z or an offset like +02:00");
  if (pos == text.size()) return offset_error;
  if (text[pos] == 'Z') {
    if (pos + 1 != text.size()) return form_error();
  } else if (text[pos] == '+' || text[pos] == '-') {
    unsigned oh = 0, om = 0;
    if (text.size() != pos + 6 || !read_digits(text, pos + 1, 2, oh) || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, om)) {
      return make_error("time " + q + " has a malformed offset; write it as +hh:mm or -hh:mm");
    }
    if (oh > 23 || om > 59) {
      return make_error("time " + q + " has an offset out of range (hours 00..23, minutes 00..59)");
    }
    offset_minutes = (text[pos] == '-' ? -1 : 1) * static_cast<long long>(oh * 60 + om);
  } else {
    return offset_error;
  }

  if (month < 1 || month > 12) {
    return make_error("time " + q + " has month " + std::to_string(month) + ", which is not between 01 and 12");
  }
  if (day < 1 || day > days_in_month(year, month)) {
    return make_error("time " + q + " has day " + std::to_string(day) + ", but " + kMonthNames[month - 1] + " " +
                      std::to_string(year) + " has " + std::to_string(days_in_month(year, month)) + " days");
  }
  if (hour > 23) return make_error("time " + q + " has hour " + std::to_string(hour) + ", which is not between 00 and 23");
  if (minute > 59) {
    return make_error("time " + q + " has minute " + std::to_string(minute) + ", which is not between 00 and 59");
  }
  if (second > 59) {
    return make_error("time " + q + " has second " + std::to_string(second) + ", which is not between 00 and 59");
  }

  long long const seconds = days_from_civil(year, month, day) * kSecondsPerDay + hour * 3600LL + minute * 60LL +
                            second - offset_minutes * 60;
  return TimePoint{Duration{seconds * kMsPerSecond + millis}};
}

std::string format_iso8601(TimePoint t) {
  long long const seconds = floor_div(t.time_since_epoch().count(), kMsPerSecond);
  long long const days = floor_div(seconds, kSecondsPerDay);
  long long const sod = seconds - days * kSecondsPerDay;
  auto const date = civil_from_days(days);
  std::string out;
  out.reserve(20);
  append_padded(out, date.year, 4);
  out += '-';
  append_padded(out, date.month, 2);
  out += '-';
  append_padded(out, date.day, 2);
  out += 'T';
  append_padded(out, sod / 3600, 2);
  out += ':';
  append_padded(out, sod / 60 % 60, 2);
  out += ':';
  append_padded(out, sod % 60, 2);
  out += 'Z';
  return out;
}

}  // namespace outreach
