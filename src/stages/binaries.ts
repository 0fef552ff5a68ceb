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
import { archiveName, binaryFileName, binaryOutputPath, CHECKSUM_FILE } from "../plan/names.js";
import { primaryBinary } from "../plan/release-plan.js";
import { TARGETS, type Target } from "../plan/targets.js";
import { explainFailure, settleAll } from "./exec-errors.js";
import { IMAGES } from "./images.js";
import type { BuildContext } from "./source.js";
import { CARGO_TARGET_DIR, requireMacosSdk, toolchainContainer } from "./toolchain.js";

/** The release binaries of one target, each checked for format, architecture and glibc floor. */
export interface TargetBinaries {
  target: Target;
  binaries: { name: string; file: File }[];
}

const OUT = "/out";
const IN = "/in";

/** Runs cargo for one target; the binaries are copied out of the target-directory cache. */
function compile(ctx: BuildContext, target: Target): Container {
  return toolchainContainer(ctx, target)
    .withExec(rustupTargetCommand(target, ctx.channel))
    .withExec(compileCommand(target, ctx.manifest.bins, CARGO_TARGET_DIR, OUT));
}

/** What a failed compile is called in the error: the command the user would run to reproduce. */
function compileLabel(target: Target): string {
  return `${target.triple}: cargo ${target.toolchain === "zig" ? "zigbuild" : "xwin build"}`;
}

function toolsContainer(platform?: string): Container {
  return dag.container(platform ? { platform: platform as Platform } : {}).from(IMAGES.python);
}

/**
 * Verifies one target's binaries (macOS ones first get their deterministic UUID; a second pass
 * changes nothing). The returned files depend on the check, so nothing can export or publish a
 * binary of the wrong format, architecture or glibc floor.
 */
async function checkedBinaries(
  target: Target,
  files: readonly { name: string; file: File }[],
): Promise<TargetBinaries> {
  const binaries = files.map(({ name, file }) => {
    const path = `${IN}/${binaryOutputPath(name, target)}`;
    let tools = toolsContainer().withFile(path, file);
    // zig leaves a UUID that differs between two clean builds; it becomes a hash of the rest.
    if (target.rewriteMachoUuid) tools = tools.withExec(normalizeMachoUuidCommand([path]));
    const checked = tools.withExec(checkBinaryCommand(target, path));
    return { name, file: checked.file(path), checked };
  });
  await explainFailure(() => Promise.all(binaries.map((b) => b.checked.sync())));
  return { target, binaries: binaries.map(({ name, file }) => ({ name, file })) };
}

/** Builds and verifies one target's binaries. */
export async function targetBinaries(ctx: BuildContext, target: Target): Promise<TargetBinaries> {
  await requireMacosSdk(target);
  const built = await explainFailure(() => compile(ctx, target).sync(), compileLabel(target));
  return checkedBinaries(
    target,
    ctx.manifest.bins.map((bin) => ({
      name: bin,
      file: built.file(`${OUT}/${binaryFileName(bin, target)}`),
    })),
  );
}

/**
 * The binaries inside one target's release archive (already verified against the staged
 * manifest), checked again: what a resumed release builds its image from, without compiling.
 */
export async function archivedBinaries(
  ctx: BuildContext,
  target: Target,
  archive: File,
): Promise<TargetBinaries> {
  const path = `${IN}/${archiveName(primaryBinary(ctx.manifest), target)}`;
  const output = (bin: string) => `${OUT}/${binaryFileName(bin, target)}`;
  const members = ctx.manifest.bins.map((bin) => ({
    name: binaryFileName(bin, target),
    output: output(bin),
  }));
  const extracted = toolsContainer()
    .withFile(path, archive)
    .withExec(extractCommand({ archive: path, format: target.archive, members }));
  await explainFailure(() => extracted.sync());
  return checkedBinaries(
    target,
    ctx.manifest.bins.map((bin) => ({ name: bin, file: extracted.file(output(bin)) })),
  );
}

/**
 * Runs `<bin> --version` where the engine can run the binary natively and checks it reports the
 * version being released. A CLI without --version (non-zero exit) is not held to it.
 */
export async function checkReportedVersion(
  ctx: BuildContext,
  built: TargetBinaries,
): Promise<void> {
  const platform = built.target.platform;
  if (!platform) return;
  const bin = primaryBinary(ctx.manifest);
  const file = built.binaries.find((b) => b.name === bin)?.file;
  if (!file) return;
  const run = toolsContainer(platform)
    .withFile(`/usr/local/bin/${bin}`, file, { permissions: 0o755 })
    .withExec([bin, "--version"], { expect: ReturnType.Any });
  if ((await run.exitCode()) !== 0) return;
  const printed = (await run.stdout()).trim();
  if (!printed.split(/\s+/).includes(ctx.version)) {
    throw new Error(
      `${built.target.triple}: \`${bin} --version\` printed "${printed}", not the version ${ctx.version}: ` +
        'does the CLI print env!("CARGO_PKG_VERSION")?',
    );
  }
}

/** The target's archive, laid out as the seed did, byte for byte reproducible. */
export function targetArchive(
  ctx: BuildContext,
  built: TargetBinaries,
): { name: string; file: File } {
  const { target } = built;
  const name = archiveName(primaryBinary(ctx.manifest), target);
  let container = toolsContainer();
  for (const { name: bin, file } of built.binaries) {
    container = container.withFile(`${IN}/${binaryOutputPath(bin, target)}`, file);
  }
  for (const doc of ctx.docs) {
    container = container.withFile(`/docs/${doc}`, ctx.source.file(doc));
  }
  const spec = {
    format: target.archive,
    output: `${OUT}/${name}`,
    entries: archiveEntries(
      target,
      built.binaries.map((b) => b.name),
      ctx.docs.map((doc) => `/docs/${doc}`),
      IN,
    ),
    mtime: ctx.sourceDateEpoch,
  };
  return { name, file: container.withExec(archiveCommand(spec)).file(spec.output) };
}

/** SHA256SUMS over the given artifacts, `sha256sum -c` compatible. */
export function checksumFile(artifacts: { name: string; file: File }[]): File {
  let container = toolsContainer();
  for (const { name, file } of artifacts) container = container.withFile(`${IN}/${name}`, file);
  const output = `${OUT}/${CHECKSUM_FILE}`;
  const files = artifacts.map(({ name }) => ({ path: `${IN}/${name}`, name }));
  return container.withExec(checksumCommand(files, output)).file(output);
}

/** One target's checked binaries, named as cargo names them (`.exe` on Windows). */
export async function binariesDirectory(
  ctx: BuildContext,
  target: Target,
  native: boolean,
): Promise<Directory> {
  const built = await targetBinaries(ctx, target);
  if (native) await checkReportedVersion(ctx, built);
  return built.binaries.reduce(
    (dir, { name, file }) => dir.withFile(binaryFileName(name, target), file),
    dag.directory(),
  );
}

/** One target's archive, in a directory. */
export async function archiveDirectory(ctx: BuildContext, target: Target): Promise<Directory> {
  const archive = targetArchive(ctx, await targetBinaries(ctx, target));
  return dag.directory().withFile(archive.name, archive.file);
}

/**
 * Every target's checked binaries. The five builds are independent values, so the engine runs
 * them concurrently; the binary of the engine's own platform is also asked for its version.
 */
export async function allTargetBinaries(
  ctx: BuildContext,
  nativePlatform: string,
): Promise<TargetBinaries[]> {
  const built = await settleAll(
    TARGETS.map((t) => ({ label: t.triple, run: targetBinaries(ctx, t) })),
  );
  const native = built.find((b) => b.target.platform === nativePlatform);
  if (native) await checkReportedVersion(ctx, native);
  return built;
}

/** The archives of already-built targets plus SHA256SUMS over them. */
export function archivesDirectory(ctx: BuildContext, built: readonly TargetBinaries[]): Directory {
  const archives = built.map((b) => targetArchive(ctx, b));
  return archives
    .reduce((dir, { name, file }) => dir.withFile(name, file), dag.directory())
    .withFile(CHECKSUM_FILE, checksumFile(archives));
}
