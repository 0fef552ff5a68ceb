/**
 * What the pinned images' own configs set, as their Dockerfiles (and the `rust:` base image)
 * declare it: the environment a container starts with after `from`. The stand-in has no
 * registry, so it answers `envVariable` and fills each exec's environment from here.
 */
/** The `rust:` base image's configuration, inherited by both cross-compiling images. */
const RUST_IMAGE = {
  CARGO_HOME: "/usr/local/cargo",
  RUSTUP_HOME: "/usr/local/rustup",
  PATH: "/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};

const IMAGE_ENV: [prefix: string, env: Record<string, string>][] = [
  ["ghcr.io/rust-cross/cargo-zigbuild:", { ...RUST_IMAGE, SDKROOT: "/opt/MacOSX11.3.sdk" }],
  ["ghcr.io/rust-cross/cargo-xwin:", RUST_IMAGE],
];

/** The environment an image's config sets (empty for images not listed). */
export function imageEnvironment(address: string): Record<string, string> {
  return { ...(IMAGE_ENV.find(([prefix]) => address.startsWith(prefix))?.[1] ?? {}) };
}
