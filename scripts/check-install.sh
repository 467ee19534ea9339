#!/usr/bin/env bash
# Installs the packed tarballs (scripts/pack.mjs) as a user would, outside the
# repository, with the `node` on PATH, and runs a small HTTP app with them:
#   1. npm, pnpm and yarn projects with no compiler on PATH (prebuilt addon):
#      the app under `greenpatch` (CommonJS and ES module) and under
#      `node --import greenpatch/register`;
#   2. npm with the prebuild for this Node removed from the tarball: the
#      install builds the addon from source (compiler present) and the app runs;
#   3. the same without a compiler: the install succeeds and loading says
#      ERR_GREENPATCH_NOT_BUILT.
# Usage: scripts/check-install.sh <dir with the three .tgz>. Prints one line
# per check and "install checks on <version>: N passed, M failed"; exit 1 if any failed.
set -uo pipefail
packed=$(cd "$1" && pwd)
fibers=$(ls "$packed"/greenpatch-fibers-*.tgz) && greenpatch=$(ls "$packed"/greenpatch-[0-9]*.tgz) && imp=$(ls "$packed"/greenpatch-import-patched-*.tgz) \
  || { echo "check-install: no tarballs in $packed"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' "$2" | tail -20; failed=$((failed + 1)); }

# A PATH directory whose compilers and make fail, put first.
mkdir -p "$work/nocc"
for tool in g++ gcc cc c++ make clang clang++; do
  printf '#!/bin/sh\necho "%s: no compiler on this machine" >&2\nexit 127\n' "$tool" >"$work/nocc/$tool"
  chmod +x "$work/nocc/$tool"
done

# project DIR FIBERS_TGZ: package.json depending on the tarballs, with
# overrides so nested ranges resolve to them too, and the apps.
project() {
  mkdir -p "$1"
  cat >"$1/package.json" <<JSON
{ "name": "greenpatch-user-app", "version": "1.0.0", "private": true,
  "dependencies": { "greenpatch": "file:$greenpatch", "@greenpatch/fibers": "file:$2", "@greenpatch/import-patched": "file:$imp" },
  "overrides": { "greenpatch": "file:$greenpatch", "@greenpatch/fibers": "file:$2" },
  "pnpm": { "overrides": { "greenpatch": "file:$greenpatch", "@greenpatch/fibers": "file:$2" } },
  "resolutions": { "greenpatch": "file:$greenpatch", "@greenpatch/fibers": "file:$2" } }
JSON
  for ext in js mjs; do
    if [ $ext = js ]; then head="const http = require('node:http'); const { sleep, getCurrent } = require('greenpatch');"
    else head="import http from 'node:http'; import { sleep, getCurrent } from 'greenpatch';"; fi
    cat >"$1/app.$ext" <<APP
$head
const server = http.createServer((req, res) => { sleep(20); res.end('hello ' + req.url); });
server.listen(0, '127.0.0.1');
sleep(10); // top-level code blocks in the main green thread
const res = http.getSync('http://127.0.0.1:' + server.address().port + '/$ext');
console.log(res.statusCode, res.text(), getCurrent().name);
server.close();
APP
  done
}

# expect NAME DIR EXPECTED COMMAND...: runs COMMAND in DIR, compares stdout.
expect() {
  local name=$1 dir=$2 want=$3; shift 3
  if (cd "$dir" && timeout 60 "$@") >"$work/out" 2>"$work/err" && [ "$(cat "$work/out")" = "$want" ] && [ ! -s "$work/err" ]; then ok "$name"
  else cat "$work/err" >>"$work/out"; bad "$name (wanted '$want')" "$work/out"; fi
}

runs() {
  local pm=$1 dir=$2
  expect "$pm: greenpatch app.js" "$dir" "200 hello /js main" node_modules/.bin/greenpatch app.js
  expect "$pm: greenpatch app.mjs" "$dir" "200 hello /mjs main" node_modules/.bin/greenpatch app.mjs
  expect "$pm: node --import greenpatch/register app.mjs" "$dir" "200 hello /mjs main" node --import greenpatch/register app.mjs
  expect "$pm: node --require greenpatch/register app.js" "$dir" "200 hello /js main" node --require greenpatch/register app.js
}

install() { # install PM DIR [PATH prefix]
  local pm=$1 dir=$2 pathPrefix=${3:-}
  case $pm in
    npm) cmd=(npm install --no-audit --no-fund --loglevel=error) ;;
    pnpm) cmd=(npx --yes pnpm@9.15.9 install --reporter=silent) ;;
    yarn) cmd=(npx --yes yarn@1 install --silent --non-interactive --no-lockfile) ;;
  esac
  (cd "$dir" && PATH="$pathPrefix$PATH" timeout 300 "${cmd[@]}") >"$work/install.log" 2>&1
}

echo "== install checks on node $(node --version) ($(node -p 'process.platform + "-" + process.arch'))"
for pm in npm pnpm yarn; do
  dir="$work/$pm"
  project "$dir" "$fibers"
  if install $pm "$dir" "$work/nocc:"; then ok "$pm: install without a compiler"; runs $pm "$dir"
  else bad "$pm: install without a compiler" "$work/install.log"; fi
done

# greenpatch's install wrote its bundles' V8 code cache for this Node.
cache=$(node -p '`runtime-start.js.${process.version}-${process.arch}.cache`')
if [ -f "$work/npm/node_modules/greenpatch/dist/$cache" ]; then ok "npm: code cache written at install"
else ls "$work/npm/node_modules/greenpatch/dist" >"$work/out" 2>&1; bad "npm: code cache written at install" "$work/out"; fi

# The same package without the prebuild for this Node.
tag=$(node -p '`${process.platform}-${process.arch}/node.abi${process.versions.modules}.glibc.node`')
mkdir -p "$work/strip" && tar xzf "$fibers" -C "$work/strip" && rm "$work/strip/package/prebuilds/$tag"
stripped="$work/greenpatch-fibers-noprebuild.tgz"
tar czf "$stripped" -C "$work/strip" package

dir="$work/from-source"
project "$dir" "$stripped"
if install npm "$dir" && [ -f "$dir/node_modules/@greenpatch/fibers/prebuilds/$tag" ]; then ok "npm: no prebuild for this Node, built from source at install"; runs npm-from-source "$dir"
else bad "npm: no prebuild for this Node, built from source at install" "$work/install.log"; fi

dir="$work/unbuilt"
project "$dir" "$stripped"
if install npm "$dir" "$work/nocc:"; then ok "npm: no prebuild and no compiler, the install still succeeds"
  expect "npm: ... and loading says ERR_GREENPATCH_NOT_BUILT" "$dir" "ERR_GREENPATCH_NOT_BUILT" \
    node -e "try { require('greenpatch') } catch (e) { console.log(e.code) }"
else bad "npm: no prebuild and no compiler, the install still succeeds" "$work/install.log"; fi

echo "install checks on $(node --version): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
