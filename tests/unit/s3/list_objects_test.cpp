#include "s3co/s3/list_objects.hpp"

#include <catch2/catch.hpp>

#include "support/fake_sender.hpp"
#include "support/run_async.hpp"

using namespace s3co;
using s3co::testing::answer;
using s3co::testing::fake_sender;

namespace {

std::string page_xml(const std::string& inner, bool encoded = true) {
  return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                     "<Name>bucket</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>") +
         (encoded ? "<EncodingType>url</EncodingType>" : "") + inner + "</ListBucketResult>";
}

std::string contents(const std::string& key, int size = 5) {
  return "<Contents><Key>" + key + "</Key><LastModified>2026-04-01T12:00:00.000Z</LastModified>"
         "<ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>" + std::to_string(size) +
         "</Size><StorageClass>STANDARD</StorageClass></Contents>";
}

s3::list_page parse(std::string body) { return s3::parse_list_objects_v2(body, "ListObjectsV2 test"); }

}  // namespace

TEST_CASE("an AWS-style page: '+' is a space, %XX decoded", "[list]") {
  // Recorded shape of an AWS answer with encoding-type=url.
  const auto page = parse(page_xml("<KeyCount>3</KeyCount><IsTruncated>false</IsTruncated>" +
                                   contents("annual+report%2B2026.pdf", 11) + contents("caf%C3%A9/%01ctl") +
                                   contents("a%2F%2Fb/..%2Fc")));
  REQUIRE(page.objects.size() == 3);
  CHECK(page.objects[0].key == "annual report+2026.pdf");
  CHECK(page.objects[0].size == 11);
  CHECK(page.objects[0].etag == "\"5d41402abc4b2a76b9719d911017c592\"");
  CHECK(page.objects[0].last_modified == aws::parse_iso8601_utc("2026-04-01T12:00:00.000Z"));
  REQUIRE(page.objects[0].last_modified);
  CHECK(aws::amz_timestamp(*page.objects[0].last_modified).text() == "20260401T120000Z");
  CHECK(page.objects[1].key == "café/\x01" "ctl");
  CHECK(page.objects[2].key == "a//b/../c");
  CHECK_FALSE(page.is_truncated);
}

TEST_CASE("a radosgw-style page: %20 for space, '/' literal in CommonPrefixes", "[list]") {
  const auto page = parse(page_xml("<IsTruncated>true</IsTruncated><NextContinuationToken>1~abc+/=</NextContinuationToken>" +
                                   contents("with%20space.pdf") +
                                   "<CommonPrefixes><Prefix>dir%20one/</Prefix></CommonPrefixes>"));
  CHECK(page.objects.at(0).key == "with space.pdf");
  CHECK(page.common_prefixes == std::vector<std::string>{"dir one/"});
  CHECK(page.is_truncated);
  CHECK(page.next_continuation_token == "1~abc+/=");  // opaque: never decoded
}

TEST_CASE("whitespace-only keys and tokens survive", "[list]") {
  // radosgw's token is the last key, unencoded: it may be a lone tab.
  const auto page = parse(page_xml("<IsTruncated>true</IsTruncated>" + contents("%09") + contents("%20") +
                                   "<NextContinuationToken>\t</NextContinuationToken>"));
  CHECK(page.objects.at(0).key == "\t");
  CHECK(page.objects.at(1).key == " ");
  CHECK(page.next_continuation_token == "\t");
}

TEST_CASE("without EncodingType nothing is decoded", "[list]") {
  const auto page = parse(page_xml("<IsTruncated>false</IsTruncated>" + contents("a+b%20c"), false));
  CHECK(page.objects.at(0).key == "a+b%20c");
}

TEST_CASE("XML entities in keys", "[list]") {
  const auto page = parse(page_xml("<IsTruncated>false</IsTruncated>" + contents("%3C%3E%26%27%22") +
                                   contents("&lt;raw&amp;&apos;&quot;&gt;", 1), true));
  CHECK(page.objects.at(0).key == "<>&'\"");
  CHECK(page.objects.at(1).key == "<raw&'\">");
}

TEST_CASE("bad pages are errors, never short listings", "[list]") {
  const std::string good = page_xml("<KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>" + contents("a") + contents("b"));
  SECTION("truncated body") {
    for (std::size_t cut : {good.size() / 2, good.size() - 20, good.size() - 1}) {
      INFO(cut);
      CHECK_THROWS_AS(parse(good.substr(0, cut)), s3::malformed_response);
    }
  }
  SECTION("IsTruncated without a token") {
    CHECK_THROWS_WITH(parse(page_xml("<IsTruncated>true</IsTruncated>" + contents("a"))),
                      Catch::Contains("NextContinuationToken is missing"));
  }
  SECTION("no IsTruncated") { CHECK_THROWS_AS(parse(page_xml(contents("a"))), s3::malformed_response); }
  SECTION("KeyCount disagrees") {
    CHECK_THROWS_WITH(parse(page_xml("<KeyCount>3</KeyCount><IsTruncated>false</IsTruncated>" + contents("a"))),
                      Catch::Contains("KeyCount 3"));
  }
  SECTION("bad size, missing key, bad escape, wrong root") {
    CHECK_THROWS_AS(parse(page_xml("<IsTruncated>false</IsTruncated>" + contents("a") +
                                   "<Contents><Key>b</Key><Size>x</Size></Contents>")),
                    s3::malformed_response);
    CHECK_THROWS_AS(parse(page_xml("<IsTruncated>false</IsTruncated><Contents><Size>1</Size></Contents>")),
                    s3::malformed_response);
    CHECK_THROWS_AS(parse(page_xml("<IsTruncated>false</IsTruncated>" + contents("bad%zzescape"))),
                    s3::malformed_response);
    CHECK_THROWS_AS(parse("<Other><IsTruncated>false</IsTruncated></Other>"), s3::malformed_response);
    CHECK_THROWS_AS(parse(""), s3::malformed_response);
  }
}

TEST_CASE("the paginator follows tokens, sends encoding-type=url, and stops", "[list]") {
  int calls = 0;
  fake_sender sender([&](const http::request& request) {
    ++calls;
    CHECK_THAT(request.target, Catch::Contains("encoding-type=url") && Catch::Contains("list-type=2") &&
                                   Catch::Contains("max-keys=2") && Catch::Contains("prefix=a%20b%2F"));
    if (calls == 1) {
      CHECK_THAT(request.target, !Catch::Contains("continuation-token"));
      return answer(200, page_xml("<IsTruncated>true</IsTruncated><NextContinuationToken>t+1/=</NextContinuationToken>" +
                                  contents("a%20b/1") + contents("a%20b/2")));
    }
    CHECK_THAT(request.target, Catch::Contains("continuation-token=t%2B1%2F%3D"));
    return answer(200, page_xml("<IsTruncated>false</IsTruncated>" + contents("a%20b/3")));
  });
  s3::client s3(sender, {"AKID", "secret", ""}, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  s3::list_paginator pages(s3, {"bucket", "a b/", "", "", 2, ""});
  std::vector<std::string> keys;
  s3co::testing::run_async([&]() -> boost::asio::awaitable<void> {
    while (auto page = co_await pages.next()) {
      for (auto& object : page->objects) keys.push_back(object.key);
    }
  }());
  CHECK(keys == std::vector<std::string>{"a b/1", "a b/2", "a b/3"});
  CHECK(pages.pages() == 2);
  CHECK(pages.done());
}

TEST_CASE("a token that repeats an earlier one is a malformed_response, not an endless cycle", "[list]") {
  int page = 0;
  fake_sender sender([&](const http::request&) {
    const std::string token = ++page % 2 == 1 ? "token-a" : "token-b";  // a, b, a, ...
    return answer(200, page_xml("<IsTruncated>true</IsTruncated><NextContinuationToken>" + token +
                                "</NextContinuationToken>" + contents("k")));
  });
  s3::client s3(sender, {"AKID", "secret", ""}, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  s3::list_paginator pages(s3, {"bucket", "", "", "", 1000, ""});
  try {
    s3co::testing::run_async([&]() -> boost::asio::awaitable<void> {
      while (co_await pages.next()) {
      }
    }());
    FAIL("the listing should have failed");
  } catch (const s3::malformed_response& error) {
    CHECK(std::string(error.what()) ==
          "ListObjectsV2 bucket page 3: the continuation token repeats the one of page 1: the listing would never end");
  }
  CHECK(page == 3);
}

TEST_CASE("a token that does not advance is an error, not an endless loop", "[list]") {
  fake_sender sender([&](const http::request&) {
    return answer(200, page_xml("<IsTruncated>true</IsTruncated><NextContinuationToken>same</NextContinuationToken>" +
                                contents("k")));
  });
  s3::client s3(sender, {"AKID", "secret", ""}, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  s3::list_paginator pages(s3, {"bucket", "", "", "", 1000, ""});
  CHECK_THROWS_WITH(s3co::testing::run_async([&]() -> boost::asio::awaitable<void> {
                      while (co_await pages.next()) {
                      }
                    }()),
                    Catch::Contains("did not advance"));
}

TEST_CASE("list requests are validated", "[list]") {
  fake_sender sender([](const http::request&) { return answer(200); });
  s3::client s3(sender, {"AKID", "secret", ""}, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  CHECK_THROWS_WITH(s3::list_paginator(s3, {"bucket", "", "", "", 0, ""}), Catch::StartsWith("max_keys: 0"));
  CHECK_THROWS_WITH(s3::list_paginator(s3, {"bucket", "", "", "", 1001, ""}), Catch::StartsWith("max_keys: 1001"));
  CHECK_THROWS_WITH(s3::list_paginator(s3, {"", "", "", "", 10, ""}), Catch::StartsWith("bucket:"));
}

TEST_CASE("the object lister yields every object across pages, skipping empty ones", "[list]") {
  int calls = 0;
  fake_sender sender([&](const http::request&) {
    ++calls;
    if (calls == 1) {
      return answer(200, page_xml("<IsTruncated>true</IsTruncated><NextContinuationToken>t1</NextContinuationToken>" +
                                  contents("a") + contents("b")));
    }
    if (calls == 2) {  // only a common prefix: no object
      return answer(200, page_xml("<IsTruncated>true</IsTruncated><NextContinuationToken>t2</NextContinuationToken>"
                                  "<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>"));
    }
    return answer(200, page_xml("<IsTruncated>false</IsTruncated>" + contents("c%20d")));
  });
  s3::client s3(sender, {"AKID", "secret", ""}, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  s3::object_lister objects(s3, {.bucket = "bucket", .delimiter = "/", .max_keys = 2});
  CHECK(objects.page() == nullptr);
  std::vector<std::string> keys;
  std::vector<std::string> prefixes_seen;
  s3co::testing::run_async([&]() -> boost::asio::awaitable<void> {
    while (auto object = co_await objects.next()) {
      keys.push_back(object->key);
      // The page each object came from stays visible.
      REQUIRE(objects.page() != nullptr);
      if (objects.page()->common_prefixes.size()) prefixes_seen.push_back(objects.page()->common_prefixes[0]);
    }
    CHECK_FALSE(co_await objects.next());  // stays finished
  }());
  CHECK(keys == std::vector<std::string>{"a", "b", "c d"});
  CHECK(objects.paginator().pages() == 3);
  CHECK(calls == 3);
}

TEST_CASE("LastModified is a time when it reads as one, and none otherwise", "[list]") {
  const auto page = parse(page_xml(
      "<IsTruncated>false</IsTruncated>"
      "<Contents><Key>a</Key><LastModified>2026-04-01T12:00:00.250Z</LastModified><Size>1</Size></Contents>"
      "<Contents><Key>b</Key><Size>1</Size></Contents>"
      "<Contents><Key>c</Key><LastModified>yesterday</LastModified><Size>1</Size></Contents>"));
  REQUIRE(page.objects.size() == 3);
  REQUIRE(page.objects[0].last_modified);
  CHECK(page.objects[0].last_modified->time_since_epoch() % std::chrono::seconds(1) == std::chrono::milliseconds(250));
  CHECK_FALSE(page.objects[1].last_modified);
  CHECK_FALSE(page.objects[2].last_modified);
}
