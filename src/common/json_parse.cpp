#include "citytwin/common/json_parse.hpp"

#include <charconv>
#include <string>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

namespace citytwin {
namespace {

namespace json = boost::json;
using boost::system::error_code;

// Builds the value on a value_stack like Boost.JSON's own parser; only doubles differ.
class PreciseNumberHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  PreciseNumberHandler(json::storage_ptr storage, unsigned char* buffer, std::size_t size)
      : stack_(std::move(storage), buffer, size) {}

  void reset(json::storage_ptr storage) { stack_.reset(std::move(storage)); }
  json::value release() { return stack_.release(); }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    stack_.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    stack_.push_string(s);
    return true;
  }
  // A number split across writes arrives in parts; parse_json writes once, but stays correct.
  bool on_number_part(json::string_view s, error_code&) {
    number_text_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    number_text_.clear();
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    number_text_.clear();
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double approximate, json::string_view tail, error_code&) {
    std::string_view text(tail.data(), tail.size());
    if (!number_text_.empty()) {
      number_text_.append(tail.data(), tail.size());
      text = number_text_;
    }
    stack_.push_double(correctly_rounded(text, approximate));
    number_text_.clear();
    return true;
  }
  bool on_bool(bool b, error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

 private:
  // Out of range (beyond a double, or below its smallest subnormal) keeps Boost.JSON's
  // answer: infinity, which callers refuse (json_document.hpp), or zero.
  static double correctly_rounded(std::string_view text, double approximate) {
    double exact = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), exact);
    if (ec != std::errc() || end != text.data() + text.size()) return approximate;
    return exact;
  }

  json::value_stack stack_;
  std::string number_text_;
};

}  // namespace

json::value parse_json(std::string_view text, error_code& ec, json::storage_ptr storage,
                       const json::parse_options& options) {
  unsigned char buffer[BOOST_JSON_STACK_BUFFER_SIZE];
  json::basic_parser<PreciseNumberHandler> parser(options, json::storage_ptr(), buffer,
                                                  sizeof(buffer));
  parser.handler().reset(std::move(storage));
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) return nullptr;
  return parser.handler().release();
}

}  // namespace citytwin
