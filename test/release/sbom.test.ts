import type { Metafile } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundledPackageDirs, cyclonedxSbom, describePackages, integrityHashes, npmPurl } from "../../scripts/release/sbom.js";
import { scratchDir } from "../helpers/paths.js";
import { cyclonedxErrors } from "./cyclonedx.js";

// A metafile as esbuild writes it, trimmed to what the SBOM reads.
const METAFILE = {
  inputs: {},
  outputs: {
    "dist/lambdas/webhook/index.js": {
      bytes: 1000,
      imports: [],
      exports: [],
      inputs: {
        "lambdas/webhook/webhook.lambda.ts": { bytesInOutput: 300 },
        "contracts/webhook.ts": { bytesInOutput: 100 },
        "node_modules/@octokit/webhooks-methods/dist-node/index.js": { bytesInOutput: 400 },
        "node_modules/@octokit/webhooks-methods/dist-node/verify.js": { bytesInOutput: 50 },
        "node_modules/left-pad/node_modules/pad-core/lib/index.js": { bytesInOutput: 10 },
        "node_modules/types-only/index.js": { bytesInOutput: 0 },
      },
    },
    "dist/lambdas/webhook/index.js.map": { bytes: 10, imports: [], exports: [], inputs: {} },
  },
} as unknown as Metafile;

describe("packages from esbuild's metafile", () => {
  it("lists each package that contributed bytes once, nested ones by their own folder, not our own code or dropped packages", () => {
    expect(bundledPackageDirs(METAFILE)).toEqual(["node_modules/@octokit/webhooks-methods", "node_modules/left-pad/node_modules/pad-core"]);
  });

  it("reads name, version and license from each package.json and the integrity from the lockfile", () => {
    const root = scratchDir("sbom-packages");
    const pkg = (dir: string, manifest: object) => {
      mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, dir, "package.json"), JSON.stringify(manifest));
    };
    pkg("node_modules/@octokit/webhooks-methods", { name: "@octokit/webhooks-methods", version: "6.0.0", license: "MIT" });
    pkg("node_modules/left-pad/node_modules/pad-core", { name: "pad-core", version: "1.0.1", licenses: [{ type: "ISC" }, { type: "MIT" }] });
    writeFileSync(join(root, "package-lock.json"), JSON.stringify({ packages: { "node_modules/@octokit/webhooks-methods": { integrity: "sha512-AAEC" } } }));
    expect(describePackages(root, bundledPackageDirs(METAFILE))).toEqual([
      { path: "node_modules/@octokit/webhooks-methods", name: "@octokit/webhooks-methods", version: "6.0.0", license: "MIT", integrity: "sha512-AAEC" },
      { path: "node_modules/left-pad/node_modules/pad-core", name: "pad-core", version: "1.0.1", license: "ISC OR MIT", integrity: undefined },
    ]);
  });

  it("names packages by purl with the scope's @ encoded, and turns SRI integrity into hex hashes", () => {
    expect(npmPurl("@octokit/core", "7.0.8")).toBe("pkg:npm/%40octokit/core@7.0.8");
    expect(npmPurl("toad-cache", "3.7.0")).toBe("pkg:npm/toad-cache@3.7.0");
    expect(integrityHashes("sha512-AAEC sha1-/w==")).toEqual([
      { alg: "SHA-512", content: "000102" },
      { alg: "SHA-1", content: "ff" },
    ]);
  });
});

// A SHA-512 integrity as npm writes it (64 bytes, base64) and the same digest in hex.
const INTEGRITY = `sha512-${Buffer.alloc(64, 0xab).toString("base64")}`;
const INTEGRITY_HEX = "ab".repeat(64);

describe("the CycloneDX document", () => {
  const bom = cyclonedxSbom({
    artifact: "webhook.zip",
    artifactSha256: "a".repeat(64),
    version: "1.2.0",
    timestamp: "2027-01-31T10:00:00.000Z",
    packages: [
      { path: "node_modules/@octokit/core", name: "@octokit/core", version: "7.0.8", license: "MIT", integrity: INTEGRITY },
      { path: "node_modules/a/node_modules/@octokit/core", name: "@octokit/core", version: "7.0.8", license: "MIT" },
      { path: "node_modules/odd", name: "odd", version: "1.0.0", license: "SEE LICENSE IN LICENSE.txt" },
      { path: "node_modules/bare", name: "bare", version: "0.0.1" },
    ],
  }) as { metadata: { component: Record<string, unknown> }; components: Record<string, unknown>[]; serialNumber: string };

  it("is valid CycloneDX 1.6 JSON (the published schema, with ajv)", () => {
    expect(cyclonedxErrors(bom)).toEqual([]);
  });

  it("fails schema validation when a component has no name (the check can fail)", () => {
    const broken = { ...bom, components: [{ type: "library", version: "1" }] };
    expect(cyclonedxErrors(broken).join("\n")).toMatch(/name/);
  });

  it("describes the zip by its sha256 and lists each bundled package once by purl, with license and hashes", () => {
    expect(bom.metadata.component).toMatchObject({ name: "webhook.zip", version: "1.2.0", hashes: [{ alg: "SHA-256", content: "a".repeat(64) }] });
    expect(bom.components).toEqual([
      { type: "library", "bom-ref": "pkg:npm/%40octokit/core@7.0.8", group: "@octokit", name: "core", version: "7.0.8", purl: "pkg:npm/%40octokit/core@7.0.8", licenses: [{ expression: "MIT" }], hashes: [{ alg: "SHA-512", content: INTEGRITY_HEX }] },
      { type: "library", "bom-ref": "pkg:npm/odd@1.0.0", name: "odd", version: "1.0.0", purl: "pkg:npm/odd@1.0.0", licenses: [{ license: { name: "SEE LICENSE IN LICENSE.txt" } }] },
      { type: "library", "bom-ref": "pkg:npm/bare@0.0.1", name: "bare", version: "0.0.1", purl: "pkg:npm/bare@0.0.1" },
    ]);
  });

  it("has a serial number derived from the artifact, so the same zip gets the same SBOM", () => {
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const again = cyclonedxSbom({ artifact: "webhook.zip", artifactSha256: "a".repeat(64), version: "1.2.0", timestamp: "2027-01-31T10:00:00.000Z", packages: [] }) as { serialNumber: string };
    expect(again.serialNumber).toBe(bom.serialNumber);
  });
});
