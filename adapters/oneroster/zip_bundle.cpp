#include "oneroster/zip_bundle.hpp"

#include <zip.h>

#include <array>
#include <istream>
#include <streambuf>

namespace schakel::oneroster {

struct ZipBundle::Archive {
  zip_t* zip = nullptr;
  std::string name;    // the archive's path, for messages
  std::string prefix;  // "" or "<folder>/" when the bundle sits in one top-level folder
  ~Archive() {
    if (zip) zip_discard(zip);  // opened read-only: nothing to write back
  }
};

namespace {

// Reads one archive entry through a small buffer; a failed read (a CRC mismatch, a cut-off
// archive) ends the stream and is kept in `error` for the caller to report.
class EntryBuf final : public std::streambuf {
 public:
  EntryBuf(zip_file_t* file, std::string name, std::shared_ptr<Status> error)
      : file_(file), name_(std::move(name)), error_(std::move(error)) {}
  ~EntryBuf() override { zip_fclose(file_); }
  EntryBuf(const EntryBuf&) = delete;
  EntryBuf& operator=(const EntryBuf&) = delete;

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const zip_int64_t n = zip_fread(file_, buf_.data(), buf_.size());
    if (n < 0) {
      *error_ = Status(ErrorCode::corrupt, name_ + ": cannot read from the archive: " + zip_file_strerror(file_));
      return traits_type::eof();
    }
    if (n == 0) return traits_type::eof();
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  zip_file_t* file_;
  std::string name_;
  std::shared_ptr<Status> error_;
  std::array<char, 1 << 16> buf_{};
};

class EntryStream final : public std::istream {
 public:
  explicit EntryStream(std::unique_ptr<EntryBuf> buf) : std::istream(buf.get()), buf_(std::move(buf)) {}

 private:
  std::unique_ptr<EntryBuf> buf_;
};

}  // namespace

std::string unsafe_entry_reason(const std::string& name) {
  if (name.empty()) return "the entry has no name";
  if (name.front() == '/') return "it is an absolute path";
  if (name.find('\\') != std::string::npos) return "it holds a backslash";
  if (name.size() >= 2 && name[1] == ':') return "it starts with a drive letter";
  std::size_t start = 0;
  while (start <= name.size()) {
    auto slash = name.find('/', start);
    auto part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return "it climbs out of the archive with '..'";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return {};
}

ZipBundle::ZipBundle(std::unique_ptr<Archive> archive) : archive_(std::move(archive)) {}
ZipBundle::~ZipBundle() = default;

Result<std::unique_ptr<ZipBundle>> ZipBundle::open(const std::filesystem::path& path) {
  auto a = std::make_unique<Archive>();
  a->name = path.string();
  int code = 0;
  a->zip = zip_open(a->name.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!a->zip) {
    zip_error_t err;
    zip_error_init_with_code(&err, code);
    std::string why = zip_error_strerror(&err);
    zip_error_fini(&err);
    const ErrorCode ec = code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ ? ErrorCode::io
                                                                                            : ErrorCode::corrupt;
    return Status(ec, a->name + ": not a readable zip archive: " + why);
  }
  const zip_int64_t n = zip_get_num_entries(a->zip, 0);
  std::vector<std::string> manifests;
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* raw = zip_get_name(a->zip, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    const std::string name = raw ? raw : "";
    if (auto why = unsafe_entry_reason(name); !why.empty())
      return Status(ErrorCode::invalid, a->name + ": entry '" + name + "' is refused: " + why +
                                            " (a zip-slip path; a LAS export never writes one)");
    if (name == "manifest.csv" || (name.size() > 13 && name.ends_with("/manifest.csv") &&
                                   name.find('/') == name.size() - 13))
      manifests.push_back(name);
  }
  if (manifests.empty()) return Status(ErrorCode::invalid, a->name + ": the archive has no manifest.csv (at the top or in one folder)");
  if (manifests.size() > 1) {
    bool top = false;
    for (const auto& m : manifests) top = top || m == "manifest.csv";
    if (!top) return Status(ErrorCode::invalid, a->name + ": the archive holds more than one bundle (" + manifests[0] + ", " + manifests[1] + ")");
    manifests = {"manifest.csv"};
  }
  a->prefix = manifests.front().substr(0, manifests.front().size() - 12);
  return std::unique_ptr<ZipBundle>(new ZipBundle(std::move(a)));
}

Result<std::unique_ptr<Table>> ZipBundle::open_table(const std::string& entry, const std::vector<std::string>& required,
                                                     std::shared_ptr<Status>& read_error) {
  const std::string full = archive_->prefix + entry;
  const std::string shown = archive_->name + "!" + full;
  const zip_int64_t index = zip_name_locate(archive_->zip, full.c_str(), 0);
  if (index < 0) return Status(ErrorCode::invalid, archive_->name + ": the manifest names " + entry + " but the archive has no " + full);
  zip_file_t* f = zip_fopen_index(archive_->zip, static_cast<zip_uint64_t>(index), 0);
  if (!f) return Status(ErrorCode::corrupt, shown + ": cannot open: " + zip_strerror(archive_->zip));
  read_error = std::make_shared<Status>();
  auto stream = std::make_unique<EntryStream>(std::make_unique<EntryBuf>(f, shown, read_error));
  auto t = Table::open_stream(std::move(stream), shown, required);
  if (!t && !read_error->is_ok()) return *read_error;
  return t;
}

Result<Manifest> ZipBundle::manifest() {
  std::shared_ptr<Status> read_error;
  auto t = open_table("manifest.csv", {"propertyName", "value"}, read_error);
  if (!t) return t.status();
  auto m = read_manifest(**t, archive_->name + "!" + archive_->prefix + "manifest.csv");
  if (!read_error->is_ok()) return *read_error;
  return m;
}

Status ZipBundle::each(const std::string& file, const std::vector<std::string>& required,
                       const std::function<void(const Table&)>& row) {
  std::shared_ptr<Status> read_error;
  auto t = open_table(file + ".csv", required, read_error);
  if (!t) return t.status();
  for (;;) {
    auto more = (*t)->next();
    // A damaged entry shows as a short read; say that rather than what the CSV parser made of it.
    if (!read_error->is_ok()) return *read_error;
    if (!more) return more.status();
    if (!*more) return Status::ok();
    row(**t);
  }
}

}  // namespace schakel::oneroster
