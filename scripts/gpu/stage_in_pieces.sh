#!/usr/bin/env bash
# Moves a file larger than one device call's carry limit (64 MB with the working tree, ~20 MB of it tracked)
# to the GPU machine over consecutive calls, e.g. the SmolLM2 model (98 MB) for scripts/gpu/graph_parity.sh.
# A call lays the working tree anew, but /tmp survives while the machine stays warm (30 s after a call), so
# each call leaves its piece in /tmp/lq-stage and the last one joins them and checks the SHA-256.
#
# Here:   scripts/gpu/stage_in_pieces.sh split FILE [PIECES]   (default 3) -> .stage/part-N and .stage/manifest
# There:  scripts/gpu/stage_in_pieces.sh receive               (carry .stage/manifest and .stage/part-N)
#         scripts/gpu/stage_in_pieces.sh place DEST            (the joined file to DEST, once all have come)
#
# Calls back to back: a gap of more than 30 s releases the machine and loses what /tmp held.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
stage=$root/.stage
store=/tmp/lq-stage

die() { echo "stage_in_pieces.sh: $*" >&2; exit 2; }

case ${1:-} in
  split)
    file=${2:?split needs FILE}
    pieces=${3:-3}
    [ -f "$file" ] || die "no file '$file'"
    [[ $pieces =~ ^[1-9][0-9]?$ ]] || die "PIECES must be a number from 1 to 99, got '$pieces'"
    rm -rf "$stage" && mkdir -p "$stage"
    size=$(stat -c %s "$file")
    split --numeric-suffixes=1 --suffix-length=2 -b $(((size + pieces - 1) / pieces)) "$file" "$stage/part-"
    printf '%s %s %s\n' "$(basename "$file")" "$(sha256sum "$file" | cut -d' ' -f1)" "$pieces" >"$stage/manifest"
    for part in "$stage"/part-*; do
      echo "stage_in_pieces: carry .stage/manifest and .stage/$(basename "$part") ($(du -h "$part" | cut -f1))"
    done
    ;;
  receive)
    [ -f "$stage/manifest" ] || die "no .stage/manifest carried"
    read -r name sum pieces <"$stage/manifest"
    mkdir -p "$store"
    for part in "$stage"/part-*; do [ -f "$part" ] && cp "$part" "$store/"; done
    have=$(find "$store" -name 'part-*' | wc -l)
    echo "stage_in_pieces: $have of $pieces pieces of $name in $store"
    if [ "$have" -eq "$pieces" ]; then
      cat "$store"/part-* >"$store/$name.joining"
      [ "$(sha256sum "$store/$name.joining" | cut -d' ' -f1)" = "$sum" ] || die "$name joined with a wrong SHA-256"
      mv "$store/$name.joining" "$store/$name"
      rm -f "$store"/part-*
      echo "stage_in_pieces: $name complete"
    fi
    ;;
  place)
    dest=${2:?place needs DEST}
    found=$(find "$store" -maxdepth 1 -type f ! -name 'part-*' ! -name '*.joining' 2>/dev/null | head -1)
    [ -n "$found" ] || die "nothing joined in $store (the machine may have been released)"
    mkdir -p "$(dirname "$dest")"
    cp "$found" "$dest"
    echo "stage_in_pieces: $(basename "$found") -> $dest"
    ;;
  *) sed -n 2,11p "$0"; exit 2 ;;
esac
