/**
 * CycloneDX 1.5 documents, deterministic (the source date as timestamp, sorted): the same inputs
 * always give the same bytes. Per-target SBOMs are made in a container from the dependency list
 * cargo-auditable links into each binary (container-scripts/sbom.py, which also gives them a
 * serial number derived from their content) and staged beside the archives; the image's SBOM,
 * the predicate of a signed statement (no serial number), is put together here from the staged
 * SBOMs of the targets its platforms run, the bytes the provenance attests.
 */
import type { ReleasePlan } from "./release-plan.js";

interface Hash {
  alg: string;
  content: string;
}

interface Component {
  type: string;
  "bom-ref": string;
  name: string;
  version?: string;
  purl?: string;
  scope?: string;
  hashes?: Hash[];
  properties?: { name: string; value: string }[];
  components?: Component[];
}

/** What the image SBOM reads of a target's SBOM (container-scripts/sbom.py writes it). */
export interface TargetBom {
  components?: Component[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
  metadata?: { component?: Component };
}

/** A staged target SBOM, read: a file that is not one fails naming it. */
export function parseTargetBom(name: string, text: string): TargetBom {
  let bom: unknown;
  try {
    bom = JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not JSON: ${(error as Error).message}`);
  }
  if (
    typeof bom !== "object" ||
    bom === null ||
    (bom as { bomFormat?: unknown }).bomFormat !== "CycloneDX"
  ) {
    throw new Error(`${name} is not a CycloneDX document (no "bomFormat": "CycloneDX")`);
  }
  return bom as TargetBom;
}

/** One platform of the image: the target its binaries come from and that target's SBOM. */
export interface ImagePlatformBom {
  platform: string;
  target: string;
  /** null when the staged release has none (staged by a version of this module without SBOMs). */
  bom: TargetBom | null;
}

const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byRef = <T extends { "bom-ref": string }>(a: T, b: T) => order(a["bom-ref"], b["bom-ref"]);

const PLATFORM = "cdx:container:platform";

/** A crate seen on several platforms is one component; runtime use on any of them wins. */
function mergeCrate(known: Component | undefined, crate: Component): Component {
  if (!known) return crate;
  return known.scope === "required" || crate.scope !== "required"
    ? known
    : { ...known, scope: "required" };
}

/**
 * The image's SBOM (the predicate of its CycloneDX attestation): the image as the described
 * component, its base image, each platform's binaries (with their SHA-256, as that platform's
 * SBOM records them) and every crate those SBOMs list, once, with the dependency graph. A
 * platform whose SBOM is missing lists its binaries by name only.
 */
export function imageSbom(
  plan: ReleasePlan,
  baseImages: readonly string[],
  platforms: readonly ImagePlatformBom[],
  sourceDateEpoch: number,
): Record<string, unknown> {
  const image = plan.image;
  const components = new Map<string, Component>();
  /** What the image itself is made of: its bases and every platform's binaries. */
  const parts: string[] = [];
  for (const baseImage of baseImages) {
    const base = baseImage.split("@")[0] ?? baseImage;
    const baseRef = `pkg:oci/${base}`;
    components.set(baseRef, {
      type: "container",
      "bom-ref": baseRef,
      name: base,
      ...(baseImage.includes("@") ? { version: baseImage.split("@")[1] } : {}),
    });
    parts.push(baseRef);
  }
  const edges = new Map<string, Set<string>>();
  const edge = (from: string, to: readonly string[]) => {
    const set = edges.get(from) ?? new Set<string>();
    for (const ref of to) set.add(ref);
    edges.set(from, set);
  };
  for (const { platform, target, bom } of platforms) {
    const property = { name: PLATFORM, value: platform };
    const root = bom?.metadata?.component;
    const binaries: Component[] =
      root?.components ??
      (plan.targets.find((t) => t.triple === target)?.binaries ?? []).map((b) => ({
        type: "application",
        "bom-ref": b.file,
        name: b.file,
        version: plan.version.cargo,
      }));
    const rootDependencies =
      bom?.dependencies?.find((d) => d.ref === root?.["bom-ref"])?.dependsOn ?? [];
    for (const binary of binaries) {
      const ref = `${platform}/${binary.name}`;
      const { components: _nested, ...own } = binary;
      components.set(ref, {
        ...own,
        "bom-ref": ref,
        ...(root?.purl ? { purl: root.purl } : {}),
        properties: [property],
      });
      edge(ref, rootDependencies);
      parts.push(ref);
    }
    for (const crate of bom?.components ?? []) {
      components.set(crate["bom-ref"], mergeCrate(components.get(crate["bom-ref"]), crate));
    }
    for (const { ref, dependsOn } of bom?.dependencies ?? []) {
      if (ref !== root?.["bom-ref"]) edge(ref, dependsOn ?? []);
    }
  }
  const imageRef = `pkg:oci/${image?.repository ?? plan.project.packageName}@${plan.version.cargo}`;
  edge(imageRef, parts);
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    version: 1,
    metadata: {
      timestamp: new Date(sourceDateEpoch * 1000).toISOString().replace(".000Z", "Z"),
      component: {
        type: "container",
        "bom-ref": imageRef,
        name: image?.repository ?? plan.project.packageName,
        version: plan.version.cargo,
      },
      properties: (image?.platforms ?? []).map((platform) => ({ name: PLATFORM, value: platform })),
    },
    components: [...components.values()].sort(byRef),
    dependencies: [...edges]
      .filter(([ref]) => ref === imageRef || components.has(ref))
      .map(([ref, to]) => ({ ref, dependsOn: [...to].filter((t) => components.has(t)).sort() }))
      .sort((a, b) => order(a.ref, b.ref)),
  };
}
