import { PlanError } from "./errors.js";
import { fileAndLine, type ListSetting } from "./release-metadata.js";
import type { Target } from "./target.js";
import {
  DEFAULT_TARGET_TRIPLES,
  findTarget,
  imageVariants,
  TARGET_TRIPLES,
  TARGETS,
} from "./targets.js";

/** What a call asks for, besides the project's own list. */
export interface TargetRequest {
  /** `--targets`: the release's targets, instead of the project's list. */
  targets?: readonly string[] | null;
  /** `--target`: only this one (any target of the table, chosen or not). */
  target?: string | null;
  /** `--platform`: only the target the release's image uses for this platform. */
  platform?: string | null;
  /**
   * The engine's platform, for a call that builds one target and was given neither --target
   * nor --platform: the target the release's image uses for it.
   */
  nativePlatform?: string | null;
}

/** The release's targets: where the list came from and what it holds. */
export interface TargetChoice {
  /** `--targets`, `Cargo.toml [package.metadata.rust-release] targets` or `the default`. */
  source: string;
  /** The chosen targets, in the table's order. */
  targets: readonly Target[];
  /**
   * Where each chosen triple is written, for later errors about it: `Cargo.toml line 14:
   * [package.metadata.rust-release] targets`, `--targets` or `the default targets`.
   */
  writtenAt: Record<string, string>;
}

/** The call's targets, and the release's list they were narrowed from. */
export interface TargetSelection {
  choice: TargetChoice;
  /** What this call builds: the release's targets, or the one a --target/--platform names. */
  targets: readonly Target[];
}

const known = () => TARGET_TRIPLES.join(", ");

/** Checks a list of triples (from a file or the flag): not empty, known, each once. */
function checkedList(triples: readonly string[], key: string, at: (index: number) => string) {
  if (triples.length === 0) {
    throw new PlanError(
      `${at(-1)}${key} is empty: list at least one target, or leave it out to release the ` +
        `default ones (${DEFAULT_TARGET_TRIPLES.join(", ")})`,
    );
  }
  triples.forEach((triple, index) => {
    if (!TARGET_TRIPLES.includes(triple)) {
      throw new PlanError(
        `${at(index)}${key} names "${triple}", which this pipeline cannot build: choose from ` +
          known(),
      );
    }
    if (triples.indexOf(triple) !== index) {
      throw new PlanError(`${at(index)}${key} lists "${triple}" twice: remove one`);
    }
  });
}

/** A list as written: its triples, what messages call it, and where each entry is. */
interface WrittenList {
  triples: readonly string[];
  source: string;
  key: string;
  /** `Cargo.toml line 14: ` before a message about the entry at `index` (-1: the list). */
  at: (index: number) => string;
}

function writtenList(
  flag: readonly string[] | null | undefined,
  setting: ListSetting | null,
): WrittenList {
  if (flag !== null && flag !== undefined) {
    return { triples: flag, source: "--targets", key: "--targets", at: () => "" };
  }
  if (setting !== null) {
    return {
      triples: setting.values,
      source: `${setting.file} ${setting.key}`,
      key: setting.key,
      at: (index) => `${fileAndLine(setting.file, setting.valueLines[index] ?? setting.line)}: `,
    };
  }
  return { triples: DEFAULT_TARGET_TRIPLES, source: "the default", key: "", at: () => "" };
}

/**
 * The release's targets: `--targets` when given, else the project's `targets` setting, else
 * the default five. A bad list is refused before any work, naming the value and where it is.
 */
export function chooseTargets(
  flag: readonly string[] | null | undefined,
  setting: ListSetting | null,
): TargetChoice {
  const list = writtenList(flag, setting);
  checkedList(list.triples, list.key, list.at);
  const writtenAt = (index: number) =>
    list.key === "" ? "the default targets" : `${list.at(index)}${list.key}`;
  return {
    source: list.source,
    targets: TARGETS.filter((t) => list.triples.includes(t.triple)),
    writtenAt: Object.fromEntries(list.triples.map((triple, i) => [triple, writtenAt(i)])),
  };
}

function platformsOf(choice: TargetChoice): string {
  const platforms = imageVariants(choice.targets).map((v) => v.platform);
  return platforms.length > 0 ? platforms.join(", ") : "no platform";
}

/** The target whose binaries the release's image carries for `platform`. */
function imageTarget(choice: TargetChoice, platform: string, asked: string): Target {
  const variant = imageVariants(choice.targets).find((v) => v.platform === platform);
  if (!variant) {
    throw new PlanError(
      `unsupported platform "${platform}"${asked}: this release's image is built for ` +
        `${platformsOf(choice)}, from its Linux targets (${choice.source})`,
    );
  }
  return findTarget(variant.target);
}

/**
 * The targets a call builds: the one `--target` names, the image's target for `--platform`
 * (or, for one-target calls given neither, for the engine's platform), or the release's.
 */
export function selectTargets(choice: TargetChoice, request: TargetRequest): TargetSelection {
  if (request.target) return { choice, targets: [findTarget(request.target)] };
  if (request.platform) {
    return { choice, targets: [imageTarget(choice, request.platform, "")] };
  }
  if (request.nativePlatform) {
    const asked =
      " (the engine's platform, which one-target calls build without --target or --platform)";
    return { choice, targets: [imageTarget(choice, request.nativePlatform, asked)] };
  }
  return { choice, targets: choice.targets };
}
