/**
 * CycloneDX 1.5 documents, deterministic (no serial number, the source date as timestamp,
 * sorted): the same inputs always give the same bytes. Per-binary SBOMs are made in the build
 * containers from the dependency list cargo-auditable embeds (container-scripts/sbom.py); the
 * image's SBOM is put together here from those of the binaries it holds.
 */
import type { ReleasePlan } from "./release-plan.js";

interface Component {
  type: string;
  "bom-ref": string;
  name: string;
  version?: string;
  purl?: string;
  scope?: string;
}

interface Bom {
  components?: Component[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
  metadata?: { component?: Component };
}

const byRef = <T extends { "bom-ref": string }>(a: T, b: T) =>
  a["bom-ref"] < b["bom-ref"] ? -1 : a["bom-ref"] > b["bom-ref"] ? 1 : 0;

/**
 * The image's SBOM (the predicate of its CycloneDX attestation): the image as the described
 * component, its base images (one per kind its platforms use: distroless cc for glibc
 * binaries, static for musl ones), and every binary it holds with the crates those binaries'
 * own SBOMs list (one copy of each crate, whatever the platform).
 */
export function imageSbom(
  plan: ReleasePlan,
  baseImages: readonly string[],
  binaries: readonly Bom[],
  sourceDateEpoch: number,
): Record<string, unknown> {
  const image = plan.image;
  const components = new Map<string, Component>();
  for (const baseImage of baseImages) {
    const base = baseImage.split("@")[0] ?? baseImage;
    components.set(`pkg:oci/${base}`, {
      type: "container",
      "bom-ref": `pkg:oci/${base}`,
      name: base,
      ...(baseImage.includes("@") ? { version: baseImage.split("@")[1] } : {}),
    });
  }
  for (const bom of binaries) {
    const binary = bom.metadata?.component;
    if (binary) components.set(binary["bom-ref"], { ...binary, type: "application" });
    for (const component of bom.components ?? []) {
      components.set(component["bom-ref"], component);
    }
  }
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    version: 1,
    metadata: {
      timestamp: new Date(sourceDateEpoch * 1000).toISOString().replace(".000Z", "Z"),
      component: {
        type: "container",
        "bom-ref": `pkg:oci/${image?.repository ?? plan.project.packageName}@${plan.version.cargo}`,
        name: image?.repository ?? plan.project.packageName,
        version: plan.version.cargo,
      },
      properties: (image?.platforms ?? []).map((platform) => ({
        name: "cdx:container:platform",
        value: platform,
      })),
    },
    components: [...components.values()].sort(byRef),
  };
}
