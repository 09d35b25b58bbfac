#!/usr/bin/env bash
# Copy what generate.sh wrote into the tables compiled into schemactl
# (src/compile/builtins/): functions.tsv and operators.tsv as they are, and the per-extension
# files combined into extension_functions.tsv and extension_operators.tsv. Deterministic.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DEST="$HERE/../../src/compile/builtins"
cp "$HERE/functions.tsv" "$HERE/operators.tsv" "$DEST/"
cd "$HERE/extensions"
{
  printf 'extension\tname\tmin_args\tmax_args\tvariadic\tkind\treturn_type\tvolatility\n'
  for f in $(ls *.tsv | grep -v operators | grep -v _index | LC_ALL=C sort); do
    awk -F'\t' -v e="${f%.tsv}" 'NR>1{print e"\t"$1"\t"$2"\t"$3"\t"$4"\t"$5"\t"$7"\t"$8}' "$f"
  done | LC_ALL=C sort -u
} >"$DEST/extension_functions.tsv"
{
  printf 'extension\tname\n'
  for f in $(ls *.operators.tsv | LC_ALL=C sort); do
    awk -F'\t' -v e="${f%.operators.tsv}" 'NR>1{print e"\t"$1}' "$f"
  done | LC_ALL=C sort -u
} >"$DEST/extension_operators.tsv"
