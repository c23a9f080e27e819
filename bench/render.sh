#!/bin/bash
# Prints wall times: one cold `cocca-bake render` (a new node process, as an operator runs it)
# and one `validate` over every example profile. Usage: bash bench/render.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
[ -f dist/generator/cli.js ] || npm run -s build
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
stats() { sort -n | awk '{a[NR]=$1} END {printf "min %d ms, median %d ms, max %d ms (%d runs)\n", a[1], a[int((NR+1)/2)], a[NR], NR}'; }
echo "render profiles/af-south-1.yaml (cold process):"
for _ in $(seq "$runs"); do ms node dist/generator/cli.js render profiles/af-south-1.yaml --out "$out/r"; done | stats
examples=(profiles/*.yaml)
echo "validate profiles/*.yaml (${#examples[@]} profiles, cold process):"
for _ in $(seq "$runs"); do ms node dist/generator/cli.js validate profiles/*.yaml; done | stats
echo "sizes of the af-south-1 render:"
# shellcheck disable=SC2016 # JavaScript for node, its template strings are not the shell's
node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const f of m.files.filter((f) => f.path.startsWith("cloud-init/")))
    console.log(`  ${f.path}: ${f.bytes} bytes${f.gzipBytes ? `, ${f.gzipBytes} gzip` : ""}`);
' "$out/r/manifest.json"
