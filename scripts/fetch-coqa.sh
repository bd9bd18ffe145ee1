#!/usr/bin/env bash
# Downloads the official CoQA dev set (coqa-dev-v1.0.json, 500 stories) and checks its sha256.
# Needs internet access; the machines llama-quant's CI runs on have none, which is why the coqa plugin
# embeds a sample set of its own. Use the result with `params: {data: path/to/coqa-dev-v1.0.json}`.
#
#   scripts/fetch-coqa.sh [DEST_DIR]      (default: data/coqa)
#   COQA_URL=... scripts/fetch-coqa.sh    (a mirror of the same file)
set -euo pipefail

dest="${1:-data/coqa}"
name="coqa-dev-v1.0.json"
url="${COQA_URL:-https://nlp.stanford.edu/data/coqa/${name}}"
expected="dfa367a9733ce53222918d0231d9b3bedc2b8ee831a2845f62dfc70701f2540a"

mkdir -p "$dest"
target="$dest/$name"
if [[ -f "$target" ]] && echo "$expected  $target" | sha256sum --check --status; then
  echo "$target is already there and intact"
  exit 0
fi
tmp="$target.part"
if command -v curl >/dev/null; then
  curl --fail --location --retry 3 --output "$tmp" "$url"
else
  wget --tries=3 --output-document="$tmp" "$url"
fi
actual="$(sha256sum "$tmp" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
  echo "error: $url has sha256 $actual, expected $expected (9,090,845 bytes); not kept" >&2
  rm -f "$tmp"
  exit 1
fi
mv "$tmp" "$target"
echo "saved $target"
