#include "s3co/sinks/json_escape.hpp"

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace s3co::sinks;

namespace {

// Parses `json` (one JSON string literal) with simdjson and returns its value;
// fails the test when simdjson refuses it.
std::string parse_json_string(const std::string& json) {
  static simdjson::dom::parser parser;
  simdjson::dom::element element;
  const auto error = parser.parse(json).get(element);
  INFO("json: " << json);
  REQUIRE(error == simdjson::SUCCESS);
  std::string_view value;
  REQUIRE(element.get_string().get(value) == simdjson::SUCCESS);
  return std::string(value);
}

std::string escaped(std::string_view text) {
  std::string out;
  REQUIRE(append_json_string(out, text));
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A printable form of bytes for failure messages.
std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 15];
    out += ' ';
  }
  return out;
}

struct invalid_case {
  const char* what;
  std::string bytes;
  std::size_t offset;  // of the first invalid byte
};

const std::vector<invalid_case> invalid_cases{
    {"lone continuation byte", "\x80", 0},
    {"lone continuation byte BF", "\xBF", 0},
    {"continuation after ASCII", "abc\x80xyz", 3},
    {"C0 lead (overlong)", "\xC0\x80", 0},
    {"C1 lead (overlong)", "\xC1\xBF", 0},
    {"overlong slash", "\xC0\xAF", 0},
    {"overlong 3-byte NUL", "\xE0\x80\x80", 0},
    {"overlong 3-byte U+07FF", "\xE0\x9F\xBF", 0},
    {"overlong 4-byte U+FFFF", "\xF0\x8F\xBF\xBF", 0},
    {"overlong 4-byte NUL", "\xF0\x80\x80\x80", 0},
    {"surrogate U+D800", "\xED\xA0\x80", 0},
    {"surrogate U+DBFF", "\xED\xAF\xBF", 0},
    {"surrogate U+DC00", "\xED\xB0\x80", 0},
    {"surrogate U+DFFF", "\xED\xBF\xBF", 0},
    {"surrogate pair as CESU-8", "\xED\xA0\xBD\xED\xB8\x80", 0},
    {"above U+10FFFF (F4 90)", "\xF4\x90\x80\x80", 0},
    {"F5 lead", "\xF5\x80\x80\x80", 0},
    {"F8 five-byte lead", "\xF8\x88\x80\x80\x80", 0},
    {"FC six-byte lead", "\xFC\x84\x80\x80\x80\x80", 0},
    {"FE", "\xFE", 0},
    {"FF", "\xFF", 0},
    {"truncated 2-byte at end", "ab\xC3", 2},
    {"truncated 3-byte at end", "ab\xE2\x82", 2},
    {"truncated 4-byte at end", "ab\xF0\x9F\x98", 2},
    {"2-byte lead then ASCII", "\xC3(", 0},
    {"3-byte lead, bad second", "\xE2(\xA1", 0},
    {"3-byte lead, bad third", "\xE2\x82(", 0},
    {"4-byte lead, bad fourth", "\xF0\x9F\x98(", 0},
    {"4-byte lead, bad third", "\xF0\x9F(\x80", 0},
    {"two leads", "\xC3\xC3\xA9", 0},
    {"valid then invalid", "caf\xC3\xA9 \xE9", 6},
    {"invalid after 8 ASCII bytes", "abcdefgh\x80", 8},
    {"invalid after 17 ASCII bytes", "0123456789abcdefg\xFF rest", 17},
    {"Latin-1 e-acute", "caf\xE9", 3},
};

}  // namespace

TEST_CASE("every single byte is escaped exactly or refused", "[json_escape]") {
  for (int b = 0; b < 256; ++b) {
    const std::string text(1, static_cast<char>(b));
    INFO("byte " << b);
    std::string out = "prefix";
    if (b >= 0x80) {
      // Alone, a byte >= 0x80 is never valid UTF-8.
      CHECK_FALSE(append_json_string(out, text));
      CHECK(out == "prefix");
      continue;
    }
    REQUIRE(append_json_string(out, text));
    const std::string json = out.substr(6);
    std::string expected;
    switch (b) {
      case '"': expected = "\"\\\"\""; break;
      case '\\': expected = "\"\\\\\""; break;
      case '\b': expected = "\"\\b\""; break;
      case '\f': expected = "\"\\f\""; break;
      case '\n': expected = "\"\\n\""; break;
      case '\r': expected = "\"\\r\""; break;
      case '\t': expected = "\"\\t\""; break;
      default:
        if (b < 0x20) {
          char buffer[16];
          std::snprintf(buffer, sizeof buffer, "\"\\u%04x\"", b);
          expected = buffer;
        } else {
          expected = "\"" + text + "\"";  // DEL included: it may stay raw
        }
    }
    CHECK(json == expected);
    CHECK(parse_json_string(json) == text);
  }
}

TEST_CASE("every control character round-trips at every position around the 8-byte scan", "[json_escape]") {
  for (int c = 0; c < 0x20; ++c) {
    for (std::size_t position = 0; position < 20; ++position) {
      std::string text(20, 'a');
      text[position] = static_cast<char>(c);
      text += "\"tail\\";
      INFO("control " << c << " at " << position);
      const std::string json = escaped(text);
      CHECK(json.find('\n') == std::string::npos);
      for (const char ch : json) CHECK(static_cast<unsigned char>(ch) >= 0x20);
      CHECK(parse_json_string(json) == text);
    }
  }
}

TEST_CASE("all 128 ASCII bytes in one string round-trip", "[json_escape]") {
  std::string text;
  for (int b = 0; b < 128; ++b) text.push_back(static_cast<char>(b));
  CHECK(parse_json_string(escaped(text)) == text);
  CHECK(escaped("") == "\"\"");
  CHECK(escaped("plain ascii, no escapes: 0123456789") == "\"plain ascii, no escapes: 0123456789\"");
}

TEST_CASE("the boundaries of every UTF-8 length are accepted and kept raw", "[json_escape]") {
  for (const char32_t cp : {0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFEu, 0xFFFFu, 0x10000u,
                            0x10FFFFu}) {
    std::string text;
    append_utf8(text, cp);
    INFO("U+" << std::hex << static_cast<std::uint32_t>(cp));
    CHECK(is_valid_utf8(text));
    CHECK(escaped(text) == "\"" + text + "\"");
    CHECK(parse_json_string(escaped(text)) == text);
  }
}

TEST_CASE("random valid UTF-8 round-trips through simdjson byte for byte", "[json_escape]") {
  std::mt19937 random(20260401);
  std::uniform_int_distribution<int> length(0, 80);
  std::uniform_int_distribution<int> plane(0, 9);
  std::uniform_int_distribution<std::uint32_t> ascii(0, 0x7F);
  std::uniform_int_distribution<std::uint32_t> two(0x80, 0x7FF);
  std::uniform_int_distribution<std::uint32_t> three(0x800, 0xFFFF);
  std::uniform_int_distribution<std::uint32_t> four(0x10000, 0x10FFFF);
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const int code_points = length(random);
    for (int i = 0; i < code_points; ++i) {
      const int kind = plane(random);
      char32_t cp = kind < 4 ? ascii(random) : kind < 6 ? two(random) : kind < 8 ? three(random) : four(random);
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // surrogates are not scalar values
      append_utf8(text, cp);
    }
    INFO("bytes: " << hex(text));
    REQUIRE(simdjson::validate_utf8(text));
    REQUIRE(is_valid_utf8(text));
    const std::string json = escaped(text);
    REQUIRE(parse_json_string(json) == text);
  }
}

TEST_CASE("invalid UTF-8 is refused and leaves the output untouched", "[json_escape]") {
  for (const auto& c : invalid_cases) {
    INFO(c.what << ": " << hex(c.bytes));
    CHECK_FALSE(simdjson::validate_utf8(c.bytes));  // the reference agrees it is invalid
    CHECK_FALSE(is_valid_utf8(c.bytes));
    CHECK(find_invalid_utf8(c.bytes) == c.offset);
    std::string out = "{\"a\":";
    CHECK_FALSE(append_json_string(out, c.bytes));
    CHECK(out == "{\"a\":");
    CHECK_FALSE(append_json_escaped(out, c.bytes));
    CHECK(out == "{\"a\":");
    try {
      (void)json_string(c.bytes);
      FAIL("json_string accepted invalid UTF-8");
    } catch (const invalid_utf8_error& error) {
      CHECK(error.offset() == c.offset);
    }
    // Embedded after a long valid prefix (the 8-byte scan) it is still found.
    const std::string embedded = std::string(37, 'x') + "\xC3\xA9" + c.bytes + "tail";
    CHECK(find_invalid_utf8(embedded) == 39 + c.offset);
    CHECK_FALSE(append_json_string(out, embedded));
    CHECK(out == "{\"a\":");
  }
}

TEST_CASE("our validator agrees with simdjson on random bytes", "[json_escape]") {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> length(0, 24);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> high(0x80, 0xFF);
  int valid = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string text;
    const int n = length(random);
    for (int i = 0; i < n; ++i) text.push_back(static_cast<char>(round % 2 ? byte(random) : high(random)));
    const bool reference = simdjson::validate_utf8(text);
    INFO("bytes: " << hex(text));
    REQUIRE(is_valid_utf8(text) == reference);
    std::string out;
    REQUIRE(append_json_string(out, text) == reference);
    if (reference) {
      ++valid;
      REQUIRE(parse_json_string(out) == text);
    } else {
      REQUIRE(out.empty());
    }
  }
  CHECK(valid > 1000);  // the sample did exercise both outcomes
}

TEST_CASE("every 2-byte string and every lead/second/third combination agree with simdjson", "[json_escape]") {
  auto check = [](const std::string& text) {
    const bool reference = simdjson::validate_utf8(text);
    std::string out;
    const bool accepted = append_json_string(out, text);
    if (accepted != reference || is_valid_utf8(text) != reference) {
      FAIL("disagreement on " << hex(text) << ": simdjson says " << reference);
    }
    if (accepted && parse_json_string(out) != text) FAIL("round-trip changed " << hex(text));
  };
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const char pair[2] = {static_cast<char>(a), static_cast<char>(b)};
      check(std::string(pair, 2));
    }
  }
  for (int lead = 0xC0; lead < 0x100; ++lead) {
    for (int second = 0x70; second < 0xD0; ++second) {
      for (const int third : {0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0}) {
        const char three[3] = {static_cast<char>(lead), static_cast<char>(second), static_cast<char>(third)};
        check(std::string(three, 3));
        for (const int fourth : {0x7F, 0x80, 0xBF, 0xC0}) {
          const char four[4] = {static_cast<char>(lead), static_cast<char>(second), static_cast<char>(third),
                                static_cast<char>(fourth)};
          check(std::string(four, 4));
        }
      }
    }
  }
  SUCCEED("all agree");
}

TEST_CASE("the lossy form replaces each maximal invalid subpart with U+FFFD", "[json_escape]") {
  const std::string replacement = "\xEF\xBF\xBD";
  struct lossy_case {
    std::string in;
    std::string out;
  };
  const std::vector<lossy_case> cases{
      {"ok", "ok"},
      {"a\x80" "b", "a" + replacement + "b"},
      {"\xF0\x9F\x98", replacement},                                  // truncated: one subpart
      {"\xF0\x9F\x98(", replacement + "("},
      {"\xC0\xAF", replacement + replacement},                        // C0 never starts a sequence
      {"\xED\xA0\x80", replacement + replacement + replacement},      // surrogate: three
      {"\xF4\x90\x80\x80", replacement + replacement + replacement + replacement},
      {"\xE2\x82" "\xE2\x82\xAC", replacement + "\xE2\x82\xAC"},      // then a valid euro sign
      {"caf\xE9\n", "caf" + replacement + "\n"},
  };
  for (const auto& c : cases) {
    INFO(hex(c.in));
    std::string out;
    append_json_string_lossy(out, c.in);
    CHECK(parse_json_string(out) == c.out);
  }
  std::mt19937 random(11);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (int i = 0; i < 16; ++i) text.push_back(static_cast<char>(byte(random)));
    std::string out;
    append_json_string_lossy(out, text);
    INFO(hex(text));
    const std::string parsed = parse_json_string(out);
    REQUIRE(is_valid_utf8(parsed));
    if (is_valid_utf8(text)) REQUIRE(parsed == text);
  }
}

TEST_CASE("escaping appends to what is already there", "[json_escape]") {
  std::string out = "{\"k\":";
  REQUIRE(append_json_string(out, "v\"1"));
  out += ",\"u\":";
  REQUIRE(append_json_string(out, "Grüße, 東京 🙂"));
  out += "}";
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(out).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["k"]) == "v\"1");
  CHECK(std::string_view(doc["u"]) == "Grüße, 東京 🙂");
  std::string bare;
  REQUIRE(append_json_escaped(bare, "a\tb"));
  CHECK(bare == "a\\tb");
}

TEST_CASE("U+2028 and U+2029 are escaped, so line splitters see one record", "[json_escape]") {
  // JavaScript before ES2019 and Python's str.splitlines() treat them as line ends.
  const std::string line_separator = "\xE2\x80\xA8";
  const std::string paragraph_separator = "\xE2\x80\xA9";
  const std::string text = "a" + line_separator + "b" + paragraph_separator + "c";
  CHECK(escaped(text) == R"("a\u2028b\u2029c")");
  CHECK(parse_json_string(escaped(text)) == text);

  std::string out;
  REQUIRE(append_json_escaped(out, line_separator));
  CHECK(out == R"(\u2028)");
  out.clear();
  append_json_string_lossy(out, "\xFF" + paragraph_separator + "\xFF");
  CHECK(out == "\"\xEF\xBF\xBD\\u2029\xEF\xBF\xBD\"");
  CHECK(json_string(line_separator + line_separator) == R"("\u2028\u2028")");

  // At every position around the 8-byte scan, and next to other non-ASCII text.
  for (std::size_t position = 0; position < 20; ++position) {
    const std::string padded = std::string(position, 'x') + "\xC3\xA9" + line_separator + "\xE2\x82\xAC" +
                               std::string(position % 9, 'y');
    INFO("position " << position);
    const std::string json = escaped(padded);
    CHECK(json.find("\xE2\x80\xA8") == std::string::npos);
    CHECK(json.find(R"(\u2028)") != std::string::npos);
    CHECK(parse_json_string(json) == padded);
  }
  // Their neighbours stay raw.
  for (const char* neighbour : {"\xE2\x80\xA7", "\xE2\x80\xAA", "\xE2\x81\xA8", "\xE3\x80\xA8"}) {
    CHECK(escaped(neighbour) == std::string("\"") + neighbour + "\"");
  }
}
