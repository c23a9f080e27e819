// The firewall and sshd steps run for real in the sandbox (its own network namespace, so
// the host's netfilter is never touched): exactly the profile's ufw rules, enabled; the sshd
// drop-in applied after `sshd -t`, and rolled back when sshd refuses it.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInstanceTree, runSandboxed } from './sandbox.js';
import { hasTool, isRoot } from './tools.js';

const canRun = isRoot() && (await hasTool('ufw')) && (await hasTool('sshd')) && (await hasTool('unshare'));
let work: string;

const render = (extra: string) =>
  renderInstanceTree(
    work,
    `apiVersion: cocca-bake/v1
name: hoststeps
host: {fqdn: srs.nic.example}
secrets: {source: user-data}
targets: {qemu: {baseImage: {url: "file:///dev/null", sha256: "${'0'.repeat(64)}"}}}
${extra}`,
  );

/** A real sshd in the sandbox on port 22, as a booted image has it (host keys made, running). */
const SSHD = `install -d -m 0700 /etc/cocca
ssh-keygen -A >/dev/null
/usr/sbin/sshd`;

describe.skipIf(!canRun)('firewall and sshd steps (sandboxed)', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-host-steps-'));
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('writes exactly the profile rules at bake time and enables them at first boot', async () => {
    const rootfs = await render(`firewall: {trusted: [198.51.100.0/24, "2001:db8:cc::/48"], publicPorts: [80, 443, 43, 700], trustedPorts: [53]}
ssh: {port: 2222}`);
    const r = await runSandboxed(
      rootfs,
      `bash -euo pipefail /usr/local/lib/cocca/steps/bake/*-firewall.rules.sh >/dev/null
ufw status | head -1
echo "== boot"
bash -euo pipefail /usr/local/lib/cocca/steps/harden/*-firewall.enable.sh >/dev/null
ufw status
ufw status verbose | grep '^Default:'
`,
    );
    expect(r.ok, r.output).toBe(true);
    const [before, after] = r.output.split('== boot');
    expect(before).toContain('Status: inactive');
    expect(after).toContain('Status: active');
    const rules = after!
      .split('\n')
      .filter((l) => /ALLOW/.test(l))
      .map((l) => l.replace(/\s+#.*$/, '').replace(/\s+/g, ' ').trim())
      .sort();
    expect(rules).toEqual(
      [
        '2222/tcp ALLOW 198.51.100.0/24',
        '53 ALLOW 198.51.100.0/24',
        '2222/tcp ALLOW 2001:db8:cc::/48',
        '53 ALLOW 2001:db8:cc::/48',
        '80/tcp ALLOW Anywhere',
        '443/tcp ALLOW Anywhere',
        '43/tcp ALLOW Anywhere',
        '700/tcp ALLOW Anywhere',
        '80/tcp (v6) ALLOW Anywhere (v6)',
        '443/tcp (v6) ALLOW Anywhere (v6)',
        '43/tcp (v6) ALLOW Anywhere (v6)',
        '700/tcp (v6) ALLOW Anywhere (v6)',
      ].sort(),
    );
    expect(after).toMatch(/^Default: deny \(incoming\), allow \(outgoing\)/m);
  });

  it('applies the sshd drop-in after sshd -t: first value wins, ListenAddress from the instance', async () => {
    const rootfs = await render(`firewall: {trusted: [198.51.100.0/24]}
ssh: {port: 2222, allowUsers: [ubuntu, ops], loginUser: ubuntu, listenAddress: private}`);
    const r = await runSandboxed(
      rootfs,
      `${SSHD}
printf 'PRIVATE_IPV4=127.0.0.1\\n' >/etc/cocca/values.env
# Another drop-in later in order (like cloud-init's) must not win over ours.
printf 'PasswordAuthentication yes\\nPort 22\\n' >/etc/ssh/sshd_config.d/50-cloud-init.conf
bash -euo pipefail /usr/local/lib/cocca/steps/harden/*-sshd.harden.sh
sshd -T -C user=ubuntu,host=h,addr=127.0.0.1 | grep -E '^(port|passwordauthentication|permitrootlogin|clientalivecountmax|allowusers|listenaddress|maxauthtries) '
echo "LISTENING $(ss -Hltn | awk '{print $4}' | sort | paste -sd' ')"
`,
    );
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toMatch(/^port 2222$/m);
    expect(r.output).toMatch(/^passwordauthentication no$/m);
    expect(r.output).toMatch(/^permitrootlogin no$/m);
    expect(r.output).toMatch(/^clientalivecountmax 2$/m);
    expect(r.output).toMatch(/^maxauthtries 3$/m);
    expect(r.output).toMatch(/^allowusers ubuntu$/m);
    expect(r.output).toMatch(/^allowusers ops$/m);
    expect(r.output).toMatch(/^listenaddress 127\.0\.0\.1:2222$/m);
    // Port and ListenAddress add up across files (sshd's rule for them, unlike the others): the
    // other drop-in's 22 is listened on too, and ufw opens only the profile's port.
    expect(r.output).toMatch(/^LISTENING 127\.0\.0\.1:22 127\.0\.0\.1:2222$/m);
  });

  // First boot as it runs the hardening: firewall.enable, fail2ban.start, sshd.harden, with a
  // real sshd listening on the image's port 22 and the profile moving it to 2222.
  const moving = async (prepare: string) => {
    const rootfs = await render(`firewall: {trusted: [198.51.100.0/24, "2001:db8:cc::/48"]}\nssh: {port: 2222}`);
    return runSandboxed(
      rootfs,
      `${SSHD}
bash -euo pipefail /usr/local/lib/cocca/steps/bake/*-firewall.rules.sh >/dev/null
${prepare}
bash -euo pipefail /usr/local/lib/cocca/steps/harden/*-firewall.enable.sh
echo "== transition"
iptables -S ufw-user-input | grep cocca-ssh-transition || true
ip6tables -S ufw6-user-input | grep cocca-ssh-transition || true
echo "== harden"
if /usr/local/sbin/cocca-run harden; then echo HARDEN_OK; else echo HARDEN_FAILED; fi
echo "== after"
ufw status | grep ALLOW | sed 's/  */ /g'
iptables -S ufw-user-input | grep -c cocca-ssh-transition | sed 's/^/KERNEL_TRANSITION_RULES /' || true
echo "SSHD_PORTS $(. /usr/local/lib/cocca/lib.sh; sshd_ports | paste -sd,)"
if [ -e /etc/ssh/sshd_config.d/00-cocca.conf ]; then echo DROPIN_IN_PLACE; fi
cat /var/lib/cocca/harden.json
`,
      180_000,
    );
  };

  it('moving sshd to another port keeps the old one open to the trusted networks until sshd listens on the new one', async () => {
    const r = await moving('');
    expect(r.ok, r.output).toBe(true);
    const [before, after] = r.output.split('== after');
    // While sshd still listened on 22, the firewall came up with 22 open to the trusted networks
    // (in the kernel: a ufw call would take most of a second each)...
    expect(before).toContain('sshd listens on port 22 for now: open to the trusted networks until it moves');
    const transition = before!.split('== transition')[1]!.split('== harden')[0]!;
    expect(transition).toContain('-A ufw-user-input -s 198.51.100.0/24 -p tcp -m tcp --dport 22 -m comment --comment cocca-ssh-transition -j ACCEPT');
    expect(transition).toContain('-A ufw6-user-input -s 2001:db8:cc::/48 -p tcp -m tcp --dport 22 -m comment --comment cocca-ssh-transition -j ACCEPT');
    expect(before).toContain('closed the transition rule: allow from 198.51.100.0/24 to port 22');
    expect(before).toContain('closed the transition rule: allow from 2001:db8:cc::/48 to port 22');
    expect(after).toContain('KERNEL_TRANSITION_RULES 0');
    expect(r.output).toContain('HARDEN_OK');
    // ...and once sshd was seen on 2222, only the profile's rules are left.
    expect(after).toContain('SSHD_PORTS 2222');
    expect(after).not.toMatch(/^22\/tcp /m);
    expect(after).toMatch(/^2222\/tcp ALLOW 198\.51\.100\.0\/24 # cocca-ssh$/m);
    expect(after).toMatch(/^2222\/tcp ALLOW 2001:db8:cc::\/48 # cocca-ssh$/m);
    expect(after).toContain('DROPIN_IN_PLACE');
    expect(after).toContain('"result":"ok"');
  });

  it('when sshd -t refuses the drop-in, sshd keeps port 22 and ufw keeps allowing it from the trusted networks', async () => {
    const r = await moving("echo 'BogusOption yes' >>/usr/local/lib/cocca/sshd-hardening.conf");
    expect(r.ok, r.output).toBe(true);
    const after = r.output.split('== after')[1]!;
    expect(r.output).toContain('HARDEN_FAILED');
    expect(after).toContain('SSHD_PORTS 22');
    expect(after).toMatch(/^22\/tcp ALLOW 198\.51\.100\.0\/24 # cocca-ssh-transition$/m);
    expect(after).toMatch(/^22\/tcp ALLOW 2001:db8:cc::\/48 # cocca-ssh-transition$/m);
    expect(after).not.toContain('DROPIN_IN_PLACE');
    // The other hardening steps ran all the same, and the reason is kept.
    expect(after).toMatch(/"failedStep":"sshd\.harden","reason":"sshd\.harden: sshd -t refused the hardened configuration \([^)]*BogusOption[^)]*\); sshd keeps its previous one on port\(s\) 22, which ufw still allows from the trusted sources"/);
    expect(after).toMatch(/\{"step":"firewall\.enable","ms":\d+,"ok":true\},\{"step":"fail2ban\.start","ms":\d+,"ok":true\},\{"step":"sshd\.harden"/);
  });

  it('when sshd does not come up on the new port, its previous configuration comes back on 22, still allowed', async () => {
    // Something else holds 2222 on both families: sshd cannot bind it.
    const r = await moving(`python3 -c 'import socket, time
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.bind(("::", 2222)); s.listen(); time.sleep(120)' &
sleep 0.5`);
    expect(r.ok, r.output).toBe(true);
    const after = r.output.split('== after')[1]!;
    expect(r.output).toContain('HARDEN_FAILED');
    expect(after).toContain('SSHD_PORTS 22');
    expect(after).toMatch(/^22\/tcp ALLOW 198\.51\.100\.0\/24 # cocca-ssh-transition$/m);
    expect(after).toContain('sshd did not listen on port 2222 within 30 s; its previous configuration is back on port(s) 22');
  });
});
