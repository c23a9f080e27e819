#!/usr/bin/env node
// cocca-bake: operator profiles in, validated cloud-init user-data and Packer HCL out.
// Exit codes: 0 success, 1 invalid input or failed work, 2 usage error.
import { readFileSync, statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { InstanceInputError, instanceValueProblem, missingSecrets, userData, type InstanceInput, type UserDataMode } from './emit/cloud-init.js';
import { INSTANCE_VALUES } from './instance/contract.js';
import { gzip, RenderError, renderOutputs } from './emit/output.js';
import { flavorFor } from './emit/packer.js';
import { writeOutputs } from './emit/write.js';
import { checkProfile, type CompileResult } from './profile/index.js';
import { fails, reportFindings, summary, type Format } from './commands/report.js';
import { plan } from './components/index.js';
import type { Target } from './build/index.js';
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

function check(files: string[], format: Format, strict: boolean, root?: string): CompileResult[] {
  if (root !== undefined && !statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--root ${root}: not a directory`);
  const results = files.map((f) => checkProfile(f, { root }));
  reportFindings(results, format);
  if (format === 'text') process.stderr.write(`${summary(results, strict)}\n`);
  if (fails(results, strict)) throw new Failure('');
  return results;
}

/**
 * COCCA_NAME=value lines (an env file), for values and secrets that go only to one instance's
 * user-data; read as first boot reads /etc/cocca/instance.env (CRLF as LF, a name once).
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
const VALUE_FLAGS = INSTANCE_VALUES.filter((v) => v.flag).map((v) => ({ value: v, key: v.flag!.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()) }));

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
  .option('--packer-version <version>', 'the Packer that will run the HCL: 1.6.x gets the legacy flavor', '1.10.0')
  .option('--strict', 'treat warnings as errors')
  .option('--force', 'replace --out whatever it holds (its other files are deleted)')
  .addOption(formatOption)
  .addOption(rootOption())
  .action((file: string, opts: { out: string; packerVersion: string; strict?: boolean; force?: boolean; format: Format; root?: string }) => {
    let packerFlavor;
    try {
      packerFlavor = flavorFor(opts.packerVersion);
    } catch (err) {
      throw new UsageError(`--packer-version: ${(err as Error).message}`);
    }
    const [result] = check([file], opts.format, Boolean(opts.strict), opts.root);
    const { files, notes } = renderOutputs(result!.profile!, result!.os!, { packerFlavor });
    writeOutputs(opts.out, files, { force: opts.force });
    for (const n of notes) process.stderr.write(`note: ${n}\n`);
    process.stderr.write(`wrote ${files.length} files to ${opts.out}\n`);
  });

const userDataCommand = program
  .command('user-data')
  .description('print one user-data to stdout, for pasting into a cloud console')
  .argument('<file>', 'profile file')
  .addOption(new Option('--mode <mode>', 'full install, or first boot of the golden image').choices(['full', 'firstboot']).makeOptionMandatory());
for (const { value } of VALUE_FLAGS) {
  userDataCommand.option(`${value.flag} <${value.syntax === 'fqdn' ? 'name' : 'address'}>`, `${value.what} (default: ${value.from.filter((f) => f !== 'handed-in').join(', then ')})`);
}
userDataCommand
  .option('--secrets <file>', "COCCA_NAME=value lines for this instance only (e.g. COCCA_SOURCE_KEYSTORE_PASSWORD); values too")
  .option('--keystore <file>', 'the JKS keystore for tls.mode custom')
  .option('--gzip', 'gzip the output (cloud-init reads it; EC2 counts the compressed size)')
  .addOption(rootOption())
  .action((file: string, opts: Record<string, string | boolean | undefined> & { mode: UserDataMode; secrets?: string; keystore?: string; gzip?: boolean; root?: string }) => {
    const [result] = check([file], 'text', false, opts.root);
    const { profile, os } = result!;
    const values: Record<string, string> = opts.secrets ? readSecrets(opts.secrets) : {};
    for (const { value, key } of VALUE_FLAGS) {
      const v = opts[key];
      if (typeof v !== 'string') continue;
      const why = instanceValueProblem(`COCCA_${value.name}`, v);
      if (why) throw new Failure(`${value.flag} ${JSON.stringify(v)} ${why}`);
      values[value.name] = v;
    }
    const input: InstanceInput = { values, keystore: opts.keystore ? readUserFile(opts.keystore) : undefined };
    const missing = missingSecrets(profile!, input);
    if (missing.length > 0) {
      throw new Failure(
        missing
          .map((m) => `first boot needs ${m.name === 'KEYSTORE_JKS' ? 'the keystore (--keystore FILE)' : `COCCA_${m.name} (--secrets FILE, a line COCCA_${m.name}=...)`}: ${m.why}; nothing provides it (secrets.source: user-data)`)
          .join('\ncocca-bake: ') + "\ncocca-bake: or let first boot read it from a secrets store: secrets.source aws-ssm or aws-secretsmanager in the profile",
      );
    }
    const text = Buffer.from(userData(profile!, plan(profile!, os!), opts.mode, input), 'utf8');
    process.stdout.write(opts.gzip ? gzip(text) : text);
  });

program
  .command('build')
  .description('build golden images with Packer: render, packer init/validate/build, then finish the image')
  .argument('<file...>', 'profile files (several build concurrently)')
  .addOption(new Option('--target <target>', 'which targets.* to build (default: aws when set, else qemu)').choices(['aws', 'qemu']))
  .option('--build-dir <dir>', 'where build folders and records go', 'builds')
  .option('--parallel <n>', 'profiles built at the same time', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--parallel takes a whole number from 1, not ${JSON.stringify(v)}`);
    return n;
  }, 2)
  .option('--json', 'progress and results as JSON lines on stdout')
  .addOption(rootOption())
  .action(async (files: string[], opts: { target?: Target; buildDir: string; parallel: number; json?: boolean; root?: string }) => {
    const results = check(files, 'text', false, opts.root);
    // Loaded on demand: the AWS SDK alone takes longer to load than a whole render.
    const { buildMany, buildProfile } = await import('./build/index.js');
    const { formatProgress } = await import('./build/report.js');
    const publisher = opts.target === 'qemu' || results.every((r) => !r.profile!.targets.aws) ? undefined : (await import('./build/aws.js')).awsPublisher();
    const records = await buildMany(results, opts.parallel, (r) =>
      buildProfile(r.profile!, r.os!, {
        target: opts.target,
        buildRoot: opts.buildDir,
        aws: publisher,
        onProgress: opts.json ? (e) => process.stdout.write(`${JSON.stringify(e)}\n`) : (e) => process.stderr.write(formatProgress(e)),
      }),
    );
    if (records.some((r) => r.result !== 'ok')) throw new Failure(`${records.filter((r) => r.result !== 'ok').length} of ${records.length} builds failed`);
  });

program
  .command('images')
  .description("list a profile's images in its build region and every copyTo region")
  .argument('<file>', 'profile file')
  .option('--json', 'as JSON on stdout')
  .addOption(rootOption())
  .action(async (file: string, opts: { json?: boolean; root?: string }) => {
    const [result] = check([file], 'text', false, opts.root);
    const aws = result!.profile!.targets.aws;
    if (!aws) throw new Failure(`${file} has no targets.aws`);
    const { ec2Factory } = await import('./aws/client.js');
    const { formatImages, listImages, targetRegions } = await import('./aws/images.js');
    const listing = await listImages(ec2Factory(), targetRegions(aws), result!.profile!.name);
    process.stdout.write(opts.json ? `${JSON.stringify(listing, null, 2)}\n` : formatImages(result!.profile!.name, listing));
    if (listing.some((r) => !r.ok)) throw new Failure('some regions could not be listed');
  });

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
