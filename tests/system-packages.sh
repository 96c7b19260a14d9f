#!/usr/bin/env bash
# Debian packages the test suite uses for real: the system Graphviz engine and a
# CJK font (Hangul labels), Chromium for the step-through page's browser test, and
# tesseract with its Korean model, which reads the Hangul back from a drawing.
# The README's test command runs this first; it does nothing when all are there.
set -euo pipefail
packages=(graphviz fonts-noto-cjk chromium chromium-driver tesseract-ocr tesseract-ocr-kor)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# apt-get, waiting while another package manager holds the apt/dpkg lock: a fresh
# machine often runs apt in the background (unattended upgrades, cloud-init).
# DPkg::Lock::Timeout covers dpkg's lock only, not `apt-get update`'s lists lock,
# so a lock failure is retried every 5 s for up to 10 minutes; other errors stop at once.
apt_get() {
  local deadline=$((SECONDS + 600)) out
  while true; do
    if out=$(apt-get -o DPkg::Lock::Timeout=60 "$@" 2>&1); then
      return 0
    fi
    if grep -qE "Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock" <<<"$out" \
        && [ "$SECONDS" -lt "$deadline" ]; then
      echo "waiting for another package manager to release the apt/dpkg lock..." >&2
      sleep 5
      continue
    fi
    printf '%s\n' "$out" >&2
    return 1
  done
}

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "the tests need these Debian packages: ${missing[*]}" >&2
    echo "install them as root (apt-get install ${missing[*]}), or run this script with sudo" >&2
    exit 1
  fi
  echo "installing Debian packages for the tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}"
fi
