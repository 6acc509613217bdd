#!/usr/bin/env bash
# Install the Debian packages the project needs (the offline corpus's speech engines, the
# opus-tools and codec2 command-line codecs of the codec baselines, ffmpeg (decodes the recorded
# corpus's G.722 prompts), the headless chromium
# that analysis.browser checks generated HTML reports in, and sox, which the lab.reconstruct
# tests convert espeak-ng speech with), when any is missing. Runs apt-get as
# root (or through sudo); says what to install otherwise.
set -euo pipefail
pkgs=(espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts opus-tools codec2
      chromium sox ffmpeg)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "error: missing system packages ${missing[*]} and no apt-get: install them by hand" >&2
  exit 1
fi
run=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "error: run as root: apt-get install ${missing[*]}" >&2; exit 1; }
  run=(sudo)
fi
echo "[system] installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq >&2
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
