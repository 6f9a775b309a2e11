#!/usr/bin/env bash
# Debian packages the test suite and dev tools use: dcmtk (real DICOM peers and fixture tools),
# chromium (browser e2e), strace (the file writer's durability test reads its system calls), and
# unzip and openssl (tests unpack a study download and make a TLS certificate).
# Idempotent; needs root (or sudo) and Debian's apt.
set -euo pipefail
need=()
command -v storescu >/dev/null 2>&1 || need+=(dcmtk)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "[system-deps] apt-get install ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
