// Loads one plugin with the real plugin host, as the daemon will, and exercises it once:
//   load_plugin PLUGIN_DIR SCHEMA_DIR PLUGIN SETTINGS_JSON [DOCUMENT_JSON]
// Prints what `schakel plugins inspect` prints, then the check and the delivery (sink) or poll
// (source) result. Exit 0 when all succeed. (The SDK test uses this until schakeld exists.)
#include <unistd.h>

#include <iostream>

#include "plugin_host/inspect.hpp"
#include "plugin_host/plugin_host.hpp"

using namespace schakel::plugin_host;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: load_plugin PLUGIN_DIR SCHEMA_DIR PLUGIN SETTINGS_JSON [DOCUMENT_JSON]\n";
    return 64;
  }
  HostOptions o;
  o.load.plugin_dirs = {argv[1]};
  o.load.schema_dir = argv[2];
  o.load.daemon_uid = ::geteuid();
  o.on_event = [](const HostEvent& e) { std::cout << "event: " << e.connector << ": " << e.message << "\n"; };
  auto text = inspect_plugin(argv[3], o.load);
  if (!text) {
    std::cerr << text.status().message() << "\n";
    return 1;
  }
  std::cout << *text;
  const auto settings = nlohmann::json::parse(argv[4], nullptr, false);
  PluginHost host(o);
  if (auto st = host.add_connector({"sdk", argv[3], std::nullopt, settings}); !st) {
    std::cerr << st.message() << "\n";
    return 1;
  }
  auto check = host.check("sdk").get();
  std::cout << "check: " << call_code_name(check.code) << " " << check.message << "\n";
  if (check.code != CallCode::ok) return 1;
  auto r = argc > 5 ? host.deliver("sdk", argv[5], "sdk-key-1").get() : host.poll("sdk").get();
  std::cout << (argc > 5 ? "deliver: " : "poll: ") << call_code_name(r.code) << " " << r.message
            << " receipt " << r.receipt_json << "\n";
  return r.code == CallCode::ok ? 0 : 1;
}
