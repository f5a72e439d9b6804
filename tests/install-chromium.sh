#!/usr/bin/env bash
# Debian's Chromium, for the browser tests of `newsdesk serve` (tests/test_serve.py).
# Run as root (CI) or with sudo; does nothing when a chromium is already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
chromium --version
