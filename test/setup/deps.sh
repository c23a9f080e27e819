#!/usr/bin/env bash
# Install the real programs the cocca-bake tests validate their output with.
#
# Idempotent: only the Debian packages that are not installed yet are
# installed, and `apt-get update` runs once, only when something is missing.
# No service is started: a temporary /usr/sbin/policy-rc.d exiting 101 is put
# in place for the install when none exists (and removed afterwards only if
# this script created it). No firewall is ever enabled: installing ufw leaves
# it inactive, and this script never runs `ufw enable`.
#
# Usage (as root, Debian 12): bash test/setup/deps.sh
set -euo pipefail

PACKAGES=(
  packer
  cloud-init
  shellcheck
  openssh-server
  fail2ban
  ufw
  libxml2-utils
  postgresql-15
  openjdk-17-jdk-headless
  openssl
  python3-jsonschema
  util-linux
  iproute2
  systemd
  # the first-boot secrets reader (test/real/secrets-store.test.ts) and the instance scripts
  curl
  jq
  # the Let's Encrypt DNS check against a real resolver (test/real/certbot.test.ts)
  dnsmasq-base
  bind9-dnsutils
  # a client beside the container instances (test/e2e/lib/client.ts)
  iputils-ping
  # the Packer build's shell provisioners run through sudo (test/real/packer-provisioner.test.ts)
  sudo
  # end-to-end tests (test/e2e): a stock Debian rootfs, a local apt repository, containers
  mmdebstrap
  systemd-container
  dpkg-dev
  apt-utils
  debian-archive-keyring
  # cocca-bake bundle signs its repository (test/unit/bundle.test.ts, the e2e flows)
  gpg
  # the qemu build flow (test/e2e/qemu-build.test.ts): Packer's qemu builder under TCG, its
  # CD seed (mkisofs), the first-boot seed, data disks and reading the built image (debugfs), ssh
  qemu-system-x86
  qemu-utils
  genisoimage
  cloud-image-utils
  e2fsprogs
  openssh-client
  # the build report opened in a real browser, headless and without network
  # (test/real/build-report-browser.test.ts)
  chromium
)

POLICY_RC=/usr/sbin/policy-rc.d
created_policy=0

log() { printf 'deps.sh: %s\n' "$*" >&2; }

cleanup() {
  if [[ "$created_policy" == 1 ]]; then
    rm -f -- "$POLICY_RC"
    log "removed temporary $POLICY_RC"
  fi
}

is_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ "$status" == "install ok installed" ]]
}

main() {
  if [[ "$(id -u)" != 0 ]]; then
    log "must run as root (apt-get install)"
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    log "apt-get/dpkg-query not found: this script supports Debian only"
    exit 1
  fi

  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    if ! is_installed "$pkg"; then
      missing+=("$pkg")
    fi
  done

  if [[ ${#missing[@]} -eq 0 ]]; then
    log "all ${#PACKAGES[@]} packages already installed; nothing to do"
    return 0
  fi
  log "missing: ${missing[*]}"

  trap cleanup EXIT
  if [[ ! -e "$POLICY_RC" ]]; then
    printf '#!/bin/sh\n# temporary, created by cocca-bake test/setup/deps.sh\nexit 101\n' >"$POLICY_RC"
    chmod 0755 "$POLICY_RC"
    created_policy=1
    log "created temporary $POLICY_RC (exit 101: no service starts)"
  fi

  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold \
    "${missing[@]}"

  for pkg in "${missing[@]}"; do
    if ! is_installed "$pkg"; then
      log "package $pkg is still not installed"
      exit 1
    fi
  done
  log "installed: ${missing[*]}"
}

main "$@"
