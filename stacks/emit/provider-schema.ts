/**
 * Which names inside a resource or data source are nested blocks, from the provider's own schema
 * (`terraform providers schema -json`, run offline against the provider mirror). Terraform's JSON
 * syntax writes a nested block and an object-valued attribute alike (`ebs_block_device` vs `tags`);
 * native syntax does not, so the emitter asks the schema. The schema is ~14 MB, so only the block
 * structure is kept, cached under os.tmpdir() by provider version and never committed.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmitError } from "./errors.js";
import { providerMirror, runTerraformSync } from "./terraform-cli.js";

/** The nested blocks of one block, by name. */
export interface BlockSchema {
  readonly blocks: Readonly<Record<string, BlockSchema>>;
}

/** The block structure of every resource and data source of a provider. */
export interface ProviderBlocks {
  readonly version: string;
  readonly resources: Readonly<Record<string, BlockSchema>>;
  readonly dataSources: Readonly<Record<string, BlockSchema>>;
}

const AWS_PROVIDER = "registry.terraform.io/hashicorp/aws";

interface RawBlock {
  readonly block_types?: Record<string, { readonly block: RawBlock }>;
}

/** The block structure of hashicorp/aws as selected by `versionConstraint` from the mirror. */
export function awsProviderBlocks(versionConstraint: string): ProviderBlocks {
  const mirror = providerMirror();
  // The mirror's listing names the versions it holds, so the key changes when the chosen version can.
  const listing = fs.readdirSync(path.join(mirror, AWS_PROVIDER)).sort().join(",");
  const key = createHash("sha256").update(`${versionConstraint}\n${mirror}\n${listing}`).digest("hex").slice(0, 16);
  const cacheDir = path.join(os.tmpdir(), "self-runners-provider-schema");
  const cacheFile = path.join(cacheDir, `aws-${key}.json`);
  if (fs.existsSync(cacheFile)) return JSON.parse(fs.readFileSync(cacheFile, "utf8")) as ProviderBlocks;

  const blocks = readProviderBlocks(versionConstraint);
  fs.mkdirSync(cacheDir, { recursive: true });
  // Write then rename, so that parallel builds never read a half-written file.
  const partial = `${cacheFile}.${process.pid}`;
  fs.writeFileSync(partial, JSON.stringify(blocks));
  fs.renameSync(partial, cacheFile);
  return blocks;
}

function readProviderBlocks(versionConstraint: string): ProviderBlocks {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "self-runners-schema-"));
  try {
    fs.writeFileSync(
      path.join(scratch, "versions.tf"),
      `terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = ${JSON.stringify(versionConstraint)}\n    }\n  }\n}\n`,
    );
    terraform(["init", "-backend=false"], scratch);
    const output = JSON.parse(terraform(["providers", "schema", "-json"], scratch)) as {
      provider_schemas: Record<string, { resource_schemas: Record<string, { block: RawBlock }>; data_source_schemas: Record<string, { block: RawBlock }> }>;
    };
    const schemas = output.provider_schemas[AWS_PROVIDER];
    const lock = fs.readFileSync(path.join(scratch, ".terraform.lock.hcl"), "utf8");
    return {
      version: /version\s*=\s*"([^"]+)"/.exec(lock)?.[1] ?? "unknown",
      resources: mapValues(schemas.resource_schemas, (schema) => compact(schema.block)),
      dataSources: mapValues(schemas.data_source_schemas, (schema) => compact(schema.block)),
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function terraform(args: readonly string[], dir: string): string {
  const result = runTerraformSync(args, dir);
  if (result.code !== 0) throw new EmitError(`terraform ${args.join(" ")} failed while reading the aws provider schema:\n${result.stderr || result.stdout}`);
  return result.stdout;
}

function compact(block: RawBlock): BlockSchema {
  return { blocks: mapValues(block.block_types ?? {}, (nested) => compact(nested.block)) };
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
