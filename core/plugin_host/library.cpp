#include "plugin_host/library.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include <openssl/evp.h>

#include "schema/schema_set.hpp"

namespace schakel::plugin_host {
namespace fs = std::filesystem;

namespace {

// Closes a file descriptor when the scope ends.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool inside(const fs::path& file, const fs::path& dir) {
  auto f = file.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++f) {
    if (d->empty()) continue;  // a trailing slash
    if (f == file.end() || *f != *d) return false;
  }
  return true;
}

Status check_owner_and_mode(const struct stat& st, uid_t daemon_uid, const std::string& what) {
  if (st.st_uid != 0 && st.st_uid != daemon_uid)
    return error(ErrorCode::denied, what + " is owned by uid " + std::to_string(st.st_uid) +
                                        "; only root or the daemon's user (uid " +
                                        std::to_string(daemon_uid) + ") may own it");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return error(ErrorCode::denied, what + " is writable by group or others (mode " +
                                        [&] {
                                          char buf[8];
                                          std::snprintf(buf, sizeof buf, "%04o", st.st_mode & 07777u);
                                          return std::string(buf);
                                        }() +
                                        "); make it writable by its owner only");
  return Status::ok();
}

// Reads the descriptor in the order that is safe for any plugin: the 8-byte prefix every ABI
// version shares, then (once the major fits) the fields of 1.0.
Status check_descriptor(const schakel_plugin_descriptor* d) {
  if (d == nullptr)
    return error(ErrorCode::invalid, std::string(SCHAKEL_PLUGIN_ENTRY_SYMBOL) + " returned no descriptor for host ABI " +
                                         std::to_string(SCHAKEL_PLUGIN_ABI_MAJOR) + "." +
                                         std::to_string(SCHAKEL_PLUGIN_ABI_MINOR));
  const std::string host_abi = std::to_string(SCHAKEL_PLUGIN_ABI_MAJOR) + "." + std::to_string(SCHAKEL_PLUGIN_ABI_MINOR);
  const std::string plugin_abi = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
  if (d->abi_major != SCHAKEL_PLUGIN_ABI_MAJOR)
    return error(ErrorCode::invalid, "ABI major " + std::to_string(d->abi_major) + ", host supports " +
                                         std::to_string(SCHAKEL_PLUGIN_ABI_MAJOR) + " (plugin built for " +
                                         plugin_abi + ", host " + host_abi + ")");
  if (d->abi_minor > SCHAKEL_PLUGIN_ABI_MINOR)
    return error(ErrorCode::invalid, "built for ABI " + plugin_abi + ", newer than this host's " + host_abi +
                                         "; rebuild it against this Schakel's SDK or upgrade Schakel");
  if (d->struct_size < offsetof(schakel_plugin_descriptor, destroy) + sizeof(d->destroy))
    return error(ErrorCode::invalid, "descriptor is " + std::to_string(d->struct_size) +
                                         " bytes, ABI " + plugin_abi + " needs at least " +
                                         std::to_string(offsetof(schakel_plugin_descriptor, destroy) + sizeof(d->destroy)));
  if (d->name == nullptr || !std::regex_match(d->name, std::regex("^[a-z][a-z0-9_-]{0,63}$")))
    return error(ErrorCode::invalid, "descriptor name must match [a-z][a-z0-9_-]*");
  static const std::regex semver(R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$)");
  if (d->version == nullptr || !std::regex_match(d->version, semver))
    return error(ErrorCode::invalid, std::string("version '") + (d->version ? d->version : "(null)") +
                                         "' is not a semantic version (MAJOR.MINOR.PATCH)");
  if (d->manifest_json == nullptr) return error(ErrorCode::invalid, "descriptor has no manifest_json");
  if (d->create == nullptr || d->destroy == nullptr)
    return error(ErrorCode::invalid, "descriptor lacks create or destroy");
  return Status::ok();
}

Status check_functions(const schakel_plugin_descriptor& d, const Manifest& m) {
  if (m.is_source() && d.poll == nullptr)
    return error(ErrorCode::invalid, std::string("manifest kind '") + kind_name(m.kind) + "' needs poll, which is NULL");
  if (m.is_sink() && d.deliver == nullptr)
    return error(ErrorCode::invalid, std::string("manifest kind '") + kind_name(m.kind) + "' needs deliver, which is NULL");
  if (m.has_capability("revoke") != (d.revoke != nullptr))
    return error(ErrorCode::invalid, m.has_capability("revoke")
                                         ? "manifest lists capability 'revoke' but revoke is NULL"
                                         : "revoke is set but the manifest does not list capability 'revoke'");
  if (m.has_capability("check") && d.check == nullptr)
    return error(ErrorCode::invalid, "manifest lists capability 'check' but check is NULL");
  return Status::ok();
}

}  // namespace

Result<std::string> sha256_of_fd(int fd) {
  if (::lseek(fd, 0, SEEK_SET) < 0) return error(ErrorCode::io, std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return error(ErrorCode::internal, "SHA-256 unavailable");
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error(ErrorCode::io, std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(n));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::open(const fs::path& path, const LoadOptions& options,
                                                           const std::optional<std::string>& sha256_pin) {
  const std::string where = "plugin " + path.string();
  auto refuse = [&](ErrorCode code, const std::string& why) -> Status { return error(code, where + ": " + why); };

  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) return refuse(ErrorCode::not_found, "cannot resolve: " + ec.message());
  if (!options.plugin_dirs.empty()) {
    bool allowed = false;
    for (const auto& dir : options.plugin_dirs) {
      const fs::path real_dir = fs::canonical(dir, ec);
      if (!ec && inside(real, real_dir)) allowed = true;
    }
    if (!allowed) {
      std::string dirs;
      for (const auto& dir : options.plugin_dirs) dirs += (dirs.empty() ? "" : ", ") + dir.string();
      return refuse(ErrorCode::denied, "not inside a configured plugin directory (" + dirs + ")");
    }
    struct stat dst {};
    if (::stat(real.parent_path().c_str(), &dst) == 0)
      SCHAKEL_TRY(check_owner_and_mode(dst, options.daemon_uid, "its directory " + real.parent_path().string())
                      .with_context(where));
  }

  // Check and hash the file through one descriptor, then load it by path and confirm that the
  // path still names the same inode. (Loading through /proc/self/fd/N would be tighter, but
  // glibc reuses a loaded library whose name matches, and fd numbers are reused.) Swapping the
  // file in between needs write access to the checked directory: root or the daemon's user.
  Fd fd{::open(real.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return refuse(ErrorCode::io, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) return refuse(ErrorCode::io, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return refuse(ErrorCode::invalid, "not a regular file");
  SCHAKEL_TRY(check_owner_and_mode(st, options.daemon_uid, "the file").with_context(where));

  auto lib = std::shared_ptr<PluginLibrary>(new PluginLibrary());
  lib->path_ = path;
  auto hash = sha256_of_fd(fd.fd);
  if (!hash) return refuse(ErrorCode::io, hash.status().message());
  lib->sha256_ = *hash;
  if (sha256_pin) {
    std::string pin = *sha256_pin;
    for (auto& c : pin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (pin != lib->sha256_)
      return refuse(ErrorCode::denied, "SHA-256 is " + lib->sha256_ + " but the configuration pins " + pin);
  }

  lib->handle_ = ::dlopen(real.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle_ == nullptr) {
    const char* e = ::dlerror();
    return refuse(ErrorCode::invalid, std::string("cannot load: ") + (e ? e : "dlopen failed"));
  }
  struct stat after {};
  if (::stat(real.c_str(), &after) != 0 || after.st_ino != st.st_ino || after.st_dev != st.st_dev)
    return refuse(ErrorCode::conflict, "the file changed while it was being loaded");
  void* sym = ::dlsym(lib->handle_, SCHAKEL_PLUGIN_ENTRY_SYMBOL);
  if (sym == nullptr)
    return refuse(ErrorCode::invalid, std::string("does not export ") + SCHAKEL_PLUGIN_ENTRY_SYMBOL +
                                          " (build it with SCHAKEL_PLUGIN(...) or schakel_add_plugin)");
  schakel_plugin_entry_fn entry = nullptr;
  static_assert(sizeof(entry) == sizeof(sym));
  std::memcpy(&entry, &sym, sizeof(sym));  // POSIX guarantees a data pointer can hold a function's
  const auto* d = entry(SCHAKEL_PLUGIN_ABI_MAJOR, SCHAKEL_PLUGIN_ABI_MINOR);
  SCHAKEL_TRY(check_descriptor(d).with_context(where));
  lib->descriptor_ = d;
  lib->name_ = d->name;
  lib->version_ = d->version;

  auto schemas = schema::SchemaSet::load(options.schema_dir);
  if (!schemas) return refuse(ErrorCode::internal, "cannot load schemas: " + schemas.status().message());
  auto manifest = parse_manifest(d->manifest_json, *schemas);
  if (!manifest) return refuse(ErrorCode::invalid, "invalid manifest:\n" + manifest.status().message());
  lib->manifest_ = std::move(*manifest);
  SCHAKEL_TRY(check_functions(*d, lib->manifest_).with_context(where));
  for (const auto& [stream, spec] : lib->manifest_.streams)
    if (auto added = schemas->add("x-plugin-stream." + stream, spec.schema); !added)
      return refuse(ErrorCode::invalid, "manifest/streams/" + stream + "/schema does not compile: " + added.message());
  return lib;
}

PluginLibrary::~PluginLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

}  // namespace schakel::plugin_host
