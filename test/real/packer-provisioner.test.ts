// The Packer build stops at the first command that fails. The rendered shell provisioners run
// through real Packer (Debian's 1.6.6) against a real sshd, both inside a network namespace of
// their own (`unshare -n`, loopback only): Packer's null builder and its ssh communicator, with
// the execute_command taken from the product's render, run an inline list whose second
// command fails. A control run with the old execute_command (no -e) shows the test can tell.
import { parse } from '@cdktf/hcl2json';
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleProfiles, outFile, renderInProcess } from '../helpers/outputs.js';
import { hasTool, isRoot } from './tools.js';

const canRun = isRoot() && (await hasTool('packer')) && (await hasTool('sshd')) && (await hasTool('sudo')) && (await hasTool('unshare'));
let work: string;

interface Provisioner {
  execute_command?: string;
  inline?: string[];
}

/** PACKER_DEFAULT where a shell provisioner sets none. */
const PACKER_DEFAULT = '(Packer default)';

/** Every shell provisioner's execute_command in a render's HCL (parsed by HashiCorp's HCL parser). */
async function executeCommands(hcl: string): Promise<string[]> {
  const json = (await parse('cocca.pkr.hcl', hcl)) as { build: Array<{ provisioner: { shell?: Provisioner[] } }> };
  return json.build.flatMap((b) => b.provisioner.shell ?? []).map((s) => s.execute_command ?? PACKER_DEFAULT);
}

/**
 * `packer build` of a null source over ssh to 127.0.0.1:2200 (a throwaway sshd, as root with a
 * throwaway key), one shell provisioner with `command` and `inline`. Exit status, Packer's
 * output, and whether the commands after the failing one ran (a marker file).
 */
async function build(command: string, marker: string): Promise<{ exitCode: number; output: string; ranOn: boolean }> {
  const dir = await fs.mkdtemp(path.join(work, 'build-'));
  const hcl = `source "null" "t" {
  communicator         = "ssh"
  ssh_host             = "127.0.0.1"
  ssh_port             = 2200
  ssh_username         = "root"
  ssh_private_key_file = "${dir}/id"
  ssh_timeout          = "1m"
}
build {
  sources = ["source.null.t"]
  provisioner "shell" {
    ${command === PACKER_DEFAULT ? '# Packer\'s own: chmod +x, then the script through its #!/bin/sh -e' : `execute_command = ${JSON.stringify(command)}`}
    inline          = ["echo step-one", "false", "touch ${marker}"]
  }
}
`;
  await fs.writeFile(path.join(dir, 't.pkr.hcl'), hcl);
  const script = `set -eu
cd ${dir}
ip link set lo up
ssh-keygen -q -t ed25519 -N '' -f id
ssh-keygen -q -t ed25519 -N '' -f hostkey
cp id.pub authorized_keys
mkdir -p /run/sshd
/usr/sbin/sshd -f /dev/null -p 2200 -o ListenAddress=127.0.0.1 -h ${dir}/hostkey -o AuthorizedKeysFile=${dir}/authorized_keys \\
  -o PermitRootLogin=prohibit-password -o StrictModes=no -o PidFile=${dir}/sshd.pid -o UsePAM=no
rc=0
CHECKPOINT_DISABLE=1 PACKER_CACHE_DIR=${dir}/cache TMPDIR=${dir} packer build -color=false . || rc=$?
kill "$(cat ${dir}/sshd.pid)"
exit "$rc"
`;
  const r = await execa('unshare', ['-n', 'bash', '-c', script], { reject: false, all: true, timeout: 180_000 });
  const ranOn = await fs.access(marker).then(() => true, () => false);
  return { exitCode: r.exitCode ?? -1, output: String(r.all), ranOn };
}

describe.skipIf(!canRun)('a failing command fails the Packer build (Packer 1.6.6, null builder, ssh)', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-packer-prov-'));
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it("stops at the first failing command with the render's execute_command, every provisioner of every profile", async () => {
    const commands = new Set<string>();
    for (const p of exampleProfiles()) {
      for (const flavor of ['modern', 'legacy'] as const) {
        for (const c of await executeCommands(outFile(renderInProcess(p, flavor), 'packer/cocca.pkr.hcl').toString('utf8'))) commands.add(c);
      }
    }
    // The first runs with Packer's default, the bake and the seal with the render's own.
    expect([...commands].sort()).toEqual([PACKER_DEFAULT, 'sudo -E bash -euo pipefail {{ .Path }}']);
    for (const [i, command] of [...commands].entries()) {
      const marker = path.join(work, `after-false-${i}`);
      const r = await build(command, marker);
      expect({ command, exitCode: r.exitCode }, r.output).toEqual({ command, exitCode: 1 });
      expect(r.output).toContain('step-one');
      expect(r.output).toMatch(/Script exited with non-zero exit status: 1/);
      expect({ command, ranOn: r.ranOn }).toEqual({ command, ranOn: false });
    }
  });

  it('control: without -e the same list passes and runs past the failure (what the render did before)', async () => {
    const marker = path.join(work, 'after-false-control');
    const r = await build('sudo -E bash {{ .Path }}', marker);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.ranOn).toBe(true);
  });
});
