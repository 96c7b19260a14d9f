#!/usr/bin/env bash
# Debian packages the test suite uses for real: the system Graphviz engine and a
# CJK font (Hangul labels), and Chromium for the step-through page's browser test.
# The README's test command runs this first; it does nothing when all are there.
set -euo pipefail
packages=(graphviz fonts-noto-cjk chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "the tests need these Debian packages: ${missing[*]}" >&2
    echo "install them as root (apt-get install ${missing[*]}), or run this script with sudo" >&2
    exit 1
  fi
  echo "installing Debian packages for the tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
