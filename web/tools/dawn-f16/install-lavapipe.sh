#!/usr/bin/env bash
# Installs Mesa 25's lavapipe (software Vulkan with shader-f16) from Debian
# bookworm-backports into a git-ignored cache folder, without touching the
# system's apt configuration: a private sources list and apt state live under
# the cache. Idempotent: a second run with the cache in place does nothing.
#
#   web/tools/dawn-f16/install-lavapipe.sh [CACHE_DIR]   (default: <repo>/.cache/lavapipe)
#
# Writes CACHE_DIR/lvp_icd.json; point VK_ICD_FILENAMES at it and add
# CACHE_DIR/root/usr/lib/x86_64-linux-gnu to LD_LIBRARY_PATH (the Node harness
# in this folder does both). Needs apt-get (Debian 12, amd64). Shared libraries
# that lavapipe links against and the machine lacks are installed with apt-get
# when running as root, otherwise listed with the command to run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${1:-${HYBRIDGEN_LAVAPIPE_DIR:-$repo/.cache/lavapipe}}"
stamp="$cache/.installed"
libdir="$cache/root/usr/lib/x86_64-linux-gnu"

if [[ -f "$stamp" && -f "$cache/lvp_icd.json" && -f "$libdir/libvulkan_lvp.so" ]]; then
  echo "lavapipe: already installed in $cache ($(cat "$stamp"))"
  exit 0
fi

if [[ "$(dpkg --print-architecture 2>/dev/null || true)" != amd64 ]]; then
  echo "lavapipe: needs Debian amd64 (dpkg reports '$(dpkg --print-architecture 2>/dev/null || echo none)')" >&2
  exit 1
fi

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/debs"
cat >"$apt_dir/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
EOF
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir"
  -o "Dir::Cache::archives=$apt_dir/archives"
  -o "Dir::Cache::pkgcache="
  -o "Dir::Cache::srcpkgcache="
  -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1"
)

echo "lavapipe: reading bookworm-backports package lists"
apt-get -qq "${apt_opts[@]}" update

mesa_version="$(apt-cache "${apt_opts[@]}" madison mesa-vulkan-drivers | awk -F'|' '/bookworm-backports/ {gsub(/ /, "", $2); print $2; exit}')"
if [[ -z "$mesa_version" ]]; then
  echo "lavapipe: bookworm-backports lists no mesa-vulkan-drivers" >&2
  exit 1
fi
if [[ "${mesa_version%%.*}" -lt 25 ]]; then
  echo "lavapipe: bookworm-backports has mesa-vulkan-drivers $mesa_version; shader-f16 needs Mesa 25 or newer" >&2
  exit 1
fi

echo "lavapipe: downloading mesa-vulkan-drivers $mesa_version and libvulkan1"
rm -f "$cache"/debs/*.deb
(cd "$cache/debs" && apt-get -qq "${apt_opts[@]}" download "mesa-vulkan-drivers=$mesa_version" libvulkan1)

rm -rf "$cache/root"
for deb in "$cache"/debs/*.deb; do dpkg -x "$deb" "$cache/root"; done
if [[ ! -f "$libdir/libvulkan_lvp.so" ]]; then
  echo "lavapipe: libvulkan_lvp.so is not in the package" >&2
  exit 1
fi

missing="$(LD_LIBRARY_PATH="$libdir" ldd "$libdir/libvulkan_lvp.so" | awk '/not found/ {print $1}')"
if [[ -n "$missing" ]]; then
  deps="$(apt-cache "${apt_opts[@]}" show "mesa-vulkan-drivers=$mesa_version" | sed -n 's/^Depends: //p' | tr ',' '\n' |
    sed -e 's/(.*)//' -e 's/|.*//' -e 's/ //g' | grep -v '^libvulkan1$' | grep -v '^$' | tr '\n' ' ')"
  if [[ "$(id -u)" == 0 ]]; then
    echo "lavapipe: installing the shared libraries it needs: $missing"
    apt-get -qq update
    DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends $deps >/dev/null
  else
    echo "lavapipe: missing shared libraries: $missing" >&2
    echo "lavapipe: run: sudo apt-get install --no-install-recommends $deps" >&2
    exit 1
  fi
  still="$(LD_LIBRARY_PATH="$libdir" ldd "$libdir/libvulkan_lvp.so" | awk '/not found/ {print $1}')"
  if [[ -n "$still" ]]; then
    echo "lavapipe: still missing: $still" >&2
    exit 1
  fi
fi

cat >"$cache/lvp_icd.json" <<EOF
{
  "file_format_version": "1.0.0",
  "ICD": { "library_path": "$libdir/libvulkan_lvp.so", "api_version": "1.3.0" }
}
EOF
echo "mesa-vulkan-drivers $mesa_version" >"$stamp"
echo "lavapipe: installed Mesa $mesa_version into $cache"
