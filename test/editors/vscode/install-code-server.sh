#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3) offline-safe into a cache folder, once, and prints its bin path.
# Also makes sure Debian's chromium, ripgrep and libkrb5-dev are there (apt), as the VS Code test needs them.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
RIPGREP_CACHE_NAME=vscode-ripgrep-cache-1.15.11
RIPGREP_TARBALL=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

say() { printf '[code-server] %s\n' "$*" >&2; }
err() { say "$*"; exit 1; }

need_apt() { # PACKAGE...: install the Debian packages that are missing
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null || err "needs the Debian packages: ${missing[*]}"
  say "apt-get install ${missing[*]}"
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

seed_ripgrep_cache() { # @vscode/ripgrep downloads from GitHub at install time: hand it Debian's rg instead
  local dir="${TMPDIR:-/tmp}/$RIPGREP_CACHE_NAME" stage
  [ -s "$dir/$RIPGREP_TARBALL" ] && return 0
  mkdir -p "$dir"
  stage=$(mktemp -d)
  cp /usr/bin/rg "$stage/rg"
  tar -czf "$dir/$RIPGREP_TARBALL" -C "$stage" rg
  rm -rf "$stage"
}

main() {
  local cache=${1:?usage: install-code-server.sh CACHE_DIR}
  local prefix="$cache/code-server-$CODE_SERVER_VERSION"
  local bin="$prefix/node_modules/.bin/code-server"
  # fonts-noto-color-emoji: the screenshots show the emoji that VS Code shows.
  need_apt chromium fonts-noto-color-emoji ripgrep libkrb5-dev build-essential python3
  if [ -x "$bin" ] && [ -f "$prefix/.installed" ]; then
    printf '%s\n' "$bin"
    return 0
  fi
  seed_ripgrep_cache
  rm -rf "$prefix"
  mkdir -p "$prefix"
  say "npm install code-server@$CODE_SERVER_VERSION into $prefix (a few minutes, ~300 MB)"
  local started=$SECONDS
  # node-pty's post-install runs `npx node-gyp`, which aborts on its prompt without a terminal (npm_config_yes).
  # npm 11 skips dependencies' install scripts unless allowed, and code-server's post-install runs nested
  # `npm install`s (VS Code's own node_modules: node-pty, ripgrep, ...): allow them for this pinned install only.
  (cd "$prefix" && printf '{"private":true}\n' >package.json &&
    npm_config_yes=true npm_config_dangerously_allow_all_scripts=true npm install --no-audit --no-fund --no-save --unsafe-perm \
      "code-server@$CODE_SERVER_VERSION" >"$prefix/install.log" 2>&1) ||
    { tail -40 "$prefix/install.log" >&2; err "npm install code-server failed (log: $prefix/install.log)"; }
  if [ ! -x "$bin" ] || [ ! -f "$prefix/node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node" ]; then
    tail -40 "$prefix/install.log" >&2
    err "code-server is incomplete (its post-install did not run): see $prefix/install.log"
  fi
  touch "$prefix/.installed"
  say "installed in $((SECONDS - started)) s"
  printf '%s\n' "$bin"
}

main "$@"
