// What a stopped Packer may have left in the cloud, read from what it said (Packer 1.6.6 to
// 1.11's amazon-ebs messages): each temporary resource it named on creation, and whether its
// clean-up reported deleting it. Packer says "Deleting ..." before it deletes and only speaks
// again on failure, so a clean-up that started and a Packer that exited on its own mean gone.
type State = 'created' | 'cleaning' | 'cleanup-failed';

interface Resource {
  label: string;
  state: State;
}

const CREATED: Array<[RegExp, (m: RegExpExecArray) => [key: string, label: string]]> = [
  [/Creating temporary keypair: (\S+)/, (m) => ['keypair', `key pair ${m[1]}`]],
  [/Creating temporary security group for this instance: (\S+)/, (m) => ['sg', `security group ${m[1]}`]],
  [/Instance ID: (i-[0-9a-f]+)/, (m) => ['instance', `EC2 instance ${m[1]} (and its EBS volumes)`]],
  [/^\s*(?:==> )?[\w.-]+: AMI: (ami-[0-9a-f]+)/, (m) => ['ami', `AMI ${m[1]} (half-made, with its snapshots)`]],
];
const CLEANING: Array<[RegExp, string]> = [
  [/Deleting temporary keypair/, 'keypair'],
  [/Deleting temporary security group/, 'sg'],
  [/Terminating the source AWS instance/, 'instance'],
  [/Deregistering the AMI and deleting associated snapshots/, 'ami'],
];
const FAILED: Array<[RegExp, string]> = [
  [/Error cleaning up keypair/, 'keypair'],
  [/Error cleaning up security group/, 'sg'],
  [/Error terminating instance/, 'instance'],
  [/Error deregistering (?:the )?AMI|Error deleting snapshot/i, 'ami'],
];

export class ResourceTracker {
  private readonly resources = new Map<string, Resource>();

  /** Feed every human line of Packer's output. */
  see(line: string): void {
    for (const [re, name] of CREATED) {
      const m = re.exec(line);
      if (m) {
        const [key, label] = name(m);
        this.resources.set(key, { label, state: 'created' });
        return;
      }
    }
    // A finished build's AMI is its product, not something left behind.
    if (/^Build '[^']+' finished/.test(line)) this.resources.delete('ami');
    for (const [re, key] of CLEANING) if (re.test(line)) this.mark(key, 'cleaning');
    for (const [re, key] of FAILED) if (re.test(line)) this.mark(key, 'cleanup-failed');
  }

  private mark(key: string, state: State): void {
    const r = this.resources.get(key);
    if (r && r.state !== 'cleanup-failed') r.state = state;
  }

  /**
   * What may remain. `finished`: Packer exited on its own (its clean-up ran to the end);
   * false when it was killed, and then a clean-up that had only started proves nothing.
   */
  remaining(finished: boolean): string[] {
    return [...this.resources.values()].filter((r) => r.state === 'created' || r.state === 'cleanup-failed' || !finished).map((r) => r.label);
  }
}
