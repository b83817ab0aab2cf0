#!/usr/bin/env bash
# Install the Debian packages merbench needs (ffmpeg, espeak-ng, sox) when any is missing.
# Runs apt-get as root, or through sudo; prints the manual command when neither is possible.
set -euo pipefail
missing=()
for tool in ffmpeg espeak-ng sox; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "merbench: installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "merbench: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
