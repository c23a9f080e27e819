// The profile as the rest of the pipeline sees it: schema-checked, defaults applied,
// artifacts resolved from the catalog. Shape mirrors profiles/profile.schema.json.
import type { OsName } from '../os/index.js';

/** The OS registry's names (generator/os/index.ts). */
export type { OsName };
export type Role = 'registry' | 'whois-dr';

export interface Artifact {
  url: string;
  sha256: string; // 64 hex chars, or 'unpinned'
}

export interface AwsTarget {
  region: string;
  instanceType: string;
  volumeSizeGiB: number;
  volumeType: 'gp3' | 'gp2' | 'io1' | 'io2';
  copyTo: string[];
  shareWith: string[];
  public: boolean;
  keep: number;
  kmsKeyId?: string;
  copyKmsKeyIds?: Record<string, string>;
  network?: AwsNetwork;
}

/** EC2 Describe filters, as Packer's subnet_filter / vpc_filter / security_group_filter take them. */
export interface AwsFilter {
  filters: Record<string, string>;
}

/** How Packer reaches the build instance (Packer's ssh_interface). */
export type AwsConnect = 'public-ip' | 'private-ip' | 'session-manager';

/** Where the build instance runs and who may reach it (targets.aws.network). */
export interface AwsNetwork {
  subnetId?: string;
  subnetFilter?: AwsFilter & { mostFree?: boolean; random?: boolean };
  vpcId?: string;
  vpcFilter?: AwsFilter;
  securityGroupIds?: string[];
  securityGroupFilter?: AwsFilter;
  associatePublicIp?: boolean;
  /** Absent: public-ip. */
  connect?: AwsConnect;
  instanceProfile?: string;
  sshSourceCidrs?: string[];
  sshSourceMyIp?: boolean;
}

export interface QemuTarget {
  diskSizeGiB: number;
  memoryMiB: number;
  cpus: number;
  accelerator: 'kvm' | 'tcg';
  baseImage: Artifact;
  qemuArgs: string[][];
}

export interface Profile {
  apiVersion: 'cocca-bake/v1';
  name: string;
  description?: string;
  role: Role;
  os: OsName;
  host: { fqdn: string };
  time: { timezone: 'UTC'; ntp: boolean };
  updates: { unattendedSecurity: boolean };
  apt: { sources?: string[]; keys?: Record<string, string> };
  firewall: { trusted: string[]; publicPorts: number[]; trustedPorts: number[] };
  ssh: {
    port: number;
    /** One login user for every target; by default each target's image user (OsModule.users). */
    loginUser?: string;
    allowUsers: string[];
    authorizedKeys: string[];
    listenAddress: 'any' | 'private';
    loginGraceTime: number;
    maxAuthTries: number;
    maxStartups: number;
    clientAliveInterval: number;
    clientAliveCountMax: number;
    permitRootLogin: 'no' | 'prohibit-password';
    passwordAuthentication: false;
    allowTcpForwarding: boolean;
    x11Forwarding: boolean;
  };
  fail2ban: { maxRetry: number; findTime: string; banTime: string };
  postgres: {
    version: number;
    source: 'pgdg' | 'apt';
    database: string;
    authMethod: 'md5' | 'scram-sha-256';
    tune: { dbType: 'web' | 'oltp' | 'mixed' | 'dw' | 'desktop'; storage: 'ssd' | 'hdd' | 'san'; connections?: number };
    backup?: Artifact;
  };
  openssl: { enabled: boolean; version: string; runTests: boolean; divertSystemBinary: boolean };
  java: { source: 'tarball' | 'apt'; version: string; home?: string; package?: string };
  resin: {
    version: string;
    runAs: 'resin' | 'root';
    template?: string;
    jvmArgs: string;
    heap: { percent: number; mib?: number };
    pool: { maxConnections?: number };
    logs: { keepDays: number; maxMiB: number };
  };
  tls: { mode: 'lab' | 'letsencrypt' | 'custom'; email?: string; staging: boolean };
  /** Optional in a file; a rule refuses a profile without it (first boot always needs one). */
  secrets?: Secrets;
  jdbc: { version: string };
  artifacts: Partial<Record<ArtifactName, Artifact>>;
  targets: { aws?: AwsTarget; qemu?: QemuTarget };
}

export type SecretsSource = 'user-data' | 'aws-ssm' | 'aws-secretsmanager';

export interface Secrets {
  source: SecretsSource;
  parameterPath?: string;
  secretId?: string;
  region?: string;
}

export type ArtifactName = 'openssl' | 'jdk' | 'resin' | 'war' | 'keystore' | 'jdbc';

/** A profile with every download resolved: what the stack modules consume. */
export interface ResolvedProfile extends Profile {
  secrets: Secrets;
  /** Absolute path of the profile file, for operator files such as resin.template. */
  sourceFile: string;
  /** Artifacts the stack will download, after catalog lookup. */
  downloads: Record<ArtifactName, Artifact> & { jdkHome: string };
  /** The operator's resin.xml template text, when resin.template is set. */
  resinTemplate?: string;
  /** SHA-256 of the merged profile, as canonical JSON. */
  digest: string;
}
