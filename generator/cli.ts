#!/usr/bin/env node
// cocca-bake: operator profiles in, validated cloud-init user-data and Packer HCL out.
// Exit codes: 0 success, 1 invalid input or failed work, 2 usage error.
import { readFileSync, statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { InstanceInputError, instanceValueProblem, missingSecrets, userData, type InstanceInput, type UserDataMode } from './emit/cloud-init.js';
import { INSTANCE_VALUES, instanceValue } from './instance/contract.js';
import { gzip, RenderError, renderOutputs } from './emit/output.js';
import { detectFlavor, explicitFlavor, PackerVersionError, type FlavorChoice } from './commands/packer-flavor.js';
import { writeOutputs } from './emit/write.js';
import { checkProfile, type CompileResult } from './check/index.js';
import { fails, reportFindings, summary, type Format } from './commands/report.js';
import { plan } from './components/index.js';
import type { FrozenPackages } from './components/model.js';
import { frozenPackagesFor, lockPackages, LockPackagesError, packagesFromRecord } from './lock/packages.js';
import type { Target } from './commands/build/index.js';
import { COCCA_BAKE_VERSION } from './version.js';

// The AWS SDK warns on every call under Node.js 20 about its future support window; an
// operator can do nothing about it mid-build.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

class Failure extends Error {}
class UsageError extends Error {}

/** Reads a file the user named; a problem is theirs to fix, not a crash. */
function readUserFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Failure(`cannot read ${file}: ${e.code === 'EISDIR' ? 'it is a directory' : e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

/** Checks and reports every profile; the caller decides what an invalid one means. */
function checkEach(files: string[], format: Format, strict: boolean, root?: string): CompileResult[] {
  if (root !== undefined && !statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--root ${root}: not a directory`);
  const results = files.map((f) => checkProfile(f, { root }));
  reportFindings(results, format);
  if (format === 'text') process.stderr.write(`${summary(results, strict)}\n`);
  return results;
}

function check(files: string[], format: Format, strict: boolean, root?: string): CompileResult[] {
  const results = checkEach(files, format, strict, root);
  if (fails(results, strict)) throw new Failure('');
  return results;
}

/**
 * COCCA_NAME=value lines (an env file), for values and secrets that go only to one instance's
 * user-data; read as first boot reads instance.env (CRLF as LF, a name once).
 * Returns the values by contract name (without COCCA_).
 */
function readSecrets(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  readUserFile(file)
    .toString('utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      // Never echo the line: it holds a secret.
      if (!m) return problems.push(`${file}:${i + 1}: expected COCCA_NAME=value`);
      const why = instanceValueProblem(m[1]!, m[2]!);
      const name = m[1]!.slice('COCCA_'.length);
      if (why) problems.push(`${file}:${i + 1}: ${m[1]} ${why}`);
      else if (name in out) problems.push(`${file}:${i + 1}: ${m[1]} is given twice`);
      out[name] = m[2]!;
    });
  if (problems.length > 0) throw new Failure(problems.join('\ncocca-bake: '));
  return out;
}

/** The user-data options that hand in one instance's values: one per contract value with a flag. */
const FLAGS = INSTANCE_VALUES.flatMap((value) => {
  const input = value.input;
  if (!input || !('flag' in input)) return [];
  return [{ value, input, key: input.flag.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()) }];
});
/** Secrets the operator must hand in themselves, for the --secrets help. */
const SECRETS_LINES = INSTANCE_VALUES.filter((v) => v.input && 'secretsLine' in v.input && v.needed);

const FROZEN_HELP = "install exactly the apt package versions the profile's lock file (cocca-bake.lock.json beside it) recorded from an earlier build (see lock --packages-from); fails before installing anything when the mirror no longer has one";

/** The lock's packages for a frozen render or build; its mistakes are the user's. */
function frozenFor(profile: NonNullable<CompileResult['profile']>): FrozenPackages {
  try {
    return frozenPackagesFor(profile);
  } catch (err) {
    throw err instanceof LockPackagesError ? new Failure(err.message) : err;
  }
}

const program = new Command()
  .name('cocca-bake')
  .description('Compile CoCCA registry profiles into cloud-init user-data and Packer HCL')
  .version(COCCA_BAKE_VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const formatOption = new Option('--format <format>', 'findings as text (stderr) or json (stdout)').choices(['text', 'json']).default('text');
/** Every command that loads a profile takes it: the only directory its files may be read from. */
const rootOption = () => new Option('--root <dir>', 'the profile repository: files a profile names must be inside it (default: the nearest directory above the profile holding profiles/profile.schema.json or .git, else the profile\'s own directory)');

program
  .command('validate')
  .description('check profiles; exit 0 when all are valid, 1 when any is not')
  .argument('<file...>', 'profile files')
  .option('--strict', 'treat warnings as errors')
  .addOption(formatOption)
  .addOption(rootOption())
  .action((files: string[], opts: { strict?: boolean; format: Format; root?: string }) => {
    check(files, opts.format, Boolean(opts.strict), opts.root);
  });

program
  .command('render')
  .description('write cloud-init user-data, Packer HCL and a manifest for one profile')
  .argument('<file>', 'profile file')
  .requiredOption('--out <dir>', 'output directory: created, or replaced whole when it holds only an earlier render of cocca-bake')
  .option('--packer-version <version>', 'the Packer that will run the HCL: auto (the Packer build would run: COCCA_PACKER, else packer on the PATH; modern HCL when there is none), or a version: 1.6.x gets the legacy flavor', 'auto')
  .option('--strict', 'treat warnings as errors')
  .option('--force', 'replace --out whatever it holds (its other files are deleted)')
  .option('--frozen', FROZEN_HELP)
  .addOption(formatOption)
  .addOption(rootOption())
  .action(async (file: string, opts: { out: string; packerVersion: string; strict?: boolean; force?: boolean; frozen?: boolean; format: Format; root?: string }) => {
    let explicit;
    try {
      explicit = explicitFlavor(opts.packerVersion);
    } catch (err) {
      throw err instanceof PackerVersionError ? new UsageError(err.message) : err;
    }
    // `packer version` runs while the profile is checked.
    const detecting = explicit ? undefined : detectFlavor();
    const [result] = check([file], opts.format, Boolean(opts.strict), opts.root);
    const choice: FlavorChoice = detecting ? await detecting : { flavor: explicit! };
    const { profile, os } = result!;
    const frozen = opts.frozen ? frozenFor(profile!) : undefined;
    const { files, notes } = renderOutputs(profile!, os!, plan(profile!, os!, { frozen }), { packerFlavor: choice.flavor });
    writeOutputs(opts.out, files, { force: opts.force });
    for (const n of [...(choice.note ? [choice.note] : []), ...notes]) process.stderr.write(`note: ${n}\n`);
    process.stderr.write(`wrote ${files.length} files to ${opts.out}\n`);
  });

const userDataCommand = program
  .command('user-data')
  .description('print one user-data to stdout, for pasting into a cloud console')
  .argument('<file>', 'profile file')
  .addOption(new Option('--mode <mode>', 'full install, or first boot of the golden image').choices(['full', 'firstboot']).makeOptionMandatory());
for (const { value, input } of FLAGS) {
  const sources = value.from.filter((f) => f !== 'handed-in').join(', then ');
  userDataCommand.option(`${input.flag} <${'file' in input ? 'file' : input.arg}>`, 'file' in input ? `${input.file}: ${value.what.replace(/, base64$/, '')}` : `${value.what} (default: ${sources})`);
}
userDataCommand
  .option('--secrets <file>', `COCCA_NAME=value lines for this instance only (e.g. ${SECRETS_LINES.map((v) => `COCCA_${v.name}`).join(', ')}); values too`)
  .option('--gzip', 'gzip the output (cloud-init reads it; EC2 counts the compressed size)')
  .addOption(rootOption())
  .action((file: string, opts: Record<string, string | boolean | undefined> & { mode: UserDataMode; secrets?: string; gzip?: boolean; root?: string }) => {
    const [result] = check([file], 'text', false, opts.root);
    const { profile, os } = result!;
    const values: Record<string, string> = opts.secrets ? readSecrets(opts.secrets) : {};
    const files: InstanceInput['files'] = {};
    for (const { value, input, key } of FLAGS) {
      const v = opts[key];
      if (typeof v !== 'string') continue;
      if ('file' in input) {
        files[value.name] = readUserFile(v);
        continue;
      }
      const why = instanceValueProblem(`COCCA_${value.name}`, v);
      if (why) throw new Failure(`${input.flag} ${JSON.stringify(v)} ${why}`);
      values[value.name] = v;
    }
    const input: InstanceInput = { values, files };
    const missing = missingSecrets(profile!, input);
    if (missing.length > 0) {
      throw new Failure(
        missing
          .map((m) => {
            const how = instanceValue(m.name)!.input;
            const give = how && 'file' in how ? `${how.file} (${how.flag} FILE)` : `COCCA_${m.name} (--secrets FILE, a line COCCA_${m.name}=...)`;
            return `first boot needs ${give}: ${m.why}; nothing provides it (secrets.source: user-data)`;
          })
          .join('\ncocca-bake: ') + "\ncocca-bake: or let first boot read it from a secrets store: secrets.source aws-ssm or aws-secretsmanager in the profile",
      );
    }
    const text = Buffer.from(userData(profile!, plan(profile!, os!), opts.mode, input), 'utf8');
    process.stdout.write(opts.gzip ? gzip(text) : text);
  });

program
  .command('build')
  .description('build golden images with Packer: render, packer init/validate/build, then finish the image (AWS: share, tag, copy, retire old images)')
  .argument('[file...]', 'profile files (several build concurrently); with --resume, the profile (default: the one the record names)')
  .addOption(new Option('--target <target>', 'which targets.* to build (default: aws when set, else qemu)').choices(['aws', 'qemu']))
  .option('--build-dir <dir>', 'where build folders and records go', 'builds')
  .option('--parallel <n>', 'profiles built at the same time', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--parallel takes a whole number from 1, not ${JSON.stringify(v)}`);
    return n;
  }, 2)
  .option('--json', 'progress and results as JSON lines on stdout')
  .option('--resume <record>', "finish the AMI of an earlier build from its first stage not done (share, tags, copies, retention), without baking again: the path of its build-record.json")
  .option('--dry-run', 'render and packer validate only, no bake; AWS: print which images and snapshots retention would delete now, deleting nothing')
  .option('--no-prune', 'AWS: skip retention after the build (recorded as skipped)')
  .option('--frozen', FROZEN_HELP)
  .addOption(rootOption())
  .addHelpText(
    'after',
    `
Retention (AWS): after a successful build, cocca-bake keeps the targets.aws.keep newest images of
the profile (default 3) in the build region and in every copyTo region, and deregisters older
ones and deletes their snapshots; never an image just built, still pending, or used by an
instance or a launch template. --dry-run shows what it would delete; --no-prune skips it;
"cocca-bake images PROFILE --prune [--dry-run]" applies it on its own.

Each build writes builds/PROFILE/STAMP-TARGET/build-record.json as every stage starts and ends
(bake, share, tags, copies, retention); --resume RECORD goes on from the first stage not done.`,
  )
  .action(async (files: string[], opts: { target?: Target; buildDir: string; parallel: number; json?: boolean; root?: string; resume?: string; dryRun?: boolean; prune: boolean; frozen?: boolean }) => {
    if (opts.resume !== undefined && opts.frozen) throw new UsageError('--frozen is for a new bake; --resume bakes nothing');
    if (opts.resume !== undefined) return resumeAction(files, opts);
    if (files.length === 0) throw new UsageError('build needs at least one profile file (or --resume RECORD)');
    // Each profile builds or fails on its own: an invalid one (its findings printed above) is a
    // failed line of the summary, and the valid ones still build.
    const checked = checkEach(files, 'text', false, opts.root).map((r, i) => ({ file: files[i]!, r }));
    const valid = checked.filter(({ r }) => !fails([r], false));
    const rejected = checked
      .filter(({ r }) => fails([r], false))
      .map(({ file, r }) => {
        const n = r.findings.filter((f) => f.severity === 'error').length;
        return { profile: file, result: 'failed' as const, reason: `invalid profile (${n} error${n === 1 ? '' : 's'} above)` };
      });
    if (valid.length === 0) throw new Failure('');
    // Every profile's lock is read before any build starts: a missing one is a mistake to fix first.
    const frozen = opts.frozen ? valid.map(({ r }) => frozenFor(r.profile!)) : undefined;
    // Loaded on demand: the AWS SDK alone takes longer to load than a whole render.
    const { runBuildCommand } = await import('./commands/build/command.js');
    const publisher = opts.target === 'qemu' || valid.every(({ r }) => !r.profile!.targets.aws) ? undefined : (await import('./commands/build/aws.js')).awsPublisher();
    const code = await runBuildCommand(
      valid.map(({ file, r }, i) => ({ file, profile: r.profile!, os: r.os!, frozen: frozen?.[i] })),
      { target: opts.target, buildDir: opts.buildDir, parallel: opts.parallel, json: opts.json, aws: publisher, dryRun: opts.dryRun, prune: opts.prune, rejected },
    );
    // Messages are printed already. After SIGINT/SIGTERM/SIGHUP (130/143/129), exit now: an AMI's finishing
    // (copies) may still have AWS calls in flight, which would otherwise keep the process alive.
    if (code === 130 || code === 143 || code === 129) process.exit(code);
    process.exitCode = code;
  });

/** `build --resume RECORD [PROFILE]`: the finishing stages of an earlier AWS build, no bake. */
async function resumeAction(files: string[], opts: { target?: Target; json?: boolean; root?: string; resume?: string; dryRun?: boolean; prune: boolean }): Promise<void> {
  if (files.length > 1) throw new UsageError('--resume takes one build record and at most one profile file');
  if (opts.dryRun) throw new UsageError('--dry-run previews a new build; it does not go with --resume');
  if (opts.target === 'qemu') throw new UsageError('--resume finishes an AWS build; a qemu build has nothing after the bake');
  const { readRecord, resumeBuild, resumeProblem, ResumeError } = await import('./commands/build/resume.js');
  try {
    const record = readRecord(opts.resume!);
    const [result] = check([files[0] ?? record.profileFile], 'text', false, opts.root);
    const problem = resumeProblem(opts.resume!, record, result!.profile!);
    if (problem) throw new Failure(problem);
    const { formatProgress } = await import('./commands/build/report.js');
    const { awsPublisher } = await import('./commands/build/aws.js');
    const done = await resumeBuild(opts.resume!, record, result!.profile!, {
      aws: awsPublisher(),
      prune: opts.prune,
      onProgress: opts.json ? (e) => process.stdout.write(`${JSON.stringify(e)}\n`) : (e) => process.stderr.write(formatProgress(e)),
    });
    if (done.result !== 'ok') throw new Failure('the resumed build failed');
  } catch (err) {
    throw err instanceof ResumeError ? new Failure(err.message) : err;
  }
}

program
  .command('publish')
  .description('finish an AMI that was baked but never finished: share, tag, copy and retention, as build does after Packer (a new build record)')
  .argument('<file>', 'profile file')
  .argument('<ami-id>', "the AMI, in the profile's targets.aws.region, tagged cocca-bake:profile with the profile's name")
  .option('--build-dir <dir>', 'where the build record goes', 'builds')
  .option('--json', 'progress and results as JSON lines on stdout')
  .option('--no-prune', 'skip retention (recorded as skipped)')
  .addOption(rootOption())
  .action(async (file: string, imageId: string, opts: { buildDir: string; json?: boolean; prune: boolean; root?: string }) => {
    const { amiIdProblem, publishAmi, ResumeError } = await import('./commands/build/resume.js');
    const badId = amiIdProblem(imageId);
    if (badId) throw new Failure(badId);
    const [result] = check([file], 'text', false, opts.root);
    const profile = result!.profile!;
    if (!profile.targets.aws) throw new Failure(`${file} has no targets.aws: nothing to publish to`);
    const { formatProgress } = await import('./commands/build/report.js');
    const { inspectSourceImage, publisherWith } = await import('./commands/build/aws.js');
    const { ec2Factory } = await import('./aws/client.js');
    const factory = ec2Factory();
    try {
      const done = await publishAmi(profile, imageId, {
        buildRoot: opts.buildDir,
        aws: publisherWith(factory),
        prune: opts.prune,
        checkImage: (region, id) => inspectSourceImage(factory, profile.name, region, id),
        onProgress: opts.json ? (e) => process.stdout.write(`${JSON.stringify(e)}\n`) : (e) => process.stderr.write(formatProgress(e)),
      });
      if (done.result !== 'ok') throw new Failure(`publishing ${imageId} failed`);
    } catch (err) {
      throw err instanceof ResumeError ? new Failure(err.message) : err;
    }
  });

program
  .command('images')
  .description("list a profile's images in its build region and every copyTo region; --prune applies retention (targets.aws.keep); --package: which built images hold a package, from their SBOMs")
  .argument('[file]', 'profile file (with --package: only its images)')
  .option('--json', 'as JSON on stdout')
  .option('--package <name[=version]>', 'which images hold this apt package (at this version): read from the SBOMs beside the build records under --records')
  .option('--records <dir>', 'with --package: where build records are (build --build-dir)', 'builds')
  .option('--prune', 'apply retention now: keep the targets.aws.keep newest images per region (default 3), deregister older ones and delete their snapshots')
  .option('--dry-run', 'with --prune: print what would be deregistered and deleted, per region, and change nothing')
  .addOption(rootOption())
  .action(async (file: string | undefined, opts: { json?: boolean; root?: string; prune?: boolean; dryRun?: boolean; package?: string; records: string }) => {
    if (opts.package !== undefined) return packageAction(file, opts.package, opts);
    if (file === undefined) throw new UsageError('images needs a profile file (or --package NAME[=VERSION])');
    if (opts.dryRun && !opts.prune) throw new UsageError('--dry-run goes with --prune (images --prune --dry-run)');
    const [result] = check([file], 'text', false, opts.root);
    const aws = result!.profile!.targets.aws;
    if (!aws) throw new Failure(`${file} has no targets.aws`);
    if (opts.prune) return pruneAction(result!.profile!, Boolean(opts.dryRun), Boolean(opts.json));
    const { ec2Factory } = await import('./aws/client.js');
    const { formatImages, listImages, targetRegions } = await import('./aws/images.js');
    const listing = await listImages(ec2Factory(), targetRegions(aws), result!.profile!.name);
    process.stdout.write(opts.json ? `${JSON.stringify(listing, null, 2)}\n` : formatImages(result!.profile!.name, listing));
    if (listing.some((r) => !r.ok)) throw new Failure('some regions could not be listed');
  });

/** `lock PROFILE --packages-from RECORD`: a good build's package versions into the lock, for --frozen. */
function lockPackagesAction(files: string[], record: string, opts: { check?: boolean; update?: string[]; root?: string }): void {
  if (files.length !== 1) throw new UsageError('--packages-from records one build: give the one profile it was built from');
  if (opts.check || (opts.update ?? []).length > 0) throw new UsageError('--packages-from does not go with --check or --update');
  const [result] = check(files, 'text', false, opts.root);
  const profile = result!.profile!;
  try {
    const entry = packagesFromRecord(profile, record, new Date());
    const written = lockPackages(profile, entry);
    process.stderr.write(`wrote the ${Object.keys(entry.versions).length} package versions of ${profile.name} (${entry.os}) to ${written}\n`);
  } catch (err) {
    throw err instanceof LockPackagesError ? new Failure(err.message) : err;
  }
}

program
  .command('lock')
  .description("download each file the profiles use that nothing pins, over verified TLS, and record its SHA-256 and size in cocca-bake.lock.json beside the profiles (validate, render and build read it)")
  .argument('<file...>', 'profile files')
  .option('--check', 'download and compare with the lock, write nothing: exit 1 when an entry is missing or a file changed upstream')
  .option('--update <url>', 'accept a new SHA-256 for this URL (a file that changed upstream); repeatable', (v: string, prev: string[] = []) => [...prev, v])
  .option('--packages-from <record>', "instead of downloads: record this finished build's exact apt package versions (its image-packages.tsv and sbom.cdx.json beside the record) as the profile's packages entry, for build --frozen")
  .addOption(rootOption())
  .action(async (files: string[], opts: { check?: boolean; update?: string[]; packagesFrom?: string; root?: string }) => {
    if (opts.packagesFrom !== undefined) return lockPackagesAction(files, opts.packagesFrom, opts);
    const update = opts.update ?? [];
    if (opts.check && update.length > 0) throw new UsageError('--check writes nothing, so --update does not go with it');
    if (opts.root !== undefined && !statSync(opts.root, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--root ${opts.root}: not a directory`);
    // The unpinned warnings are what lock is for: only a profile that cannot be used is reported.
    const results = files.map((f) => checkProfile(f, { root: opts.root }));
    const bad = results.filter((r) => fails([r], false));
    if (bad.length > 0) {
      reportFindings(bad, 'text');
      throw new Failure(`${bad.map((r) => r.file).join(', ')}: not a valid profile, nothing locked`);
    }
    const { LockFailure, LockUsageError, runLock } = await import('./commands/lock/index.js');
    try {
      await runLock(results, { check: Boolean(opts.check), update, root: opts.root, log: (line) => process.stderr.write(`${line}\n`) });
    } catch (err) {
      if (err instanceof LockUsageError) throw new UsageError(err.message);
      throw err instanceof LockFailure ? new Failure(err.message) : err;
    }
  });

program
  .command('report')
  .description('write report.html (one self-contained page) and report.txt from a build record')
  .argument('<record>', 'a build-record.json')
  .option('--out <dir>', 'where the two files go (default: beside the record)')
  .action(async (record: string, opts: { out?: string }) => {
    const { RecordInputError, writeBuildReport } = await import('./build-report/index.js');
    try {
      const written = writeBuildReport(record, opts.out);
      process.stderr.write(`wrote ${written.html} (${written.htmlBytes} bytes) and ${written.text}\n`);
    } catch (err) {
      if (err instanceof RecordInputError) throw new Failure(err.message);
      throw err;
    }
  });

/** `images --package NAME[=VERSION] [PROFILE]`: the built images whose SBOM lists the package. */
async function packageAction(file: string | undefined, arg: string, opts: { json?: boolean; root?: string; prune?: boolean; records: string }): Promise<void> {
  if (opts.prune) throw new UsageError('--package lists; it does not go with --prune');
  const { formatPackageSearch, parsePackageQuery, searchPackage } = await import('./commands/images-packages.js');
  const q = parsePackageQuery(arg);
  if (typeof q === 'string') throw new UsageError(q);
  if (!statSync(opts.records, { throwIfNoEntry: false })?.isDirectory()) throw new Failure(`--records ${opts.records}: no such directory (where build --build-dir put the build records)`);
  const profile = file === undefined ? undefined : check([file], 'text', false, opts.root)[0]!.profile!.name;
  const found = searchPackage(opts.records, q, profile);
  for (const u of found.unknown) process.stderr.write(`warning: ${u}\n`);
  process.stdout.write(opts.json ? `${JSON.stringify(found.hits, null, 2)}\n` : formatPackageSearch(q, found));
}

program
  .command('bundle')
  .description('everything a bake needs, for a site without internet: a signed apt repository of every package the profiles install (with its dependencies), every download, and overlay profiles that point at them')
  .argument('<file...>', 'profile files (one OS)')
  .requiredOption('--out <dir>', 'the bundle directory: new or empty')
  .option('--at <url>', 'where the build machine will find the bundle: file:///path, or an http(s):// base it is served at', 'file:///srv/cocca-bundle')
  .option('--allow-unpinned', 'bundle downloads without a pinned SHA-256, recording the SHA-256 they have now')
  .addOption(rootOption())
  .action(async (files: string[], opts: { out: string; at: string; allowUnpinned?: boolean; root?: string }) => {
    const { atProblem, BundleError, makeBundle } = await import('./commands/bundle/index.js');
    const problem = atProblem(opts.at);
    if (problem) throw new UsageError(problem);
    const checked = check(files, 'text', false, opts.root);
    try {
      const done = await makeBundle(
        checked.map((r, i) => ({ file: files[i]!, profile: r.profile!, os: r.os! })),
        { out: opts.out, at: opts.at, allowUnpinned: Boolean(opts.allowUnpinned), root: opts.root, say: (l) => process.stderr.write(`${l}\n`) },
      );
      process.stderr.write(`wrote ${done.dir}: ${done.packages} packages, ${done.artifacts} downloads, ${(done.bytes / 1024 / 1024).toFixed(1)} MiB, key ${done.fingerprint}\n`);
    } catch (err) {
      throw err instanceof BundleError ? new Failure(err.message) : err;
    }
  });

/** `images --prune [--dry-run]`: retention on its own, in every region of the profile. */
async function pruneAction(profile: NonNullable<CompileResult['profile']>, dryRun: boolean, json: boolean): Promise<void> {
  const aws = profile.targets.aws!;
  const { ec2Factory } = await import('./aws/client.js');
  const { targetRegions } = await import('./aws/images.js');
  const { applyRetentionInRegions, formatRetention } = await import('./aws/retention.js');
  const reports = await applyRetentionInRegions(ec2Factory(), targetRegions(aws), { profileName: profile.name, keep: aws.keep, dryRun });
  if (json) process.stdout.write(`${JSON.stringify({ dryRun, keep: aws.keep, regions: reports }, null, 2)}\n`);
  else process.stdout.write(`${dryRun ? 'dry run, nothing deleted: ' : ''}keeping the ${aws.keep} newest images of ${profile.name} per region\n${formatRetention(reports)}`);
  if (reports.some((r) => !r.ok)) throw new Failure(dryRun ? 'the retention preview failed in some regions' : 'retention failed in some regions');
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`cocca-bake: ${err.message}\n`);
    process.exitCode = 2;
  } else if (err instanceof CommanderError) {
    // --help and --version end here too, with code 0.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof Failure || err instanceof RenderError || err instanceof InstanceInputError) {
    if (err.message) process.stderr.write(`cocca-bake: ${err.message}\n`);
    process.exitCode = 1;
  } else if ((err as NodeJS.ErrnoException).code && (err as NodeJS.ErrnoException).path) {
    // A file the user named could not be read or written.
    process.stderr.write(`cocca-bake: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`cocca-bake: internal error (please report): ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70;
  }
}
