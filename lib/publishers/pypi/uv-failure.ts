import { redactCredentialShapes } from "./errors.js";
import type { PackageIndex } from "./package-index.js";
import { trustedPublisherAdvice } from "./publisher-claims.js";
import { fileNameReuseRule } from "./upload-plan.js";

const TAIL_LINES = 20;

// uv's texts (crates/uv-publish): "Failed to publish `dist/<file>` to <url>", then "Caused by:"
// with PyPI's answer, e.g. "400 File already exists ('<file>', with blake2_256 hash ...)";
// with --check-url (uv 0.13.9, seen here): "... do not match for `<file>`. Local: sha256=...".
const CONFLICTING_FILE = [
  /File already exists \('([^']+)'/g,
  /do not match for `?([^`\s]+?)`?\.? Local:/g,
];
const FAILED_FILE = /Failed to publish `(?:[^`]*\/)?([^`/]+)`/g;

function matches(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].flatMap((match) => (match[1] ? [match[1]] : []));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function conflictMessage(text: string, index: PackageIndex): string | null {
  const exists = /File already exists|do not match for|previously used by a file/.test(text);
  if (!exists) return null;
  let files = unique(CONFLICTING_FILE.flatMap((pattern) => matches(text, pattern)));
  if (files.length === 0) files = unique(matches(text, FAILED_FILE));
  const named = files.length > 0 ? files.join(", ") : "a file";
  return [
    `${index.name} already has ${named} with different content (or had it and deleted it).`,
    fileNameReuseRule(index),
    "Bump the version and release it with a new tag.",
  ].join("\n");
}

function uvClaim(text: string, claim: string): string | undefined {
  return new RegExp(`\\b${claim}: "([^"]+)"`).exec(text)?.[1];
}

function publisherMessage(text: string, index: PackageIndex): string | null {
  if (!/invalid-publisher/.test(text)) return null;
  const repository = uvClaim(text, "repository");
  const job = /\/\.github\/workflows\/([^@"]+)@/.exec(uvClaim(text, "job_workflow_ref") ?? "");
  const [owner, name] = repository?.split("/") ?? [];
  const head =
    `${index.name} refused the trusted-publishing exchange: no trusted publisher matches ` +
    "this workflow run (invalid-publisher).";
  if (!owner || !name || !job?.[1]) {
    return `${head}\nRegister this repository's workflow as a trusted publisher on ${index.name}.`;
  }
  // uv prints no environment claim, so the advice cannot name it.
  const fields = {
    owner,
    repository: name,
    workflowFile: job[1],
    environment: undefined,
    calledFrom: null,
  };
  return `${head}\n${trustedPublisherAdvice(fields, index)}`;
}

function credentialsMessage(text: string, index: PackageIndex): string | null {
  if (/id-token: write/.test(text)) {
    return (
      "uv could not get an OIDC token from GitHub: the job that runs `dagger call` needs " +
      "`permissions: id-token: write`, and pull requests from forks never get one."
    );
  }
  if (!/status code 403|\b403 (Invalid|Forbidden|The )/.test(text)) return null;
  return (
    `${index.name} refused the upload token (HTTP 403: invalid, expired or not allowed). ` +
    "Tokens minted by trusted publishing expire after 15 minutes and are valid on one index " +
    `only; a token for another index or project does not work on ${index.name}. ` +
    "Re-run the publishing step to mint a fresh one."
  );
}

/** The last lines of uv's output, without colours and without anything shaped like a token. */
function tail(text: string): string {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  return redactCredentialShapes(lines.slice(-TAIL_LINES).join("\n"));
}

/**
 * Explains a failed `uv publish` from its stderr when the cause is one users can act on: a file
 * name the index holds with other content, a refused trusted publisher, a refused token.
 * Otherwise returns the (redacted) tail of the output.
 */
export function explainUvPublishFailure(stderr: string, index: PackageIndex): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips uv's ANSI colour codes
  const text = stderr.replace(/\u001b\[[0-9;]*m/g, "");
  const explained =
    conflictMessage(text, index) ??
    publisherMessage(text, index) ??
    credentialsMessage(text, index);
  return explained === null ? tail(text) : redactCredentialShapes(explained);
}
