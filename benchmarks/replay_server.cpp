// replay_server: a local stand-in for S3 that makes sign_pdfs client-bound.
//
//   replay_server --keys N [--prefix P] [--port PORT] [--page-size M]
//
// Answers, on 127.0.0.1 (port 0: any free port; the port is printed as
// {"port":P} on stdout once listening):
//
// - ListObjectsV2 (GET /<bucket>?list-type=2&...): N synthetic keys under P,
//   about 90 % of them .pdf, in key order. The <Contents> of pages of M keys
//   (default 1,000) are built in memory at start; a request for another
//   max-keys or a token off a page boundary is built on the fly.
//   continuation-token and max-keys are honoured (the token is the decimal
//   index of the next key), encoding-type=url is echoed (the keys need no
//   escaping); a prefix that does not cover P lists nothing.
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

void append_contents(std::string& out, const std::string& key, std::uint64_t i) {
  out.append("<Contents><Key>").append(key).append(
      "</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
      "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>");
  out.append(std::to_string(1024 + i % 4096)).append("</Size><StorageClass>STANDARD</StorageClass></Contents>");
}

class listing {
 public:
  explicit listing(const options& opts) : opts_(opts) {
    for (std::uint64_t begin = 0; begin < opts_.keys; begin += opts_.page_size) {
      pages_.push_back(contents(begin, std::min(opts_.keys, begin + opts_.page_size)));
    }
  }

  std::string page(std::string_view bucket, std::string_view prefix, std::uint64_t start, std::uint64_t max_keys,
                   std::string_view token, bool url_encoded) const {
    const bool covered = opts_.prefix.starts_with(prefix);
    const std::uint64_t total = covered ? opts_.keys : 0;
    start = std::min(start, total);
    const std::uint64_t end = std::min(total, start + max_keys);
    std::string body;
    body.reserve((end - start) * 240 + 512);
    body.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>")
        .append(bucket)
        .append("</Name><Prefix>")
        .append(prefix)
        .append("</Prefix><MaxKeys>")
        .append(std::to_string(max_keys))
        .append("</MaxKeys><KeyCount>")
        .append(std::to_string(end - start))
        .append("</KeyCount>");
    if (url_encoded) body.append("<EncodingType>url</EncodingType>");
    if (!token.empty()) body.append("<ContinuationToken>").append(token).append("</ContinuationToken>");
    if (end < total) {
      body.append("<IsTruncated>true</IsTruncated><NextContinuationToken>")
          .append(std::to_string(end))
          .append("</NextContinuationToken>");
    } else {
      body.append("<IsTruncated>false</IsTruncated>");
    }
    if (max_keys == opts_.page_size && start % opts_.page_size == 0 && start < end) {
      body.append(pages_[start / opts_.page_size]);  // the common case: pre-built
    } else if (start < end) {
      body.append(contents(start, end));
    }
    body.append("</ListBucketResult>");
    return body;
  }

 private:
  std::string contents(std::uint64_t begin, std::uint64_t end) const {
    std::string out;
    out.reserve((end - begin) * 230);
    for (std::uint64_t i = begin; i < end; ++i) append_contents(out, make_key(opts_.prefix, i), i);
    return out;
  }

  const options& opts_;
  std::vector<std::string> pages_;
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
    const std::uint64_t max_keys = std::clamp<std::uint64_t>(to_number(t.param("max-keys"), 1000), 1, 1000);
    xml(keys.page(bucket, t.param("prefix").value_or(""), to_number(token, 0), max_keys, token,
                  t.param("encoding-type") == "url"));
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
