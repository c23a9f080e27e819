/**
 * Runs rendered instance steps for real on this machine, without touching it: a private
 * mount, network, PID and UTS namespace (`unshare -m -n -p -u`: a step that sets the host name
 * sets only the sandbox's), copy-on-write overlays on /etc, /var,
 * /usr/local, /opt, /srv, /root and /home whose upper layers live in a temp dir, a tmpfs on
 * /run, and the rendered
 * instance files copied in. When the script ends, the namespace's PID 1 ends and the kernel
 * ends every process it started (a PostgreSQL server included). /tmp stays shared: the tests
 * hand files in through it, and the steps only make temporary files there.
 *
 * systemctl is a stub (PID 1 here is not systemd): it maps the few calls the steps make to
 * the real programs behind them (pg_ctlcluster for postgresql.service) and logs the rest.
 */
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SandboxResult {
  ok: boolean;
  output: string;
  exitCode?: number;
}

const SYSTEMCTL_STUB = `#!/bin/bash
# test stub: PID 1 is not systemd in the sandbox
echo "systemctl(stub) $*" >&2
case "$1 \${2:-}" in
  "restart postgresql.service") exec pg_ctlcluster 15 main restart ;;
  "reload postgresql.service") exec pg_ctlcluster 15 main reload ;;
  # Like systemctl start: nothing to do when it runs already.
  "start postgresql@15-main.service") pg_ctlcluster 15 main status >/dev/null 2>&1 || exec pg_ctlcluster 15 main start ;;
  "stop postgresql@15-main.service") pg_ctlcluster 15 main status >/dev/null 2>&1 && exec pg_ctlcluster 15 main stop ;;
  # A real sshd of the sandbox's own (its network namespace is private): the test starts it.
  "restart ssh.service")
    [ -f /run/sshd.pid ] && kill "$(cat /run/sshd.pid)" 2>/dev/null
    for _ in $(seq 50); do [ -e /run/sshd.pid ] || break; sleep 0.1; done
    exec /usr/sbin/sshd ;;
esac
exit 0
`;

export async function runSandboxed(rootfs: string, script: string, timeoutMs = 120_000): Promise<SandboxResult> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-sandbox-'));
  try {
    await fs.writeFile(path.join(tmp, 'systemctl'), SYSTEMCTL_STUB, { mode: 0o755 });
    await fs.writeFile(path.join(tmp, 'test.sh'), script, { mode: 0o755 });
    const setup = `
set -euo pipefail
T=${tmp}
mount --make-rprivate /
ip link set lo up
# Every tree a step may write is copy-on-write; / itself is never written.
for d in etc var usr/local opt srv root home; do
  mkdir -p "/$d" 2>/dev/null || true
  n=\${d//\\//_}
  mkdir -p "$T/$n-up" "$T/$n-work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/$n-up,workdir=$T/$n-work" "/$d"
done
mount -t tmpfs tmpfs /run
install -d -o postgres -g postgres -m 2775 /run/postgresql
mkdir -p /run/sshd /run/lock
cp -a ${rootfs}/. /
install -m 0755 "$T/systemctl" /usr/local/sbin/systemctl
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
bash -euo pipefail "$T/test.sh"
`;
    const r = await execa('unshare', ['-m', '-n', '-p', '-u', '--fork', '--mount-proc', 'bash', '-c', setup], {
      reject: false,
      all: true,
      timeout: timeoutMs,
      env: { LANG: 'C.UTF-8' },
    });
    return { ok: r.exitCode === 0 && !r.timedOut, output: r.all ?? '', exitCode: r.exitCode };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Renders a profile (YAML text) with the built CLI into a fresh directory under `work` and
 * returns the instance tree the Packer build would upload (packer/files/rootfs).
 */
export async function renderInstanceTree(work: string, yaml: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(work, 'p-'));
  await fs.writeFile(path.join(dir, 'p.yaml'), yaml);
  const r = await execa('node', [path.resolve('dist/generator/cli.js'), 'render', path.join(dir, 'p.yaml'), '--out', path.join(dir, 'out')], {
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`render failed:\n${r.all}`);
  return path.join(dir, 'out', 'packer', 'files', 'rootfs');
}
