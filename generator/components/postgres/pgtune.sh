#!/bin/bash
# pgtune.sh - PostgreSQL tuning computed on the instance at first boot.
#
# Re-implements the formulas of pgtune (https://github.com/le0pard/pgtune) so the
# settings follow the RAM and CPUs the server really has, not the sizes someone
# typed when the image was built. ONE variant is pinned: the "2025" one
# (le0pard/pgtune commit 2f5122d): work_mem after fix #113, huge_pages emitted,
# maintenance_work_mem capped at 2GB, 64kB work_mem floor. OS is always linux.
#
# Usage:
#   pgtune.sh --pg-version 15 --db-type web --storage ssd \
#             [--connections N] [--ram-kb N] [--cpus N]
# Prints a postgresql.conf drop-in on stdout. Bad arguments: message on stderr, exit 2.
# Needs only bash, coreutils (nproc) and awk.
set -euo pipefail

readonly VARIANT='pgtune 2025 variant (le0pard/pgtune@2f5122d)'

# Sizes below are all in kB, like pgtune computes them.
readonly KB_PER_MB=1024
readonly KB_PER_GB=1048576

usage() {
  cat <<'EOF'
usage: pgtune.sh --pg-version N --db-type web|oltp|mixed|dw|desktop --storage ssd|hdd|san
                 [--connections N] [--ram-kb N] [--cpus N]
EOF
}

die() {
  printf 'pgtune.sh: %s\n' "$1" >&2
  usage >&2
  exit 2
}

# Positive decimal integer without leading zeros (bash would read "010" as octal),
# at most 15 digits so nothing below can overflow 64-bit arithmetic.
is_pos_int() {
  [[ $1 =~ ^[1-9][0-9]{0,14}$ ]]
}

# pgtune's formatValue: a kB amount as GB, else MB, else kB, whichever divides evenly.
fmt_kb() {
  local kb=$1
  if ((kb % KB_PER_GB == 0)); then
    printf '%sGB' "$((kb / KB_PER_GB))"
  elif ((kb % KB_PER_MB == 0)); then
    printf '%sMB' "$((kb / KB_PER_MB))"
  else
    printf '%skB' "$kb"
  fi
}

pg_version='' db_type='' storage='' connections='' ram_kb='' cpus=''
while (($# > 0)); do
  opt=$1
  case $opt in
    --pg-version | --db-type | --storage | --connections | --ram-kb | --cpus)
      (($# >= 2)) || die "$opt needs a value"
      val=$2
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument: $opt" ;;
  esac
  case $opt in
    --pg-version) pg_version=$val ;;
    --db-type) db_type=$val ;;
    --storage) storage=$val ;;
    --connections) connections=$val ;;
    --ram-kb) ram_kb=$val ;;
    --cpus) cpus=$val ;;
  esac
done

[[ -n $pg_version ]] || die '--pg-version is required'
[[ -n $db_type ]] || die '--db-type is required'
[[ -n $storage ]] || die '--storage is required'
# Parallel-worker settings below assume PG >= 10 (max_parallel_workers exists).
if ! is_pos_int "$pg_version" || ((pg_version < 10)); then
  die "--pg-version must be an integer >= 10, got '$pg_version'"
fi
case $db_type in web | oltp | mixed | dw | desktop) ;; *) die "bad --db-type '$db_type'" ;; esac
case $storage in ssd | hdd | san) ;; *) die "bad --storage '$storage'" ;; esac
if [[ -n $connections ]]; then
  is_pos_int "$connections" || die "--connections must be a positive integer, got '$connections'"
fi

# pgtune takes the RAM the user types ("12 GB"). On the instance we use the RAM as
# the kernel reports it (MemTotal, kB), as is: it is a little below the nominal
# size (firmware and kernel reservations), so values come out slightly smaller
# than pgtune's for the nominal size and are often printed in kB.
if [[ -z $ram_kb ]]; then
  ram_kb=$(awk '$1 == "MemTotal:" { print $2; exit }' /proc/meminfo)
fi
is_pos_int "$ram_kb" || die "--ram-kb must be a positive integer, got '$ram_kb'"

# nproc: CPUs this process may run on (honours cgroup/affinity limits).
if [[ -z $cpus ]]; then
  cpus=$(nproc)
fi
is_pos_int "$cpus" || die "--cpus must be a positive integer, got '$cpus'"

# --- per-type constants -------------------------------------------------------
case $db_type in
  web) def_conn=200 min_wal=$((1 * KB_PER_GB)) max_wal=$((4 * KB_PER_GB)) wm_div=1 ;;
  oltp) def_conn=300 min_wal=$((2 * KB_PER_GB)) max_wal=$((8 * KB_PER_GB)) wm_div=1 ;;
  mixed) def_conn=100 min_wal=$((1 * KB_PER_GB)) max_wal=$((4 * KB_PER_GB)) wm_div=2 ;;
  dw) def_conn=40 min_wal=$((4 * KB_PER_GB)) max_wal=$((16 * KB_PER_GB)) wm_div=2 ;;
  desktop) def_conn=20 min_wal=$((100 * KB_PER_MB)) max_wal=$((2 * KB_PER_GB)) wm_div=6 ;;
esac

max_connections=${connections:-$def_conn}

if [[ $db_type == desktop ]]; then
  shared_buffers=$((ram_kb / 16))
  effective_cache_size=$((ram_kb / 4))
else
  shared_buffers=$((ram_kb / 4))
  effective_cache_size=$((ram_kb * 3 / 4))
fi

if [[ $db_type == dw ]]; then
  maintenance_work_mem=$((ram_kb / 8))
  default_statistics_target=500
else
  maintenance_work_mem=$((ram_kb / 16))
  default_statistics_target=100
fi
# 2025 variant caps with ">=" (2022 used ">"); same result either way on linux.
if ((maintenance_work_mem >= 2 * KB_PER_GB)); then
  maintenance_work_mem=$((2 * KB_PER_GB))
fi

# wal_buffers: 3% of shared_buffers, at most 16MB; anything strictly between 14MB
# and 16MB is rounded up to 16MB; at least 32kB.
wal_buffers=$((3 * shared_buffers / 100))
if ((wal_buffers > 16 * KB_PER_MB)); then
  wal_buffers=$((16 * KB_PER_MB))
fi
if ((wal_buffers > 14 * KB_PER_MB && wal_buffers < 16 * KB_PER_MB)); then
  wal_buffers=$((16 * KB_PER_MB))
fi
if ((wal_buffers < 32)); then
  wal_buffers=32
fi

case $storage in
  hdd) random_page_cost=4 effective_io_concurrency=2 ;;
  ssd) random_page_cost=1.1 effective_io_concurrency=200 ;;
  san) random_page_cost=1.1 effective_io_concurrency=300 ;;
esac

# Parallel settings only from 4 CPUs up. ceil(n/2) == (n + 1) / 2 in integers.
parallel=()
if ((cpus >= 4)); then
  per_gather=$(((cpus + 1) / 2))
  if [[ $db_type != dw ]] && ((per_gather > 4)); then
    per_gather=4
  fi
  maint_workers=$(((cpus + 1) / 2))
  ((maint_workers <= 4)) || maint_workers=4
  parallel+=("max_worker_processes = $cpus")
  parallel+=("max_parallel_workers_per_gather = $per_gather")
  parallel+=("max_parallel_workers = $cpus")
  if ((pg_version >= 11)); then
    parallel+=("max_parallel_maintenance_workers = $maint_workers")
  fi
  workers=$cpus
else
  # PostgreSQL's default max_worker_processes, which pgtune assumes when it emits none.
  workers=8
fi

# work_mem (fix #113): (RAM - shared_buffers) / ((max_connections + workers) * 3),
# then divided by 1 (web/oltp), 2 (mixed/dw) or 6 (desktop). Integer division of
# a non-negative number is floor, and floor(floor(x)/k) == floor(x/k), so one
# division by the product gives pgtune's result exactly.
work_mem=$(((ram_kb - shared_buffers) / ((max_connections + workers) * 3 * wm_div)))
if ((work_mem < 64)); then
  work_mem=64
fi

# 32GB and more: let PostgreSQL try huge pages (falls back if none are reserved).
if ((ram_kb >= 32 * KB_PER_GB)); then
  huge_pages=try
else
  huge_pages=off
fi

# --- output -----------------------------------------------------------------------
if ((ram_kb % KB_PER_GB == 0)); then
  ram_label="$((ram_kb / KB_PER_GB)) GB"
elif ((ram_kb % KB_PER_MB == 0)); then
  ram_label="$((ram_kb / KB_PER_MB)) MB"
else
  ram_label="$ram_kb kB"
fi

# Same warnings as pgtune, outside the range it was designed for.
if ((ram_kb < 256 * KB_PER_MB)); then
  printf '# WARNING\n# this tool not being optimal\n# for low memory systems\n\n'
elif ((ram_kb > 100 * KB_PER_GB)); then
  printf '# WARNING\n# this tool not being optimal\n# for very high memory systems\n\n'
fi

printf '# DB Version: %s\n' "$pg_version"
printf '# OS Type: linux\n'
printf '# DB Type: %s\n' "$db_type"
printf '# Total Memory (RAM): %s\n' "$ram_label"
printf '# CPUs num: %s\n' "$cpus"
if [[ -n $connections ]]; then
  printf '# Connections num: %s\n' "$connections"
fi
printf '# Data Storage: %s\n' "$storage"
printf '# Computed at first boot by pgtune.sh: %s\n' "$VARIANT"
printf '\n'

printf '%s\n' \
  "max_connections = $max_connections" \
  "shared_buffers = $(fmt_kb "$shared_buffers")" \
  "effective_cache_size = $(fmt_kb "$effective_cache_size")" \
  "maintenance_work_mem = $(fmt_kb "$maintenance_work_mem")" \
  "checkpoint_completion_target = 0.9" \
  "wal_buffers = $(fmt_kb "$wal_buffers")" \
  "default_statistics_target = $default_statistics_target" \
  "random_page_cost = $random_page_cost" \
  "effective_io_concurrency = $effective_io_concurrency" \
  "work_mem = $(fmt_kb "$work_mem")" \
  "huge_pages = $huge_pages" \
  "min_wal_size = $(fmt_kb "$min_wal")" \
  "max_wal_size = $(fmt_kb "$max_wal")"
if ((${#parallel[@]} > 0)); then
  printf '%s\n' "${parallel[@]}"
fi
# The pinned variant also turns WAL down to the minimum for desktop installs
# (wal_level = minimal requires max_wal_senders = 0).
if [[ $db_type == desktop ]]; then
  printf '%s\n' 'wal_level = minimal' 'max_wal_senders = 0'
fi
