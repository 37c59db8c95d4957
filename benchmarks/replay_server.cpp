// replay_server: a local stand-in for S3 that makes sign_pdfs client-bound.
//
//   replay_server --keys N [--prefix P] [--port PORT] [--page-size M]
//
// Answers, on 127.0.0.1 (port 0: any free port; the port is printed as
// {"port":P} on stdout once listening):
//
// - ListObjectsV2 (GET /<bucket>?list-type=2&...): N synthetic keys under P,
//   P YYYY/MM/invoice-NNNNNNNN.pdf (7 years x 12 months, numbers spread over
//   every month, about 90 % .pdf), served in bytewise key order as S3 does.
//   prefix, start-after (keys after it), continuation-token (wins over
//   start-after; the decimal index of the next key in the sorted listing),
//   delimiter (keys with the delimiter after the prefix roll up into
//   <CommonPrefixes>, each counted once against max-keys) and max-keys
//   (at most M, --page-size, default 1,000, which is also the default) are
//   honoured. With encoding-type=url the echoed
//   Prefix, StartAfter and Delimiter are percent-encoded (the keys need no
//   escaping); without it, StartAfter is not echoed (a cut point may hold
//   bytes XML cannot carry). A page is built from the sorted keys, held in
//   one buffer, on each request: no per-key allocation.
// - PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
//   AbortMultipartUpload: bodies are read in 64 KiB chunks, counted and
//   discarded (after a 100 Continue when the client expects one).
// - GET /__stats: {"requests","list_requests","puts","parts","completed",
//   "aborted","bytes_received"} as JSON.
//
// Signatures are not checked. One thread per connection; the client keeps
// its connections alive, so there are few.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct options {
  std::uint64_t keys = 10000;
  std::string prefix = "bench/";
  unsigned short port = 0;
  std::uint64_t page_size = 1000;
};

struct counters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> list_requests{0};
  std::atomic<std::uint64_t> puts{0};
  std::atomic<std::uint64_t> parts{0};
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> aborted{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> uploads{0};
};

// Key i: <prefix>YYYY/MM/invoice-NNNNNNNN.pdf, one in ten .csv; one in 50
// of the PDFs .PDF.
std::string make_key(const std::string& prefix, std::uint64_t i) {
  char name[64];
  const char* extension = i % 10 == 9 ? "csv" : (i % 50 == 0 ? "PDF" : "pdf");
  std::snprintf(name, sizeof name, "%04u/%02u/invoice-%08llu.%s", static_cast<unsigned>(2020 + i % 7),
                static_cast<unsigned>(1 + (i / 7) % 12), static_cast<unsigned long long>(i), extension);
  return prefix + name;
}

void append_contents(std::string& out, std::string_view key, std::uint64_t size) {
  char digits[24];
  const auto [digits_end, _] = std::to_chars(digits, digits + sizeof digits, size);
  out.append("<Contents><Key>")
      .append(key)
      .append(
          "</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
          "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>")
      .append(digits, digits_end)
      .append("</Size><StorageClass>STANDARD</StorageClass></Contents>");
}

// For the echoed request fields: every byte but A-Z a-z 0-9 - . _ ~ / escaped.
std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 15]);
    }
  }
  return out;
}

struct list_query {
  std::string_view bucket;
  std::string_view prefix;
  std::string_view start_after;
  std::string_view delimiter;
  std::string_view token;  // empty: none
  std::uint64_t max_keys = 1000;
  bool url_encoded = false;
};

// The N keys, sorted bytewise, in one buffer; sizes by original index.
class listing {
 public:
  explicit listing(const options& opts) : page_cap_(opts.page_size) {
    std::vector<std::pair<std::string, std::uint64_t>> keys;
    keys.reserve(opts.keys);
    for (std::uint64_t i = 0; i < opts.keys; ++i) keys.emplace_back(make_key(opts.prefix, i), 1024 + i % 4096);
    std::sort(keys.begin(), keys.end());
    offsets_.reserve(keys.size() + 1);
    sizes_.reserve(keys.size());
    for (const auto& [key, size] : keys) {
      offsets_.push_back(text_.size());
      text_.append(key);
      sizes_.push_back(size);
    }
    offsets_.push_back(text_.size());
  }

  std::uint64_t size() const noexcept { return sizes_.size(); }
  std::uint64_t page_cap() const noexcept { return page_cap_; }

  std::string page(const list_query& q) const {
    // The prefix's keys are [first, last); the page starts at the token, else after start-after.
    const std::uint64_t first = lower_bound(q.prefix);
    const std::uint64_t last = first + count_if_prefixed(first, q.prefix);
    std::uint64_t index = q.token.empty() ? upper_bound(q.start_after) : to_number(q.token);
    index = std::clamp(index, first, last);

    std::string contents;
    std::string prefixes;
    std::uint64_t count = 0;
    contents.reserve(std::min<std::uint64_t>(q.max_keys, last - index) * 240);
    while (index < last && count < q.max_keys) {
      const std::string_view k = key(index);
      const std::size_t mark =
          q.delimiter.empty() ? std::string_view::npos : k.find(q.delimiter, q.prefix.size());
      if (mark == std::string_view::npos) {
        append_contents(contents, k, sizes_[index]);
        ++index;
      } else {
        const std::string_view common = k.substr(0, mark + q.delimiter.size());
        prefixes.append("<CommonPrefixes><Prefix>").append(common).append("</Prefix></CommonPrefixes>");
        index += count_if_prefixed(index, common);
      }
      ++count;
    }

    std::string body;
    body.reserve(contents.size() + prefixes.size() + 1024);
    const auto echo = [&](std::string_view name, std::string_view value) {
      if (value.empty()) return;
      body.append("<").append(name).append(">");
      if (q.url_encoded) {
        body.append(percent_encode(value));
      } else {
        body.append(value);
      }
      body.append("</").append(name).append(">");
    };
    body.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>")
        .append(q.bucket)
        .append("</Name><Prefix>")
        .append(q.url_encoded ? percent_encode(q.prefix) : std::string(q.prefix))
        .append("</Prefix>");
    if (q.url_encoded) echo("StartAfter", q.start_after);
    echo("Delimiter", q.delimiter);
    body.append("<MaxKeys>")
        .append(std::to_string(q.max_keys))
        .append("</MaxKeys><KeyCount>")
        .append(std::to_string(count))
        .append("</KeyCount>");
    if (q.url_encoded) body.append("<EncodingType>url</EncodingType>");
    if (!q.token.empty()) body.append("<ContinuationToken>").append(q.token).append("</ContinuationToken>");
    if (index < last) {
      body.append("<IsTruncated>true</IsTruncated><NextContinuationToken>")
          .append(std::to_string(index))
          .append("</NextContinuationToken>");
    } else {
      body.append("<IsTruncated>false</IsTruncated>");
    }
    body.append(contents).append(prefixes).append("</ListBucketResult>");
    return body;
  }

 private:
  std::string_view key(std::uint64_t i) const {
    return std::string_view(text_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }

  // The first key >= text, and the first key > text.
  std::uint64_t lower_bound(std::string_view text) const {
    return partition([&](std::uint64_t i) { return key(i) < text; }, 0, size());
  }
  std::uint64_t upper_bound(std::string_view text) const {
    return partition([&](std::uint64_t i) { return key(i) <= text; }, 0, size());
  }
  // How many keys from `from` on start with `prefix` (from is the first of them, or past them).
  std::uint64_t count_if_prefixed(std::uint64_t from, std::string_view prefix) const {
    return partition([&](std::uint64_t i) { return key(i).starts_with(prefix); }, from, size()) - from;
  }
  // The first index in [lo, hi) where `before` is false (it is true, then false).
  template <class Predicate>
  static std::uint64_t partition(Predicate before, std::uint64_t lo, std::uint64_t hi) {
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (before(mid)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  static std::uint64_t to_number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size() ? value : 0;
  }

  std::uint64_t page_cap_;
  std::string text_;
  std::vector<std::uint64_t> offsets_;
  std::vector<std::uint64_t> sizes_;
};

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      unsigned value = 0;
      const auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (error == std::errc{} && end == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

struct target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;

  std::optional<std::string> param(std::string_view name) const {
    for (const auto& [key, value] : query) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
};

target parse_target(std::string_view text) {
  target parsed;
  const std::size_t mark = text.find('?');
  parsed.path = percent_decode(text.substr(0, mark));
  if (mark == std::string_view::npos) return parsed;
  std::string_view rest = text.substr(mark + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    const std::size_t eq = item.find('=');
    parsed.query.emplace_back(percent_decode(item.substr(0, eq)),
                              eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return parsed;
}

std::uint64_t to_number(const std::optional<std::string>& text, std::uint64_t fallback) {
  if (!text || text->empty()) return fallback;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  return error == std::errc{} && end == text->data() + text->size() ? value : fallback;
}

http::response<http::string_body> respond(const http::request_header<>& header, bool keep_alive, const listing& keys,
                                          counters& stats) {
  http::response<http::string_body> response{http::status::ok, header.version()};
  response.set("x-amz-request-id", "replay");
  response.keep_alive(keep_alive);
  const target t = parse_target(header.target());
  const std::string_view path = t.path;
  const std::size_t slash = path.find('/', 1);
  const std::string_view bucket = path.substr(1, slash == std::string_view::npos ? path.npos : slash - 1);
  const bool object = slash != std::string_view::npos && slash + 1 < path.size();
  const auto xml = [&](std::string body) {
    response.set(http::field::content_type, "application/xml");
    response.body() = std::move(body);
  };

  if (header.method() == http::verb::get && path == "/__stats") {
    response.set(http::field::content_type, "application/json");
    response.body() = "{\"requests\":" + std::to_string(stats.requests.load()) +
                      ",\"list_requests\":" + std::to_string(stats.list_requests.load()) +
                      ",\"puts\":" + std::to_string(stats.puts.load()) + ",\"parts\":" + std::to_string(stats.parts.load()) +
                      ",\"completed\":" + std::to_string(stats.completed.load()) +
                      ",\"aborted\":" + std::to_string(stats.aborted.load()) +
                      ",\"bytes_received\":" + std::to_string(stats.bytes_received.load()) + "}";
  } else if (header.method() == http::verb::get && !object && t.param("list-type") == "2") {
    ++stats.list_requests;
    const std::string token = t.param("continuation-token").value_or("");
    const std::string prefix = t.param("prefix").value_or("");
    const std::string start_after = t.param("start-after").value_or("");
    const std::string delimiter = t.param("delimiter").value_or("");
    xml(keys.page({.bucket = bucket,
                   .prefix = prefix,
                   .start_after = start_after,
                   .delimiter = delimiter,
                   .token = token,
                   .max_keys = std::clamp<std::uint64_t>(to_number(t.param("max-keys"), keys.page_cap()), 1,
                                                    keys.page_cap()),
                   .url_encoded = t.param("encoding-type") == "url"}));
  } else if (header.method() == http::verb::put && object) {
    if (t.param("uploadId")) {
      ++stats.parts;
      response.set(http::field::etag, "\"part-" + t.param("partNumber").value_or("0") + "\"");
    } else {
      ++stats.puts;
      response.set(http::field::etag, "\"9b2cf535f27731c974343645a3985328\"");
    }
  } else if (header.method() == http::verb::post && object && t.param("uploads")) {
    xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult><Bucket>" + std::string(bucket) +
        "</Bucket><Key>" + std::string(path.substr(slash + 1)) + "</Key><UploadId>replay-" +
        std::to_string(++stats.uploads) + "</UploadId></InitiateMultipartUploadResult>");
  } else if (header.method() == http::verb::post && object && t.param("uploadId")) {
    ++stats.completed;
    xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult><Bucket>" + std::string(bucket) +
        "</Bucket><Key>" + std::string(path.substr(slash + 1)) +
        "</Key><ETag>&quot;replay-multipart&quot;</ETag></CompleteMultipartUploadResult>");
  } else if (header.method() == http::verb::delete_ && object && t.param("uploadId")) {
    ++stats.aborted;
    response.result(http::status::no_content);
  } else {
    response.result(http::status::not_implemented);
    xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NotImplemented</Code><Message>replay_server "
        "does not serve this request</Message></Error>");
  }
  response.prepare_payload();
  return response;
}

void serve(tcp::socket socket, const listing& keys, counters& stats) {
  beast::flat_buffer buffer;
  std::vector<char> sink(64 * 1024);
  beast::error_code error;
  for (;;) {
    http::request_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    http::read_header(socket, buffer, parser, error);
    if (error) return;  // closed by the client, or garbage
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
      http::write(socket, go_on, error);
      if (error) return;
    }
    while (!parser.is_done()) {
      parser.get().body().data = sink.data();
      parser.get().body().size = sink.size();
      http::read(socket, buffer, parser, error);
      if (error == http::error::need_buffer) error = {};
      if (error) return;
      stats.bytes_received += sink.size() - parser.get().body().size;
    }
    ++stats.requests;
    auto response = respond(parser.get().base(), parser.keep_alive(), keys, stats);
    http::write(socket, response, error);
    if (error || !response.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, error);
}

options parse_options(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "replay_server: " << arg << " needs a value\n";
      std::exit(2);
    }
    const std::string value = argv[++i];
    if (arg == "--keys") {
      opts.keys = std::stoull(value);
    } else if (arg == "--prefix") {
      opts.prefix = value;
    } else if (arg == "--port") {
      opts.port = static_cast<unsigned short>(std::stoul(value));
    } else if (arg == "--page-size") {
      opts.page_size = std::clamp<std::uint64_t>(std::stoull(value), 1, 1000);
    } else {
      std::cerr << "usage: replay_server --keys N [--prefix P] [--port PORT] [--page-size M]\n";
      std::exit(2);
    }
  }
  return opts;
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  const listing keys(opts);
  counters stats;
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), opts.port));
  std::cout << "{\"port\":" << acceptor.local_endpoint().port() << ",\"keys\":" << opts.keys << "}" << std::endl;
  for (;;) {
    tcp::socket socket(io);
    beast::error_code error;
    acceptor.accept(socket, error);
    if (error) continue;
    socket.set_option(tcp::no_delay(true), error);
    std::thread(serve, std::move(socket), std::cref(keys), std::ref(stats)).detach();
  }
}
