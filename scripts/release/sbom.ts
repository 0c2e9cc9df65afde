/**
 * A CycloneDX 1.6 SBOM per artifact, built from esbuild's metafile so it lists exactly the npm
 * packages whose code was bundled into the zip (a package that was only imported for types, or
 * tree-shaken away entirely, is not in it). `@cyclonedx/cyclonedx-npm` would list the whole
 * installed tree instead, which is not what ships, hence this small writer.
 */
import type { Metafile } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "./checksums.js";

/** One bundled npm package, as its package.json and the lockfile describe it. */
export interface BundledPackage {
  /** Where it is installed, relative to the repository: node_modules/@scope/name (a lockfile key). */
  readonly path: string;
  readonly name: string;
  readonly version: string;
  /** The package.json license (an SPDX expression, normally); undefined when it declares none. */
  readonly license?: string;
  /** The lockfile's integrity of the installed tarball (`sha512-<base64>`), when known. */
  readonly integrity?: string;
}

// The package folder of a bundled file: everything up to the package name after the last node_modules/.
const PACKAGE_DIR = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//;

/** Package folders (relative to the esbuild working directory) that contributed bytes to an output. */
export function bundledPackageDirs(metafile: Metafile): string[] {
  const dirs = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = PACKAGE_DIR.exec(input.split("\\").join("/"));
      if (match && bytesInOutput > 0) dirs.add(match[1]!);
    }
  }
  return [...dirs].sort();
}

interface Lockfile {
  readonly packages?: Record<string, { readonly integrity?: string }>;
}

/** Reads each package's package.json (under `repoRoot`) and its lockfile integrity. */
export function describePackages(repoRoot: string, dirs: readonly string[]): BundledPackage[] {
  const lockPath = join(repoRoot, "package-lock.json");
  const lock: Lockfile = existsSync(lockPath) ? JSON.parse(readFileSync(lockPath, "utf8")) : {};
  return dirs.map((path) => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, path, "package.json"), "utf8")) as {
      name: string;
      version: string;
      license?: string | { type?: string };
      licenses?: { type?: string }[];
    };
    const license =
      typeof manifest.license === "string"
        ? manifest.license
        : (manifest.license?.type ?? (manifest.licenses?.map((l) => l.type).filter(Boolean).join(" OR ") || undefined));
    return { path, name: manifest.name, version: manifest.version, license, integrity: lock.packages?.[path]?.integrity };
  });
}

/** The package URL of an npm package (purl spec: the scope's @ is percent-encoded). */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, "%40")}@${encodeURIComponent(version)}`;
}

const INTEGRITY_ALGORITHMS: Record<string, string> = { sha512: "SHA-512", sha384: "SHA-384", sha256: "SHA-256", sha1: "SHA-1" };

/** CycloneDX hashes from an SRI integrity string (base64 digests become hex). */
export function integrityHashes(integrity: string | undefined): { alg: string; content: string }[] {
  if (!integrity) return [];
  return integrity
    .split(/\s+/)
    .map((entry) => /^(sha\d+)-(.+)$/.exec(entry))
    .filter((m): m is RegExpExecArray => m !== null && m[1]! in INTEGRITY_ALGORITHMS)
    .map((m) => ({ alg: INTEGRITY_ALGORITHMS[m[1]!]!, content: Buffer.from(m[2]!, "base64").toString("hex") }));
}

/** A license as CycloneDX takes it: an SPDX expression when it looks like one, else a name. */
function cyclonedxLicenses(license: string | undefined): object[] {
  if (!license) return [];
  const spdxLike = /^[A-Za-z0-9.+\-() ]+$/.test(license) && !/SEE LICENSE/i.test(license);
  return [spdxLike ? { expression: license } : { license: { name: license } }];
}

/** A stable urn:uuid derived from content, so the same artifact always gets the same serial number. */
function contentUuid(seed: string): string {
  const hex = sha256(seed).slice(0, 32).split("");
  hex[12] = "5"; // version nibble: name-based
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16); // RFC 4122 variant
  const h = hex.join("");
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface SbomInput {
  /** The artifact's file name in the release (webhook.zip). */
  readonly artifact: string;
  readonly artifactSha256: string;
  /** The release version. */
  readonly version: string;
  readonly packages: readonly BundledPackage[];
  /** ISO time written into the SBOM; the source commit's time keeps SBOMs reproducible. */
  readonly timestamp: string;
  /** The license of our own code. @default "MIT" */
  readonly license?: string;
}

/** The CycloneDX 1.6 JSON document for one artifact. */
export function cyclonedxSbom(input: SbomInput): Record<string, unknown> {
  const rootRef = `self-runners/${input.artifact}@${input.version}`;
  // One component per purl: the same name@version installed at two paths is one package (the first, hoisted one).
  const byPurl = new Map<string, BundledPackage>();
  for (const p of input.packages) if (!byPurl.has(npmPurl(p.name, p.version))) byPurl.set(npmPurl(p.name, p.version), p);
  const unique = [...byPurl.values()];
  const components = unique.map((p) => {
    const purl = npmPurl(p.name, p.version);
    const scoped = /^(@[^/]+)\/(.+)$/.exec(p.name);
    return {
      type: "library",
      "bom-ref": purl,
      ...(scoped ? { group: scoped[1], name: scoped[2] } : { name: p.name }),
      version: p.version,
      purl,
      ...(p.license ? { licenses: cyclonedxLicenses(p.license) } : {}),
      ...(p.integrity ? { hashes: integrityHashes(p.integrity) } : {}),
    };
  });
  return {
    $schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: contentUuid(`${rootRef}\n${input.artifactSha256}`),
    version: 1,
    metadata: {
      timestamp: input.timestamp,
      lifecycles: [{ phase: "build" }],
      tools: { components: [{ type: "application", name: "self-runners release (scripts/release)", version: input.version }] },
      component: {
        type: "application",
        "bom-ref": rootRef,
        name: input.artifact,
        version: input.version,
        hashes: [{ alg: "SHA-256", content: input.artifactSha256 }],
        licenses: cyclonedxLicenses(input.license ?? "MIT"),
      },
    },
    components,
    dependencies: [{ ref: rootRef, dependsOn: components.map((c) => c["bom-ref"]) }, ...components.map((c) => ({ ref: c["bom-ref"] }))],
  };
}
