#include "docker/tar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace codeexec::docker {
namespace {

constexpr std::size_t kBlock = 512;

// Field offsets and sizes in a ustar header.
struct Field {
  std::size_t offset, size;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12},
    kMtime{136, 12}, kChecksum{148, 8}, kType{156, 1}, kMagic{257, 6}, kVersion{263, 2},
    kPrefix{345, 155};

void PutOctal(std::string& header, Field field, uint64_t value) {
  std::string digits = fmt::format("{:0{}o}", value, field.size - 1);
  std::memcpy(header.data() + field.offset, digits.data(), std::min(digits.size(), field.size - 1));
}

void PutText(std::string& header, Field field, std::string_view text) {
  std::memcpy(header.data() + field.offset, text.data(), std::min(text.size(), field.size));
}

std::string_view GetText(std::string_view header, Field field) {
  std::string_view text = header.substr(field.offset, field.size);
  return text.substr(0, text.find('\0'));
}

// Octal, or base-256 (the high bit of the first byte set) for values octal cannot hold.
uint64_t GetNumber(std::string_view header, Field field) {
  std::string_view text = header.substr(field.offset, field.size);
  uint64_t value = 0;
  if (!text.empty() && (static_cast<unsigned char>(text[0]) & 0x80) != 0) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      unsigned char byte = static_cast<unsigned char>(text[i]);
      value = (value << 8) | (i == 0 ? byte & 0x7f : byte);
    }
    return value;
  }
  for (char c : text) {
    if (c >= '0' && c <= '7') value = value * 8 + static_cast<uint64_t>(c - '0');
    if (c == '\0') break;
  }
  return value;
}

uint64_t Padding(uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

// "LEN path=VALUE\n", LEN counting the whole record, its own digits included.
std::string PaxRecord(std::string_view key, std::string_view value) {
  std::size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  std::size_t length = body + 1;
  while (fmt::format("{}", length).size() + body > length) ++length;
  return fmt::format("{} {}={}\n", length, key, value);
}

}  // namespace

void TarWriter::AddHeader(std::string_view name, char type, uint32_t mode, uint64_t size,
                          int64_t mtime) {
  if (name.size() > kName.size) {
    std::string pax = PaxRecord("path", name);
    AddHeader("PaxHeader", 'x', 0644, pax.size(), mtime);
    archive_ += pax;
    Pad();
    name = name.substr(0, kName.size);
  }
  std::string header(kBlock, '\0');
  PutText(header, kName, name);
  PutOctal(header, kMode, mode & 07777);
  PutOctal(header, kUid, 0);
  PutOctal(header, kGid, 0);
  PutOctal(header, kSize, size);
  PutOctal(header, kMtime, static_cast<uint64_t>(std::max<int64_t>(mtime, 0)));
  header[kType.offset] = type;
  PutText(header, kMagic, std::string_view("ustar\0", 6));
  PutText(header, kVersion, "00");
  std::memset(header.data() + kChecksum.offset, ' ', kChecksum.size);
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  std::string checksum = fmt::format("{:06o}", sum);
  std::memcpy(header.data() + kChecksum.offset, checksum.data(), 6);
  header[kChecksum.offset + 6] = '\0';
  archive_ += header;
}

void TarWriter::Pad() { archive_.append(Padding(archive_.size()), '\0'); }

void TarWriter::AddDirectory(std::string_view name, uint32_t mode, int64_t mtime) {
  AddHeader(std::string(name) + "/", '5', mode, 0, mtime);
}

void TarWriter::AddFile(std::string_view name, std::string_view contents, uint32_t mode,
                        int64_t mtime) {
  AddHeader(name, '0', mode, contents.size(), mtime);
  archive_.append(contents);
  Pad();
}

std::string TarWriter::Finish() {
  archive_.append(2 * kBlock, '\0');
  return std::move(archive_);
}

void TarReader::ApplyPax(std::string_view records) {
  while (!records.empty()) {
    std::size_t space = records.find(' ');
    if (space == std::string_view::npos) return;
    std::size_t length = 0;
    for (char c : records.substr(0, space))
      length = length * 10 + static_cast<std::size_t>(c - '0');
    if (length <= space + 1 || length > records.size()) return;
    std::string_view record = records.substr(space + 1, length - space - 2);  // no '\n'
    records.remove_prefix(length);
    std::size_t eq = record.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
    if (key == "path") next_name_ = value;
    if (key == "size") next_size_ = value;
    if (key == "mtime") next_mtime_ = value.substr(0, value.find('.'));
  }
}

Result<void> TarReader::OnHeader() {
  std::string_view header = header_;
  if (header.find_first_not_of('\0') == std::string_view::npos) {
    ended_ = true;  // the end-of-archive marker
    return {};
  }
  unsigned sum = 0, stored = static_cast<unsigned>(GetNumber(header, kChecksum));
  for (std::size_t i = 0; i < kBlock; ++i) {
    bool in_checksum = i >= kChecksum.offset && i < kChecksum.offset + kChecksum.size;
    sum += in_checksum ? ' ' : static_cast<unsigned char>(header[i]);
  }
  if (sum != stored) return MakeError(ErrorCode::kInvalidArgument, "a tar header is corrupt");
  char type = header[kType.offset];
  uint64_t size = GetNumber(header, kSize);
  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
    extension_ = size > 0 ? type : 0;
    extension_data_.clear();
    data_left_ = size;
    padding_left_ = Padding(size);
    return {};
  }
  TarEntry entry;
  if (!next_name_.empty()) {
    entry.name = std::move(next_name_);
  } else {
    std::string_view prefix = GetText(header, kPrefix), name = GetText(header, kName);
    bool ustar = GetText(header, kMagic).starts_with("ustar");
    entry.name = ustar && !prefix.empty() ? fmt::format("{}/{}", prefix, name) : std::string(name);
  }
  while (entry.name.starts_with("./")) entry.name.erase(0, 2);
  while (entry.name.ends_with('/')) entry.name.pop_back();
  if (!next_size_.empty()) size = std::strtoull(next_size_.c_str(), nullptr, 10);
  entry.size = size;
  entry.mode = static_cast<uint32_t>(GetNumber(header, kMode));
  entry.mtime = next_mtime_.empty() ? static_cast<int64_t>(GetNumber(header, kMtime))
                                    : std::strtoll(next_mtime_.c_str(), nullptr, 10);
  entry.type = type == '0' || type == '\0' || type == '7' ? TarEntry::Type::kFile
               : type == '5'                              ? TarEntry::Type::kDirectory
               : type == '2'                              ? TarEntry::Type::kSymlink
               : type == '1'                              ? TarEntry::Type::kHardLink
                                                          : TarEntry::Type::kOther;
  if (entry.type != TarEntry::Type::kFile && entry.type != TarEntry::Type::kOther) size = 0;
  next_name_.clear();
  next_size_.clear();
  next_mtime_.clear();
  data_left_ = size;
  padding_left_ = Padding(size);
  entry_open_ = true;
  if (auto begun = callbacks_.begin(entry); !begun) return begun;
  if (data_left_ == 0) {
    entry_open_ = false;
    return callbacks_.end();
  }
  return {};
}

Result<void> TarReader::Feed(std::string_view bytes) {
  while (!bytes.empty() && !ended_) {
    if (data_left_ > 0) {
      std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(data_left_, bytes.size()));
      if (extension_ != 0) {
        extension_data_.append(bytes.substr(0, take));
      } else if (auto taken = callbacks_.data(bytes.substr(0, take)); !taken) {
        return taken;
      }
      data_left_ -= take;
      bytes.remove_prefix(take);
      if (data_left_ > 0) continue;
      if (extension_ == 'x') ApplyPax(extension_data_);
      if (extension_ == 'L') next_name_ = extension_data_.substr(0, extension_data_.find('\0'));
      if (extension_ == 0 && entry_open_) {
        entry_open_ = false;
        if (auto ended = callbacks_.end(); !ended) return ended;
      }
      extension_ = 0;
      continue;
    }
    if (padding_left_ > 0) {
      std::size_t skip = static_cast<std::size_t>(std::min<uint64_t>(padding_left_, bytes.size()));
      padding_left_ -= skip;
      bytes.remove_prefix(skip);
      continue;
    }
    std::size_t take = std::min(kBlock - header_.size(), bytes.size());
    header_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (header_.size() < kBlock) continue;
    auto parsed = OnHeader();
    header_.clear();
    if (!parsed) return parsed;
  }
  return {};
}

}  // namespace codeexec::docker
