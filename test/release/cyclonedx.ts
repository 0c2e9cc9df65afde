// The CycloneDX 1.6 JSON schema (vendored under fixtures/cyclonedx, with the SPDX license list and
// JSF schemas it references) compiled once with ajv, for the SBOM tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { REPO_ROOT } from "../helpers/paths.js";

// ajv-formats is CommonJS; its default export arrives wrapped depending on the loader.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

const SCHEMAS = join(REPO_ROOT, "test", "release", "fixtures", "cyclonedx");
const load = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(SCHEMAS, file), "utf8"));

// strict: false because the published schema uses keywords ajv's strict mode rejects (e.g. "meta:enum").
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
// ajv-formats knows the URI and e-mail formats but not their internationalized forms the schema uses;
// checked here as loosely as their definitions allow (no whitespace; one @).
ajv.addFormat("iri-reference", /^\S*$/u);
ajv.addFormat("idn-email", /^[^\s@]+@[^\s@]+$/u);
ajv.addSchema(load("spdx.schema.json"));
ajv.addSchema(load("jsf-0.82.schema.json"));
const validate = ajv.compile(load("bom-1.6.schema.json"));

/** The schema errors of a BOM, as readable lines; empty when it is valid CycloneDX 1.6. */
export function cyclonedxErrors(bom: unknown): string[] {
  return validate(bom) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
}
