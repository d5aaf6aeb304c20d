#!/usr/bin/env bash
# sdk_test.sh sample|new-plugin SOURCE_DIR BINARY_DIR LOAD_PLUGIN
# Installs the SDK into a temp prefix, builds a plugin out of tree against it with cmake and
# ninja, checks it exports only the entry symbol, installs it (0755) into a plugin directory and
# loads it with the real plugin host. For new-plugin, the skeleton's own test runs too.
set -euo pipefail
mode=$1 src=$2 bin=$3 loader=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/schakel-sdk-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cmake --install "$bin" --prefix "$tmp/prefix" --component sdk >/dev/null
test -f "$tmp/prefix/include/schakel/plugin.h"
test -f "$tmp/prefix/include/schakel/plugin.hpp"

if [ "$mode" = sample ]; then
  project="$src/tests/sdk/sample-plugin" name=sample
  settings='{"prefix":"out-of-tree-"}' document='{"naam":"Daan"}'
else
  "$src/scripts/new-plugin" acme_lvs "$tmp/acme_lvs"
  project="$tmp/acme_lvs" name=acme_lvs settings='{}' document='{"id":"1"}'
fi
# A clean environment: the out-of-tree build sees only the installed prefix, not this tree.
env -u CCACHE_BASEDIR cmake -S "$project" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
if [ "$mode" = new-plugin ]; then
  ctest --test-dir "$tmp/build" --output-on-failure
fi

exported=$(nm -D --defined-only "$tmp/build/lib$name.so" | awk '{print $3}' | grep -v '^_' || true)
if [ "$exported" != schakel_plugin_entry ]; then
  echo "lib$name.so exports more than schakel_plugin_entry:"; echo "$exported"; exit 1
fi

mkdir -m 0700 "$tmp/plugins"
install -m 0755 "$tmp/build/lib$name.so" "$tmp/plugins/"
"$loader" "$tmp/plugins" "$src/schemas" "$tmp/plugins/lib$name.so" "$settings" "$document" | tee "$tmp/out.txt"
if [ "$mode" = sample ]; then
  grep -q 'receipt {"id":"out-of-tree-sdk-key-1","count":1}' "$tmp/out.txt"
  grep -q 'prefix  (string, optional, default "sample-")' "$tmp/out.txt"
fi
echo "sdk.$mode: ok"
