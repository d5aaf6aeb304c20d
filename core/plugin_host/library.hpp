#pragma once
// Loading one plugin file: where it may come from, who may have written it, its pinned hash, the
// one entry symbol, the ABI version and the manifest. Every refusal names the file and why.
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "plugin_host/manifest.hpp"
#include "schakel/plugin.h"

namespace schakel::plugin_host {

struct LoadOptions {
  // Only files inside these directories load (after resolving symlinks). Empty: any directory
  // (for `schakel plugins inspect PATH`, never for the daemon).
  std::vector<std::filesystem::path> plugin_dirs;
  // Besides root, the one owner a plugin file may have (the daemon's user).
  uid_t daemon_uid = 0;
  // Holds plugin-manifest.schema.json, and the common schemas a stream schema may $ref.
  std::filesystem::path schema_dir;
};

class PluginLibrary {
 public:
  // Checks and loads `path`. `sha256_pin` (hex) is compared with the file's hash when given.
  static Result<std::shared_ptr<PluginLibrary>> open(const std::filesystem::path& path,
                                                     const LoadOptions& options,
                                                     const std::optional<std::string>& sha256_pin);
  ~PluginLibrary();  // dlclose; callers keep a shared_ptr while any call may run
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& version() const { return version_; }
  [[nodiscard]] const std::string& sha256() const { return sha256_; }
  [[nodiscard]] const schakel_plugin_descriptor& descriptor() const { return *descriptor_; }
  [[nodiscard]] const Manifest& manifest() const { return manifest_; }
  [[nodiscard]] uint16_t abi_major() const { return descriptor_->abi_major; }
  [[nodiscard]] uint16_t abi_minor() const { return descriptor_->abi_minor; }

 private:
  PluginLibrary() = default;
  std::filesystem::path path_;
  void* handle_ = nullptr;
  const schakel_plugin_descriptor* descriptor_ = nullptr;
  std::string name_;
  std::string version_;
  std::string sha256_;
  Manifest manifest_;
};

// Lower-case hex SHA-256 of the file open on `fd` (read from the start).
Result<std::string> sha256_of_fd(int fd);

}  // namespace schakel::plugin_host
