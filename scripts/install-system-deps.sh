#!/usr/bin/env bash
# Install the Debian packages merbench needs (ffmpeg, espeak-ng, sox; chromium for the report's
# browser test) when any is missing. Runs apt-get as root, or through sudo; prints the manual
# command when neither is possible. chromium comes without its recommended packages, to stay lean.
set -euo pipefail
missing=()
for tool in ffmpeg espeak-ng sox; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
browser=()
command -v chromium >/dev/null 2>&1 || browser=(chromium)
[ ${#missing[@]} -eq 0 ] && [ ${#browser[@]} -eq 0 ] && exit 0
echo "merbench: installing Debian packages: ${missing[*]} ${browser[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "merbench: missing ${missing[*]} ${browser[*]}; run as root:" \
       "${missing[*]:+apt-get install -y ${missing[*]}; }${browser[*]:+apt-get install -y --no-install-recommends chromium}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
[ ${#missing[@]} -eq 0 ] || $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
[ ${#browser[@]} -eq 0 ] || $SUDO apt-get install -y -qq --no-install-recommends "${browser[@]}" >/dev/null
