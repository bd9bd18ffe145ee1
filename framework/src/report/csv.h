// CSV with RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled.
#pragma once

#include <string>
#include <vector>

namespace lq {

class CsvWriter {
 public:
  explicit CsvWriter(const std::vector<std::string>& header) { row(header); }
  void row(const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) out_ += (i ? "," : "") + quote(fields[i]);
    out_ += "\n";
  }
  const std::string& str() const { return out_; }

  static std::string quote(const std::string& field) {
    if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
    std::string q = "\"";
    for (char c : field) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }

 private:
  std::string out_;
};

}  // namespace lq
