// cocca-certbot's DNS check, for real in the sandbox: a real resolver (dnsmasq, on the
// sandbox's own loopback) answers for the test's names, and `dig` asks it. Resin may be stopped
// for certbot only once the host name resolves to one of this instance's addresses; before
// that, each try says what the name resolves to, and Resin keeps serving. certbot itself is a
// stand-in (Let's Encrypt cannot be reached from here): it records how it was called and runs
// its pre- and post-hooks, as certbot does.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInstanceTree, runSandboxed } from './sandbox.js';
import { hasTool, isRoot } from './tools.js';

const canRun = isRoot() && (await hasTool('dnsmasq')) && (await hasTool('dig')) && (await hasTool('unshare'));
let work: string;
let rootfs: string;

const CERTBOT_STANDIN = `#!/bin/bash
# certbot stand-in: records its arguments, runs --pre-hook and --post-hook like certbot does.
echo "CERTBOT $*" >>/tmp/certbot.calls
while [ $# -gt 0 ]; do
  case $1 in --pre-hook | --post-hook) bash -c "$2"; shift ;; esac
  shift
done
`;

describe.skipIf(!canRun)("cocca-certbot waits for DNS before stopping Resin (sandboxed, a real resolver)", () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-certbot-'));
    // validate refuses Let's Encrypt for a name that cannot be public (.example): the profile
    // names a public one; each attempt below hands the instance its own FQDN in values.env.
    rootfs = await renderInstanceTree(
      work,
      `apiVersion: cocca-bake/v1
name: letest
host: {fqdn: registry.coccaregistry.org}
firewall: {trusted: [192.0.2.0/24]}
secrets: {source: user-data}
tls: {mode: letsencrypt, email: hostmaster@coccaregistry.org, staging: true}
targets: {qemu: {baseImage: {url: "file:///dev/null", sha256: "${'0'.repeat(64)}"}}}
`,
    );
    await fs.writeFile(path.join(work, 'certbot'), CERTBOT_STANDIN, { mode: 0o755 });
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  /** cocca-certbot for FQDN, this instance at 192.0.2.10, the resolver answering `records`. */
  const attempt = (fqdn: string, o: { publicIpv4?: string } = {}) =>
    runSandboxed(
      rootfs,
      `ip link set lo up
ip addr add 192.0.2.10/32 dev lo scope global
dnsmasq --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts --pid-file=/tmp/dnsmasq.pid \\
  --address=/here.nic.example/192.0.2.10 --address=/elsewhere.nic.example/203.0.113.9
rm -f /etc/resolv.conf; echo 'nameserver 127.0.0.1' >/etc/resolv.conf
# /etc/hosts names this host (first boot writes that line): it must not count as DNS.
echo '192.0.2.10 hosts-only.nic.example' >>/etc/hosts
install -d -m 0700 /etc/cocca
printf 'FQDN=%s\\nPUBLIC_IPV4=%s\\n' '${fqdn}' '${o.publicIpv4 ?? ''}' >/etc/cocca/values.env
install -m 0755 ${work}/certbot /usr/local/sbin/certbot
: >/tmp/certbot.calls
/usr/local/sbin/cocca-certbot 2>&1
echo "== calls"; cat /tmp/certbot.calls
kill "$(cat /tmp/dnsmasq.pid)"
`,
    );

  it('stops Resin and asks Let\'s Encrypt once the name resolves to this instance', async () => {
    const r = await attempt('here.nic.example');
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain("here.nic.example resolves here: asking Let's Encrypt");
    const calls = (r.output.split('== calls')[1] ?? '');
    expect(calls).toContain('CERTBOT certonly --standalone --non-interactive --agree-tos -m hostmaster@coccaregistry.org -d here.nic.example --staging');
    // The hooks stopped and started Resin around it (the sandbox's systemctl logs them).
    expect(r.output).toMatch(/systemctl\(stub\) stop resin\.service[\s\S]*systemctl\(stub\) start resin\.service/);
  });

  it.each([
    ['a name that resolves elsewhere', 'elsewhere.nic.example', 'waiting: elsewhere.nic.example resolves to 203.0.113.9, not to this instance (192.0.2.10)'],
    ['a name not in DNS yet', 'new.nic.example', 'waiting: new.nic.example does not resolve in DNS yet'],
    ['a name only /etc/hosts knows', 'hosts-only.nic.example', 'waiting: hosts-only.nic.example does not resolve in DNS yet'],
  ])('leaves Resin serving for %s, and says why', async (_what, fqdn, message) => {
    const r = await attempt(fqdn);
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain(`${message}; Resin keeps serving (next try by cocca-certbot.timer)`);
    expect((r.output.split('== calls')[1] ?? '').trim()).toBe('');
    expect(r.output).not.toContain('stop resin.service');
  });

  it('counts a public address handed in (an Elastic IP is never on an interface)', async () => {
    const r = await attempt('elsewhere.nic.example', { publicIpv4: '203.0.113.9' });
    expect(r.ok, r.output).toBe(true);
    expect((r.output.split('== calls')[1] ?? '')).toContain('-d elsewhere.nic.example');
  });
});
