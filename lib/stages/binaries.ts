import {
  type Container,
  type Directory,
  dag,
  type File,
  type Platform,
  ReturnType,
} from "@dagger.io/dagger";
import { archiveCommand, archiveEntries } from "../commands/archive.js";
import { compileCommand, rustupTargetCommand } from "../commands/cargo-build.js";
import { checkBinaryCommand } from "../commands/check-binary.js";
import { checksumCommand } from "../commands/checksums.js";
import { extractCommand } from "../commands/extract.js";
import { normalizeMachoUuidCommand } from "../commands/macho-uuid.js";
import { sbomCommand } from "../commands/sbom.js";
import type { TargetPlan } from "../plan/release-plan.js";
import { withBinaryManifests } from "./binary-manifests.js";
import { compileStep } from "./compile-cache.js";
import { explainFailure, settleAll } from "./exec-errors.js";
import { CARGO_AUDITABLE, IMAGES } from "./images.js";
import type { RunContext } from "./run-context.js";
import { withScripts } from "./scripts.js";
import { CARGO_TARGET_DIR, requireMacosSdk, SOURCE_DIR, toolchainContainer } from "./toolchain.js";

/** A built binary: the plan's entry for it and the checked file. */
export interface BuiltBinary {
  binary: TargetPlan["binaries"][number];
  file: File;
}

/** The release binaries of one target, each checked for format, architecture and glibc floor. */
export interface TargetBinaries {
  target: TargetPlan;
  binaries: BuiltBinary[];
}

const OUT = "/out";
const IN = "/in";

/** Runs cargo for one target; the binaries are copied out of the target-directory cache. */
function compile(ctx: RunContext, target: TargetPlan): Container {
  const container = withBinaryManifests(ctx, toolchainContainer(ctx, target), SOURCE_DIR).withExec(
    rustupTargetCommand(target, ctx.channel),
  );
  return compileStep(ctx, target, container, compileCommand(target, CARGO_TARGET_DIR, OUT));
}

/** What a failed compile is called in the error: the command the user would run to reproduce. */
function compileLabel(target: TargetPlan): string {
  return `${target.triple}: cargo ${target.toolchain === "zig" ? "zigbuild" : "xwin build"}`;
}

/** The pinned python image with the module's scripts: archives, checksums, checks. */
function toolsContainer(platform?: string): Container {
  return withScripts(
    dag.container(platform ? { platform: platform as Platform } : {}).from(IMAGES.python),
  );
}

/**
 * Verifies one target's binaries (macOS ones first get their deterministic UUID; a second pass
 * changes nothing). The returned files depend on the check, so nothing can export or publish a
 * binary of the wrong format, architecture or glibc floor.
 */
async function checkedBinaries(
  target: TargetPlan,
  files: readonly BuiltBinary[],
): Promise<TargetBinaries> {
  const binaries = files.map(({ binary, file }) => {
    const path = `${IN}/${binary.path}`;
    let tools = toolsContainer().withFile(path, file);
    // zig leaves a UUID that differs between two clean builds; it becomes a hash of the rest.
    if (target.rewriteMachoUuid) tools = tools.withExec(normalizeMachoUuidCommand([path]));
    const checked = tools.withExec(checkBinaryCommand(target, path));
    return { binary, file: checked.file(path), checked };
  });
  await explainFailure(() => Promise.all(binaries.map((b) => b.checked.sync())));
  return { target, binaries: binaries.map(({ binary, file }) => ({ binary, file })) };
}

/** Builds and verifies one target's binaries. */
export async function targetBinaries(ctx: RunContext, target: TargetPlan): Promise<TargetBinaries> {
  await requireMacosSdk(target);
  const built = await explainFailure(() => compile(ctx, target).sync(), compileLabel(target));
  await ctx.compileLog.record(`${target.triple} binaries`, built);
  return checkedBinaries(
    target,
    target.binaries.map((binary) => ({ binary, file: built.file(`${OUT}/${binary.file}`) })),
  );
}

/**
 * The binaries inside one target's release archive (already verified against the staged
 * manifest), checked again: what a resumed release builds its image from, without compiling.
 */
export async function archivedBinaries(target: TargetPlan, archive: File): Promise<TargetBinaries> {
  const path = `${IN}/${target.archive}`;
  const members = target.binaries.map((binary) => ({
    name: binary.file,
    output: `${OUT}/${binary.file}`,
  }));
  const extracted = toolsContainer()
    .withFile(path, archive)
    .withExec(extractCommand({ archive: path, format: target.archiveFormat, members }));
  await explainFailure(() => extracted.sync());
  return checkedBinaries(
    target,
    target.binaries.map((binary) => ({ binary, file: extracted.file(`${OUT}/${binary.file}`) })),
  );
}

/**
 * Runs `<bin> --version` where the engine can run the binary natively and checks it reports the
 * version being released. A CLI without --version (non-zero exit) is not held to it.
 */
export async function checkReportedVersion(ctx: RunContext, built: TargetBinaries): Promise<void> {
  const platform = built.target.platform;
  if (!platform) return;
  const main = built.binaries.find((b) => b.binary.name === ctx.plan.project.primaryBin);
  if (!main) return;
  const bin = main.binary.file;
  const version = ctx.plan.version.cargo;
  const run = toolsContainer(platform)
    .withFile(`/usr/local/bin/${bin}`, main.file, { permissions: 0o755 })
    .withExec([bin, "--version"], { expect: ReturnType.Any });
  if ((await run.exitCode()) !== 0) return;
  const printed = (await run.stdout()).trim();
  if (!printed.split(/\s+/).includes(version)) {
    throw new Error(
      `${built.target.triple}: \`${bin} --version\` printed "${printed}", not the version ${version}: ` +
        'does the CLI print env!("CARGO_PKG_VERSION")?',
    );
  }
}

/** The target's archive, laid out as the seed did, byte for byte reproducible. */
export function targetArchive(
  ctx: RunContext,
  built: TargetBinaries,
): { name: string; file: File } {
  const { target } = built;
  const name = target.archive;
  const docs = ctx.plan.project.docs;
  let container = toolsContainer();
  for (const { binary, file } of built.binaries) {
    container = container.withFile(`${IN}/${binary.path}`, file);
  }
  for (const doc of docs) {
    container = container.withFile(`/docs/${doc}`, ctx.source.file(doc));
  }
  const spec = {
    format: target.archiveFormat,
    output: `${OUT}/${name}`,
    entries: archiveEntries(
      target.binaries,
      docs.map((doc) => `/docs/${doc}`),
      IN,
    ),
    mtime: ctx.sourceDateEpoch,
  };
  return { name, file: container.withExec(archiveCommand(spec)).file(spec.output) };
}

/**
 * The CycloneDX SBOM staged beside the target's archive, made from the dependency lists its
 * binaries carry (cargo-auditable's `.dep-v0`): the crates of that target and those features,
 * nothing else. The step fails when a binary carries no list or is not the release's package, so
 * nothing is published without one. Byte for byte reproducible: same binaries, same SBOM.
 */
export function targetSbom(ctx: RunContext, built: TargetBinaries): { name: string; file: File } {
  const { target } = built;
  let container = toolsContainer();
  for (const { binary, file } of built.binaries) {
    container = container.withFile(`${IN}/${binary.path}`, file);
  }
  const output = `${OUT}/${target.sbom}`;
  const command = sbomCommand({
    output,
    target: target.triple,
    package: { name: ctx.plan.project.packageName, version: ctx.plan.version.cargo },
    binaries: built.binaries.map(({ binary }) => ({
      path: `${IN}/${binary.path}`,
      name: binary.file,
    })),
    sourceDateEpoch: ctx.sourceDateEpoch,
    generator: { name: CARGO_AUDITABLE.crate, version: CARGO_AUDITABLE.version },
  });
  return { name: target.sbom, file: container.withExec(command).file(output) };
}

/** A target's release files: its archive and the SBOM beside it. */
export function targetReleaseFiles(
  ctx: RunContext,
  built: TargetBinaries,
): { name: string; file: File }[] {
  return [targetArchive(ctx, built), targetSbom(ctx, built)];
}

/** SHA256SUMS over the given artifacts, `sha256sum -c` compatible. */
export function checksumFile(name: string, artifacts: { name: string; file: File }[]): File {
  let container = toolsContainer();
  for (const artifact of artifacts) {
    container = container.withFile(`${IN}/${artifact.name}`, artifact.file);
  }
  const output = `${OUT}/${name}`;
  const files = artifacts.map(({ name }) => ({ path: `${IN}/${name}`, name }));
  return container.withExec(checksumCommand(files, output)).file(output);
}

/** One target's checked binaries, named as cargo names them (`.exe` on Windows). */
export async function binariesDirectory(ctx: RunContext, target: TargetPlan): Promise<Directory> {
  const built = await targetBinaries(ctx, target);
  if (target.platform === ctx.nativePlatform) await checkReportedVersion(ctx, built);
  return built.binaries.reduce(
    (dir, { binary, file }) => dir.withFile(binary.file, file),
    dag.directory(),
  );
}

/**
 * Files in a directory, made before it is returned: a step that fails (an SBOM step refusing a
 * binary without its dependency list) fails here with its own explanation, naming the binary.
 */
async function directoryOf(files: readonly { name: string; file: File }[]): Promise<Directory> {
  const directory = files.reduce(
    (dir, { name, file }) => dir.withFile(name, file),
    dag.directory(),
  );
  await explainFailure(() => directory.sync());
  return directory;
}

/** One target's archive and its SBOM, in a directory. */
export async function archiveDirectory(ctx: RunContext, target: TargetPlan): Promise<Directory> {
  return directoryOf(targetReleaseFiles(ctx, await targetBinaries(ctx, target)));
}

/**
 * The checked binaries of every target the plan builds. The builds are independent values, so
 * the engine runs them concurrently; the binaries that run on the engine's own platform (glibc
 * and musl alike) are also asked for their version.
 */
export async function allTargetBinaries(ctx: RunContext): Promise<TargetBinaries[]> {
  const built = await settleAll(
    ctx.plan.targets.map((t) => ({ label: t.triple, run: targetBinaries(ctx, t) })),
  );
  const native = built.filter((b) => b.target.platform === ctx.nativePlatform);
  await Promise.all(native.map((b) => checkReportedVersion(ctx, b)));
  return built;
}

/** The archives and SBOMs of already-built targets plus the checksum file over them. */
export function archivesDirectory(
  ctx: RunContext,
  built: readonly TargetBinaries[],
): Promise<Directory> {
  const files = built.flatMap((b) => targetReleaseFiles(ctx, b));
  const checksums = ctx.plan.checksums.file;
  return directoryOf([...files, { name: checksums, file: checksumFile(checksums, files) }]);
}
