#!/usr/bin/env bash
# Installs what llama-quant needs to build and test, idempotently: Debian packages via apt.
# Runs as root (CI, containers) or through sudo.
set -euo pipefail
packages=(build-essential cmake git python3 python3-pip
          libtorch-dev libyaml-cpp-dev libspdlog-dev libboost-dev nlohmann-json3-dev
          libgtest-dev libgmock-dev libbenchmark-dev librsvg2-bin
          libopenblas0-pthread)  # libtorch multiplies through libblas.so.3: without OpenBLAS, the reference BLAS (~25x slower)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
