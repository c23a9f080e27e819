// The firewall and sshd steps run for real in the sandbox (its own network namespace, so
// the host's netfilter is never touched): exactly the profile's ufw rules, enabled; the sshd
// drop-in applied after `sshd -t`, and rolled back when sshd refuses it.
import { execa } from 'execa';
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
targets: {qemu: {baseImage: {url: "file:///dev/null", sha256: "${'0'.repeat(64)}"}}}
${extra}`,
  );

describe.skipIf(!canRun)('firewall and sshd steps (sandboxed)', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-host-steps-'));
    await execa('npm', ['run', '-s', 'build']);
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
bash -euo pipefail /usr/local/lib/cocca/steps/boot/*-firewall.enable.sh >/dev/null
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

  it('applies the sshd drop-in after sshd -t, first value wins, and rolls back a refused one', async () => {
    const rootfs = await render(`firewall: {trusted: [198.51.100.0/24]}
ssh: {port: 2222, allowUsers: [ubuntu, ops], loginUser: ubuntu, listenAddress: private}`);
    const r = await runSandboxed(
      rootfs,
      `install -d -m 0700 /etc/cocca
printf 'PRIVATE_IPV4=127.0.0.1\\n' >/etc/cocca/values.env
# Another drop-in later in order (like cloud-init's) must not win over ours.
printf 'PasswordAuthentication yes\\nPort 22\\n' >/etc/ssh/sshd_config.d/50-cloud-init.conf
step=$(ls /usr/local/lib/cocca/steps/boot/*-sshd.harden.sh)
bash -euo pipefail "$step"
sshd -T -C user=ubuntu,host=h,addr=127.0.0.1 | grep -E '^(port|passwordauthentication|permitrootlogin|clientalivecountmax|allowusers|listenaddress|maxauthtries) '
cp /etc/ssh/sshd_config.d/00-cocca.conf /tmp/good.conf
echo "== broken"
echo 'BogusOption yes' >>/usr/local/lib/cocca/sshd-hardening.conf
if bash -euo pipefail "$step"; then echo "BROKEN_ACCEPTED"; fi
cmp /tmp/good.conf /etc/ssh/sshd_config.d/00-cocca.conf && echo ROLLED_BACK
`,
    );
    expect(r.output).not.toContain('BROKEN_ACCEPTED');
    expect(r.output).toContain('ROLLED_BACK');
    expect(r.output).toContain('sshd -t refused');
    const effective = r.output.split('== broken')[0]!;
    expect(effective).toMatch(/^port 2222$/m);
    expect(effective).toMatch(/^passwordauthentication no$/m);
    expect(effective).toMatch(/^permitrootlogin no$/m);
    expect(effective).toMatch(/^clientalivecountmax 2$/m);
    expect(effective).toMatch(/^maxauthtries 3$/m);
    expect(effective).toMatch(/^allowusers ubuntu$/m);
    expect(effective).toMatch(/^allowusers ops$/m);
    expect(effective).toMatch(/^listenaddress 127\.0\.0\.1:2222$/m);
  });
});
