# shellcheck shell=bash
# Functions shared by the cocca-bake steps on the instance. Sourced by cocca-run; each step
# runs in its own bash with `set -euo pipefail`, so any failed command fails the step.

# Where cocca-bake's files live (COCCA_LIB, COCCA_ETC, COCCA_STATE, ...) and the instance contract
# (CONTRACT_*): generated beside this file from generator/instance/, never spelled here.
# shellcheck source=paths.sh
. "${BASH_SOURCE[0]%/*}/paths.sh"
# shellcheck source=contract.sh
. "${BASH_SOURCE[0]%/*}/contract.sh"

log() {
  printf 'cocca[%s]: %s\n' "${COCCA_STEP:-cocca}" "$*" >&2
}

# die MESSAGE: log it and fail the step. The message is also kept as the step's reason
# (cocca-run puts it in PHASE.json; first boot shows it in firstboot.json and at login).
die() {
  log "ERROR: $*"
  if [ -n "${COCCA_ERROR_FILE:-}" ]; then printf '%s\n' "$*" >>"$COCCA_ERROR_FILE" 2>/dev/null || true; fi
  exit 1
}

# json_str TEXT: TEXT as a JSON string, quotes included (other control characters become "?").
json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  s=${s//[[:cntrl:]]/?}
  printf '"%s"' "$s"
}

# now_ms: milliseconds since the epoch into NOW_MS, from bash's own clock: first boot times
# everything, and starting date(1) for each reading would cost more than what it measures.
now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  NOW_MS=$((10#$t / 1000))
}

# utc_now: the time as 2026-01-31T12:00:00Z into UTC_NOW.
# shellcheck disable=SC2034 # UTC_NOW is the caller's to read
utc_now() { TZ=UTC0 printf -v UTC_NOW '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }

# svc ACTION UNIT...: systemctl start/restart/reload, timed: first boot reports the time spent
# in services apart from its own work.
svc() {
  local t0 rc=0
  now_ms
  t0=$NOW_MS
  systemctl "$@" || rc=$?
  if [ -n "${COCCA_SERVICE_MS_FILE:-}" ]; then
    now_ms
    printf '%s %d\n' "${*:2}" $((NOW_MS - t0)) >>"$COCCA_SERVICE_MS_FILE" 2>/dev/null || true
  fi
  return "$rc"
}

# sshd_ports: the TCP ports sshd listens on now, one per line. Where sshd is socket-activated,
# ssh.socket holds them (systemd, before a first connection starts sshd; then both). Asking
# systemd only where it runs: wait_for polls this.
sshd_ports() {
  {
    ss -Hltnp 2>/dev/null | awk '/users:\(.*\("sshd",/ { sub(/.*:/, "", $4); print $4 }'
    if [ -d /run/systemd/system ] && systemctl is-active --quiet ssh.socket 2>/dev/null; then
      systemctl show -p Listen --value ssh.socket 2>/dev/null | awk '{ sub(/ .*/, ""); sub(/.*:/, ""); print }'
    fi
  } | sort -un
}

# While sshd moves to its new port, its old one stays open to the trusted networks: a rule in
# the kernel only (ufw's own chain, milliseconds; each `ufw` call takes most of a second),
# listed in SSH_TRANSITION. cocca-sshd-apply removes them once sshd listens on its new port,
# or makes them ufw rules (they then survive a reboot) when sshd stays where it was.
SSH_TRANSITION=/run/cocca/ssh-transition

# ssh_transition_open PORT SRC...: allow tcp PORT from each SRC (IPv4 or IPv6 networks).
ssh_transition_open() {
  local port=$1 src
  shift
  mkdir -p "${SSH_TRANSITION%/*}"
  for src in "$@"; do
    ssh_transition_rule -I "$src" "$port"
    printf '%s %s\n' "$src" "$port" >>"$SSH_TRANSITION"
  done
}

# ssh_transition_rule -I|-D SRC PORT
ssh_transition_rule() {
  local cmd=iptables chain=ufw-user-input
  case $2 in *:*) cmd=ip6tables chain=ufw6-user-input ;; esac
  "$cmd" "$1" "$chain" -s "$2" -p tcp --dport "$3" -j ACCEPT -m comment --comment cocca-ssh-transition
}

# ssh_transition_close: remove the transition rules (sshd listens on its new port): the kernel
# ones, and ufw ones an earlier, failed run kept (ufw writes comments in hex in user.rules).
ssh_transition_close() {
  local src port rule words hex
  if [ -f "$SSH_TRANSITION" ]; then
    while read -r src port; do
      ssh_transition_rule -D "$src" "$port" 2>/dev/null || true
      log "closed the transition rule: allow from $src to port $port"
    done <"$SSH_TRANSITION"
    rm -f "$SSH_TRANSITION"
  fi
  hex=$(printf %s cocca-ssh-transition | od -An -tx1 | tr -d ' \n')
  grep -qs "comment=$hex" /etc/ufw/user.rules /etc/ufw/user6.rules || return 0
  ufw show added | sed -n "s/^ufw allow \(.*\) comment 'cocca-ssh-transition'\$/\1/p" | while IFS= read -r rule; do
    read -r -a words <<<"$rule"
    ufw delete allow "${words[@]}" >/dev/null
    log "closed the transition rule kept in ufw: allow ${words[*]}"
  done
}

# ssh_transition_keep: make them ufw rules, so they survive a reboot (sshd stays on its old port).
ssh_transition_keep() {
  local src port
  [ -f "$SSH_TRANSITION" ] || return 0
  while read -r src port; do
    ufw allow from "$src" to any port "$port" proto tcp comment cocca-ssh-transition >/dev/null
    log "kept port $port open to $src in ufw: sshd still listens there"
  done <"$SSH_TRANSITION"
  rm -f "$SSH_TRANSITION"
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# apt-get that waits for a held lock (cloud-init or unattended-upgrades may hold it at boot).
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold -y "$@"
}

apt_install() {
  local missing=() p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = 'install ok installed' ] || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  # A frozen bake: every recorded version still there, or nothing is installed.
  if [ -s "$COCCA_FROZEN_LIST" ]; then "$COCCA_LIB/cocca-apt-frozen" check "${missing[@]}"; fi
  log "apt install ${missing[*]}"
  apt_get install --no-install-recommends "${missing[@]}"
}

# fetch URL SHA256 DEST: download over verified TLS (https) or from a local mirror (file://),
# check the SHA-256, and only then move it into place. An existing DEST with the right
# checksum is kept, so a re-run downloads nothing.
fetch() {
  local url=$1 sum=$2 dest=$3 tmp got
  if [ -f "$dest" ] && [ "$sum" != unpinned ] && echo "$sum  $dest" | sha256sum --check --status; then
    log "have $dest (sha256 ok)"
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.part.XXXXXX")
  log "download $url"
  if ! curl --fail --silent --show-error --location --proto '=https,file' --proto-redir '=https' \
    --tlsv1.2 --retry 5 --retry-delay 10 --retry-all-errors --output "$tmp" "$url"; then
    rm -f "$tmp"
    die "download failed: $url"
  fi
  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$sum" = unpinned ]; then
    # No publisher checksum exists: record what was received so the image can be audited.
    log "WARNING: $url is not pinned; received sha256 $got"
    mkdir -p "$COCCA_STATE"
    printf '%s  %s\n' "$got" "$url" >>"$COCCA_STATE/unpinned-downloads.txt"
  elif [ "$got" != "$sum" ]; then
    rm -f "$tmp"
    die "sha256 mismatch for $url: expected $sum, got $got"
  fi
  mv -f "$tmp" "$dest"
}

# kv_get FILE KEY: the value of KEY in a NAME=value file (value verbatim, never evaluated).
kv_get() {
  local file=$1 key=$2 line
  [ -r "$file" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      "$key="*) printf '%s' "${line#*=}"; return 0 ;;
    esac
  done <"$file"
  return 1
}

# kv_set FILE KEY VALUE: replace or add KEY, atomically, keeping the file root-only.
kv_set() {
  local file=$1 key=$2 value=$3
  case $value in *$'\n'*) die "value for $key contains a newline" ;; esac
  [ -d "${file%/*}" ] || mkdir -p "${file%/*}"
  kv_rewrite "$file" "$key" "$key=$value"
}

# kv_del FILE KEY: remove KEY, atomically.
kv_del() {
  [ -f "$1" ] || return 0
  kv_rewrite "$1" "$2" ''
}

# kv_rewrite FILE KEY LINE: FILE without KEY's line, then LINE if any, replaced in one rename.
# The copy is created root-only (umask) and written by bash itself: one mv is all it starts.
kv_rewrite() {
  local file=$1 key=$2 add=$3 tmp="$1.new.$$" line
  (
    umask 077
    exec >"$tmp"
    if [ -f "$file" ]; then
      while IFS= read -r line || [ -n "$line" ]; do
        case $line in "$key="*) ;; *) printf '%s\n' "$line" ;; esac
      done <"$file"
    fi
    [ -z "$add" ] || printf '%s\n' "$add"
  )
  mv -f "$tmp" "$file"
}

# value NAME, secret NAME: what first boot settled for NAME (handed in, the profile's, detected,
# generated). A name the contract does not hold, or of the other kind, fails the step: a typo
# must not read as an empty value.
value() { contract_is "$1" no && kv_get "$COCCA_VALUES_ENV" "$1"; }
secret() { contract_is "$1" yes && kv_get "$COCCA_SECRETS_ENV" "$1"; }
contract_is() {
  [ "${CONTRACT_SECRET[$1]:-}" = "$2" ] || die "$1 is not a $([ "$2" = yes ] && echo secret || echo value) of the instance contract"
}

# A random password of letters and digits: safe in XML, JDBC URLs and shell alike.
# 32 characters of 62: 190 bits. bash 5.1+ draws SRANDOM from the kernel's generator
# (getrandom), with no program to start; older bash reads /dev/urandom through tr.
random_password() {
  local chars=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 pw='' r
  if [ -n "${SRANDOM:-}" ]; then
    while [ "${#pw}" -lt 32 ]; do
      r=$SRANDOM
      # Below 62 * 69273666 every character is equally likely; the rest is drawn again.
      if ((r < 4294967232)); then pw+=${chars:r%62:1}; fi
    done
  else
    while [ "${#pw}" -lt 32 ]; do
      pw+=$(head -c 256 /dev/urandom | tr -dc 'A-Za-z0-9')
    done
  fi
  printf '%s' "${pw:0:32}"
}

# wait_port PORT SECONDS: until something listens on TCP PORT (any address family).
wait_port() {
  local port=$1 deadline=$((SECONDS + $2))
  until [ -n "$(ss -Hltn "sport = :$port")" ]; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# is_ipv6 TEXT: an IPv6 address in any RFC 4291 text form (no zone), in bash alone: first boot
# checks values before anything else runs, and a python3 start costs more than all the rest.
is_ipv6() {
  local v=$1 octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' max=8 head tail part group n=0
  local -a groups
  # A dotted IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  if [[ $v =~ ^(.*:)([^:]*\.[^:]*)$ ]]; then
    v=${BASH_REMATCH[1]} max=6
    [[ ${BASH_REMATCH[2]} =~ ^$octet\.$octet\.$octet\.$octet$ ]] || return 1
    [[ $v == *:: ]] || v=${v%:}
  fi
  case $v in *::*::* | *:::*) return 1 ;; esac
  if [[ $v == *::* ]]; then
    head=${v%%::*} tail=${v#*::}
    max=$((max - 1))
  else
    head=$v tail=''
    [ -n "$head" ] || return 1
  fi
  for part in "$head" "$tail"; do
    [ -n "$part" ] || continue
    IFS=: read -r -a groups <<<"$part:"
    [[ $part != *: && $part != :* ]] || return 1
    for group in "${groups[@]}"; do
      [[ $group =~ ^[0-9A-Fa-f]{1,4}$ ]] || return 1
      n=$((n + 1))
    done
  done
  if [[ $v == *::* ]]; then [ "$n" -le "$max" ]; else [ "$n" -eq "$max" ]; fi
}

# syntax_problem SYNTAX VALUE: prints why VALUE is not valid SYNTAX and fails, or succeeds
# quietly. The same rules as syntaxProblem in generator/instance/contract.ts (a test holds the
# two to one table of cases).
syntax_problem() {
  # Characters, not bytes, and the same character classes as JavaScript's, whatever the caller's locale.
  local LC_ALL=C.UTF-8 syntax=$1 v=$2 n label labels
  case $v in *$'\n'* | *$'\r'*) echo 'contains a line break or NUL'; return 1 ;; esac
  if [ "${#v}" -gt 65536 ]; then echo 'is longer than 65536 characters'; return 1; fi
  case $syntax in
    fqdn)
      n=${v%.}
      if [ "${#n}" -gt 253 ]; then echo 'is longer than 253 characters'; return 1; fi
      case $n in *.*) ;; *) echo 'is not fully qualified: it needs a domain, e.g. registry.nic.example'; return 1 ;; esac
      IFS=. read -r -a labels <<<"$n."
      for label in "${labels[@]}"; do
        if [ -z "$label" ]; then echo 'has an empty label (two dots in a row)'; return 1; fi
        if [ "${#label}" -gt 63 ]; then echo "has a label longer than 63 characters (${label:0:12}…)"; return 1; fi
        if ! [[ $label =~ ^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$ ]]; then
          echo "has an invalid label \"$label\": letters, digits and inner hyphens only"
          return 1
        fi
      done
      if [[ ${labels[-1]} =~ ^[0-9]+$ ]]; then echo 'ends in a numeric label: an IP address is not a host name'; return 1; fi
      ;;
    ipv4)
      local octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
      [[ $v =~ ^$octet\.$octet\.$octet\.$octet$ ]] || { echo 'is not an IPv4 address'; return 1; }
      ;;
    ipv6)
      is_ipv6 "$v" || { echo 'is not an IPv6 address (without a zone)'; return 1; }
      ;;
    password)
      if [[ $v =~ [^\ -~] ]]; then echo 'holds a character other than printable ASCII'; return 1; fi
      if [ "${#v}" -lt 12 ]; then echo 'is shorter than 12 characters'; return 1; fi
      if [ "${#v}" -gt 128 ]; then echo 'is longer than 128 characters'; return 1; fi
      # shellcheck disable=SC2016 # the literal characters ${ and #{
      case $v in *'${'* | *'#{'*) echo 'contains ${ or #{, which Resin evaluates in resin.xml'; return 1 ;; esac
      case $v in *@@*) echo 'contains @@, the placeholder marker of resin.xml templates'; return 1 ;; esac
      ;;
    text)
      if [ -z "$v" ]; then echo 'is empty'; return 1; fi
      if [[ $v =~ [[:cntrl:]] ]]; then echo 'holds a control character'; return 1; fi
      ;;
    base64)
      if ! [[ $v =~ ^[A-Za-z0-9+/]+={0,2}$ ]] || [ $((${#v} % 4)) -ne 0 ]; then echo 'is not base64'; return 1; fi
      ;;
    *) echo "has an unknown syntax $syntax"; return 1 ;;
  esac
}
