import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { APIGatewayProxyEvent } from "aws-lambda";
import fc from "fast-check";
import { apiGatewayEvent } from "../helpers/aws.js";
import { githubTime } from "../helpers/openapi.js";
import { REPO_ROOT } from "../helpers/paths.js";

// Generators for webhook fuzzing. A generated RequestSpec is plain data (so fast-check can print and
// shrink it); buildRequest turns it into the API Gateway proxy event. Nothing here decides whether a
// request is genuine: that is the oracle's job (webhook-oracle.ts), from the event alone.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

/** A change to the fixture payload, applied in order; a path whose parent is gone is skipped. */
export type Mutation =
  | { readonly op: "delete"; readonly path: Path }
  | { readonly op: "set"; readonly path: Path; readonly value: Json }
  /** A JSON literal spliced into the text as is: numbers JSON.stringify cannot write, deep nesting, odd keys. */
  | { readonly op: "raw"; readonly path: Path; readonly literal: RawLiteral }
  /** A long string of about `bytes` bytes once serialized, built at request time so the spec stays small. */
  | { readonly op: "huge"; readonly path: Path; readonly bytes: number; readonly unit: "ascii" | "two-byte" | "astral" | "escaped-control" };

export type RawLiteral = string | { readonly nested: "array" | "object"; readonly depth: number };

export type BodySpec =
  | { readonly kind: "job"; readonly mutations: readonly Mutation[] }
  | { readonly kind: "ping" }
  | { readonly kind: "json"; readonly text: string }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "empty" }
  | { readonly kind: "null" };

/** Changes to the JSON text; `at` is a fraction of its length. */
export type TextMutation =
  | { readonly op: "bom" }
  | { readonly op: "nul"; readonly at: number }
  | { readonly op: "lone-surrogate"; readonly at: number }
  | { readonly op: "truncate"; readonly at: number }
  | { readonly op: "append"; readonly text: string };

/** Bytes that are not UTF-8, inserted into the content; `at` is a fraction of its length. */
export type ByteMutation = { readonly op: "invalid-utf8"; readonly bytes: readonly number[]; readonly at: number };

/** How the JSON travels: as the body, or as the form field GitHub's `form` content type uses. */
export type FormSpec = "none" | "payload" | "extra-fields" | "no-payload-field" | "payload-twice";

/** How API Gateway hands the bytes over. */
export type Transport = "plain" | "base64" | "base64-wrapped" | "base64-corrupt" | "base64-flag-on-plain-text" | "base64-text-flag-off";

/** The body's size in bytes relative to WEBHOOK_MAX_BODY_BYTES (after padding with JSON whitespace or empty form fields). */
export type SizeSpec = "as-is" | "max-1" | "max" | "max+1" | "double";

export type SignatureKind =
  | "valid"
  | "missing"
  | "empty"
  | "prefix-only"
  | "sha1-prefix"
  | "upper-prefix"
  | "no-prefix"
  | "sha512"
  | "sha1-header-only"
  | "truncated"
  | "upper-hex"
  | "whitespace"
  | "other-body"
  | "other-secret"
  | "over-lossy-decoding"
  | "duplicate-valid-first"
  | "duplicate-valid-last"
  | "repeated-valid-first"
  | "repeated-valid-last";

export type HeaderValueSpec = { readonly kind: "value"; readonly value: string } | { readonly kind: "missing" } | { readonly kind: "duplicate"; readonly values: readonly [string, string] };

export type DeliverySpec = "unique" | "missing" | "empty" | "duplicate" | "unicode";

/** Where API Gateway puts the headers: REST proxy events carry both maps. */
export type HeaderLayout = "both" | "headers-only" | "multi-value-only" | "none";

export interface HeaderNames {
  readonly signature: string;
  readonly event: string;
  readonly delivery: string;
  readonly contentType: string;
}

export interface RequestSpec {
  readonly body: BodySpec;
  /** The fixture's action before mutations: queued, or what the job ledger records. */
  readonly action: "queued" | "in_progress" | "completed";
  /** `previous` reuses the job id of the request before, so the job ledger sees the same job twice. */
  readonly job: "fresh" | "previous";
  readonly pretty: boolean;
  readonly textMutations: readonly TextMutation[];
  readonly byteMutation: ByteMutation | null;
  readonly form: FormSpec;
  readonly size: SizeSpec;
  readonly transport: Transport;
  readonly signature: SignatureKind;
  /** GitHub also sends the legacy SHA-1 X-Hub-Signature. */
  readonly alsoSha1: boolean;
  readonly names: HeaderNames;
  readonly event: HeaderValueSpec;
  readonly delivery: DeliverySpec;
  /** "matching" = what GitHub sends for the form choice; null = no Content-Type header. */
  readonly contentType: string | null;
  readonly layout: HeaderLayout;
  readonly noiseHeaders: boolean;
}

export interface BuildContext {
  readonly secret: string;
  readonly maxBodyBytes: number;
  /** Makes job and delivery ids unique per request, so the job ledger never sees a repeat. */
  readonly sequence: number;
  readonly seed: number;
}

const FIXTURE = readFileSync(join(REPO_ROOT, "test", "fixtures", "github", "workflow_job.queued.json"), "utf8");
const FORM_TYPE = "application/x-www-form-urlencoded";
const FIRST_FUZZ_JOB_ID = 90_000_000_000;

// ---- arbitraries -------------------------------------------------------------------------------

const FIELD_PATHS: readonly Path[] = [
  ["action"],
  ["workflow_job"],
  ["workflow_job", "id"],
  ["workflow_job", "run_id"],
  ["workflow_job", "run_attempt"],
  ["workflow_job", "labels"],
  ["workflow_job", "labels", 0],
  ["workflow_job", "name"],
  ["workflow_job", "steps"],
  ["workflow_job", "conclusion"],
  ["repository"],
  ["repository", "full_name"],
  ["repository", "owner"],
  ["repository", "owner", "login"],
  ["installation"],
  ["installation", "id"],
  ["sender"],
  ["unexpected_field"],
];

const LABEL_POOL = [
  "self-hosted", "linux", "Linux", "LINUX", "x64", "X64", "gpu", "GPU", "arm64", "ARM64", "macOS", "ubuntu-latest", "windows",
  "", " linux", "linux ", "lİnux", "l\u0131nux", "ｌｉｎｕｘ", "linux\u0000", "li\u200bnux", "🐧", "x".repeat(300),
];

const label = fc.constantFrom(...LABEL_POOL);

const labelsValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<Json>(["self-hosted", "linux", "x64"], ["linux", "gpu"], ["LINUX", "X64"], ["self-hosted", "Linux", "arm64"], ["self-hosted"], ["ubuntu-latest"], []) },
  { weight: 4, arbitrary: fc.array(label, { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.constantFrom<Json>([1], [null], [["linux"]], [{}], [true], "linux", {}, 7, null, ["linux", 64]) },
);

const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, "", "x", "123", "queued", [], {}, [1, 2], { id: 1 }, "\u0000", "\u202equeued", "ｑｕｅｕｅｄ", "😀"),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const actionValue = fc.constantFrom<Json>("queued", "completed", "in_progress", "waiting", "QUEUED", "queued ", "", null, 1, ["queued"], { queued: true });

const rawLiteral: fc.Arbitrary<RawLiteral> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "9007199254740991", "9007199254740992", "9007199254740993", "18446744073709551616", "1e400", "-1e400", "-0", "0", "1.0", "1e3",
      "2.5", "-7", "0x10", "NaN", "Infinity", "01", "true", "null",
      '{"__proto__":{"polluted":true}}', '{"toString":1,"valueOf":null}', '{"constructor":{"prototype":{"x":1}}}',
      '"\\ud800"', '"\\u0000"', '"queued"', '["queued"]',
    ),
  },
  // Up to about 300 kB of nesting: past WEBHOOK_MAX_BODY_BYTES, and deep enough for any recursive parser.
  { weight: 1, arbitrary: fc.record({ nested: fc.constantFrom<"array" | "object">("array", "object"), depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1_000, max: 50_000 })) }) },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), path: fc.constantFrom(...FIELD_PATHS) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("set" as const), path: fc.constantFrom(...FIELD_PATHS), value: oddValue }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("set" as const), path: fc.constant(["workflow_job", "labels"] as Path), value: labelsValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("set" as const), path: fc.constant(["action"] as Path), value: actionValue }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("raw" as const), path: fc.constantFrom(...FIELD_PATHS), literal: rawLiteral }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("huge" as const),
      path: fc.constantFrom<Path>(["workflow_job", "name"], ["repository", "full_name"], ["workflow_job", "labels", 0], ["unexpected_field"]),
      bytes: fc.oneof(fc.integer({ min: 1_000, max: 20_000 }), fc.integer({ min: 200_000, max: 300_000 })),
      unit: fc.constantFrom("ascii", "two-byte", "astral", "escaped-control"),
    }),
  },
);

const body: fc.Arbitrary<BodySpec> = fc.oneof(
  // Unmutated deliveries are the ones that reach DynamoDB and SQS (~20 ms CPU each, the bulk of the run).
  { weight: 32, arbitrary: fc.constant({ kind: "job", mutations: [] } as BodySpec) },
  { weight: 30, arbitrary: fc.record({ kind: fc.constant("job" as const), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: "ping" } as BodySpec) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("json" as const), text: fc.json({ maxDepth: 3 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("text" as const),
      text: fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 80 }),
        fc.constantFrom("{not json", "null", "[]", "42", '"queued"', "true", "{}", "[{}]", "payload=%7B%7D", "<xml/>", " ", "\u0000"),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "empty" } as BodySpec) },
  { weight: 1, arbitrary: fc.constant({ kind: "null" } as BodySpec) },
);

const fraction = fc.double({ min: 0, max: 1, noNaN: true });

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.constant({ op: "bom" } as TextMutation),
  fc.record({ op: fc.constant("nul" as const), at: fraction }),
  fc.record({ op: fc.constant("lone-surrogate" as const), at: fraction }),
  fc.record({ op: fc.constant("truncate" as const), at: fraction }),
  fc.record({ op: fc.constant("append" as const), text: fc.constantFrom("}", ",", "\n", "\u0000", " x", "{}") }),
);

const byteMutation: fc.Arbitrary<ByteMutation> = fc.record({
  op: fc.constant("invalid-utf8" as const),
  // 0xFF never occurs in UTF-8; C0 80 is an overlong NUL; a lone continuation byte; a cut three-byte sequence; a UTF-16 surrogate.
  bytes: fc.constantFrom([0xff], [0xc0, 0x80], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80]),
  at: fraction,
});

const headerName = (canonical: string): fc.Arbitrary<string> =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(canonical) }, fc.constant(canonical.toLowerCase()), fc.constant(canonical.toUpperCase()), fc.mixedCase(fc.constant(canonical.toLowerCase())));

const eventValue = fc.constantFrom("workflow_job", "ping", "push", "", "WORKFLOW_JOB", "workflow_job ", "workflow-job", "installation", "wørkflow_job");

const event: fc.Arbitrary<HeaderValueSpec> = fc.oneof(
  { weight: 16, arbitrary: fc.constant({ kind: "value", value: "workflow_job" } as HeaderValueSpec) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("value" as const), value: eventValue }) },
  { weight: 1, arbitrary: fc.constant({ kind: "missing" } as HeaderValueSpec) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), values: fc.tuple(eventValue, eventValue) }) },
);

const CONTENT_TYPES = [
  "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", FORM_TYPE, `${FORM_TYPE}; charset=UTF-8`,
  "Application/X-WWW-Form-Urlencoded", ` ${FORM_TYPE} `, "multipart/form-data; boundary=x", "", "application/x-www-form-urlencodedx",
];

/** Any request the webhook might see: mostly near-genuine deliveries with one or more things off. */
export const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  body,
  action: fc.oneof({ weight: 17, arbitrary: fc.constant<RequestSpec["action"]>("queued") }, { weight: 3, arbitrary: fc.constantFrom<RequestSpec["action"]>("in_progress", "completed") }),
  job: fc.oneof({ weight: 4, arbitrary: fc.constant<RequestSpec["job"]>("fresh") }, { weight: 1, arbitrary: fc.constant<RequestSpec["job"]>("previous") }),
  pretty: fc.boolean(),
  textMutations: fc.oneof({ weight: 9, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(textMutation, { minLength: 1, maxLength: 2 }) }),
  byteMutation: fc.oneof({ weight: 19, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: byteMutation }),
  form: fc.oneof(
    { weight: 17, arbitrary: fc.constant<FormSpec>("none") },
    { weight: 3, arbitrary: fc.constant<FormSpec>("payload") },
    { weight: 1, arbitrary: fc.constantFrom<FormSpec>("extra-fields", "no-payload-field", "payload-twice") },
  ),
  size: fc.oneof({ weight: 60, arbitrary: fc.constant<SizeSpec>("as-is") }, { weight: 3, arbitrary: fc.constantFrom<SizeSpec>("max-1", "max", "max+1", "double") }),
  transport: fc.oneof(
    { weight: 14, arbitrary: fc.constant<Transport>("plain") },
    { weight: 4, arbitrary: fc.constant<Transport>("base64") },
    { weight: 2, arbitrary: fc.constantFrom<Transport>("base64-wrapped", "base64-corrupt", "base64-flag-on-plain-text", "base64-text-flag-off") },
  ),
  signature: fc.oneof(
    { weight: 30, arbitrary: fc.constant<SignatureKind>("valid") },
    {
      weight: 12,
      arbitrary: fc.constantFrom<SignatureKind>(
        "missing", "empty", "prefix-only", "sha1-prefix", "upper-prefix", "no-prefix", "sha512", "sha1-header-only", "truncated", "upper-hex",
        "whitespace", "other-body", "other-secret", "over-lossy-decoding", "duplicate-valid-first", "duplicate-valid-last",
        "repeated-valid-first", "repeated-valid-last",
      ),
    },
  ),
  alsoSha1: fc.boolean(),
  names: fc.record({
    signature: headerName("X-Hub-Signature-256"),
    event: headerName("X-GitHub-Event"),
    delivery: headerName("X-GitHub-Delivery"),
    contentType: headerName("Content-Type"),
  }),
  event,
  delivery: fc.oneof({ weight: 16, arbitrary: fc.constant<DeliverySpec>("unique") }, { weight: 4, arbitrary: fc.constantFrom<DeliverySpec>("missing", "empty", "duplicate", "unicode") }),
  contentType: fc.oneof({ weight: 8, arbitrary: fc.constant<string | null>("matching") }, { weight: 1, arbitrary: fc.constant<string | null>(null) }, { weight: 2, arbitrary: fc.constantFrom<string | null>(...CONTENT_TYPES) }),
  layout: fc.oneof({ weight: 16, arbitrary: fc.constant<HeaderLayout>("both") }, { weight: 3, arbitrary: fc.constantFrom<HeaderLayout>("headers-only", "multi-value-only", "none") }),
  noiseHeaders: fc.boolean(),
});

// ---- building the event ------------------------------------------------------------------------

export function hmacHex(algorithm: "sha1" | "sha256" | "sha512", secret: string, bytes: Uint8Array): string {
  return createHmac(algorithm, secret).update(bytes).digest("hex");
}

function rawText(literal: RawLiteral): string {
  if (typeof literal === "string") return literal;
  return literal.nested === "array" ? `${"[".repeat(literal.depth)}${"]".repeat(literal.depth)}` : `${'{"a":'.repeat(literal.depth)}1${"}".repeat(literal.depth)}`;
}

function hugeString(bytes: number, unit: "ascii" | "two-byte" | "astral" | "escaped-control"): string {
  // UTF-8 bytes per character as serialized: \u0001 is written as a six-character escape.
  const [char, size] = { ascii: ["x", 1], "two-byte": ["é", 2], astral: ["𝄞", 4], "escaped-control": ["\u0001", 6] }[unit] as [string, number];
  return char.repeat(Math.ceil(bytes / size));
}

/** Applies `mutations` to `payload`; returns the raw literals to splice in, by marker. */
function mutate(payload: Record<string, Json>, mutations: readonly Mutation[]): Map<string, string> {
  const raw = new Map<string, string>();
  for (const m of mutations) {
    let parent: Json = payload;
    for (const key of m.path.slice(0, -1)) parent = typeof parent === "object" && parent !== null ? ((parent as Record<string, Json>)[key] ?? null) : null;
    if (typeof parent !== "object" || parent === null) continue;
    const container = parent as Record<string | number, Json>;
    const key = m.path[m.path.length - 1]!;
    switch (m.op) {
      case "delete":
        if (Array.isArray(container) && typeof key === "number") container.splice(key, 1);
        else delete container[key];
        break;
      case "set":
        container[key] = structuredClone(m.value);
        break;
      case "huge":
        container[key] = hugeString(m.bytes, m.unit);
        break;
      case "raw": {
        const marker = `__fuzz_raw_${raw.size}__`;
        raw.set(JSON.stringify(marker), rawText(m.literal));
        container[key] = marker;
        break;
      }
    }
  }
  return raw;
}

function at(length: number, fraction: number): number {
  return Math.min(length, Math.floor(length * fraction));
}

function payloadText(spec: RequestSpec, ctx: BuildContext): string | null {
  const indent = spec.pretty ? 2 : undefined;
  switch (spec.body.kind) {
    case "job": {
      const payload = JSON.parse(FIXTURE) as Record<string, any>;
      payload.action = spec.action;
      payload.workflow_job.id = FIRST_FUZZ_JOB_ID + ctx.sequence - (spec.job === "previous" ? 1 : 0);
      // The fixture is dated 2024: created now, so the webhook's replay bound admits the job.
      payload.workflow_job.created_at = githubTime(new Date());
      // A completed job's conclusion decides the phase the ledger records.
      if (spec.action === "completed") payload.workflow_job.conclusion = ["success", "failure", "cancelled", "skipped"][ctx.sequence % 4];
      const raw = mutate(payload, spec.body.mutations);
      let text = JSON.stringify(payload, null, indent);
      for (const [marker, literal] of raw) text = text.replace(marker, () => literal);
      return text;
    }
    case "ping":
      return JSON.stringify({ zen: "Keep it logically awesome.", hook_id: ctx.sequence, hook: { type: "App", id: 1, events: ["workflow_job"] } }, null, indent);
    case "json":
    case "text":
      return spec.body.text;
    case "empty":
      return "";
    case "null":
      return null;
  }
}

function applyText(text: string, mutations: readonly TextMutation[]): string {
  let out = text;
  for (const m of mutations) {
    if (m.op === "bom") out = `\uFEFF${out}`;
    else if (m.op === "nul") out = `${out.slice(0, at(out.length, m.at))}\u0000${out.slice(at(out.length, m.at))}`;
    else if (m.op === "lone-surrogate") out = `${out.slice(0, at(out.length, m.at))}\uD800${out.slice(at(out.length, m.at))}`;
    else if (m.op === "truncate") out = out.slice(0, at(out.length, m.at));
    else out = `${out}${m.text}`;
  }
  return out;
}

/** Form encoding; encodeURIComponent is several times faster than URLSearchParams on large bodies but refuses lone surrogates. */
function formValue(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return new URLSearchParams([["", value]]).toString().slice(1);
  }
}

function formBody(form: FormSpec, json: string): string {
  const encoded = `payload=${formValue(json)}`;
  switch (form) {
    case "none":
      return json;
    case "payload":
      return encoded;
    case "extra-fields":
      return `ref=main&${encoded}&hook_id=1`;
    case "no-payload-field":
      return `data=${formValue(json)}`;
    case "payload-twice":
      return `${encoded}&payload=${formValue('{"action":"completed"}')}`;
  }
}

function padTo(content: Buffer, size: SizeSpec, form: FormSpec, max: number): Buffer {
  const target = { "as-is": 0, "max-1": max - 1, max, "max+1": max + 1, double: 2 * max }[size];
  if (content.byteLength >= target) return content;
  // JSON allows trailing whitespace; a form body allows empty fields.
  return Buffer.concat([content, Buffer.alloc(target - content.byteLength, form === "none" ? " " : "&")]);
}

function signatureHeaders(spec: RequestSpec, content: Buffer, secret: string): [string, string][] {
  if (spec.signature === "missing") return [];
  const valid = `sha256=${hmacHex("sha256", secret, content)}`;
  const forged = `sha256=${hmacHex("sha256", "not-the-secret", content)}`;
  const name = spec.names.signature;
  const otherCase = name === name.toLowerCase() ? name.toUpperCase() : name.toLowerCase();
  const one = (value: string): [string, string][] => [[name, value]];
  switch (spec.signature) {
    case "valid":
      return one(valid);
    case "empty":
      return one("");
    case "prefix-only":
      return one("sha256=");
    case "sha1-prefix":
      return one(valid.replace("sha256=", "sha1="));
    case "upper-prefix":
      return one(valid.replace("sha256=", "SHA256="));
    case "no-prefix":
      return one(valid.slice("sha256=".length));
    case "sha512":
      return one(`sha512=${hmacHex("sha512", secret, content)}`);
    case "sha1-header-only":
      return [["X-Hub-Signature", `sha1=${hmacHex("sha1", secret, content)}`]];
    case "truncated":
      return one(valid.slice(0, valid.length - 1 - (content.byteLength % 60)));
    case "upper-hex":
      return one(`sha256=${hmacHex("sha256", secret, content).toUpperCase()}`);
    case "whitespace":
      return one(content.byteLength % 2 === 0 ? ` ${valid}` : `${valid}\t`);
    case "other-body":
      return one(`sha256=${hmacHex("sha256", secret, Buffer.concat([content, Buffer.from(" ")]))}`);
    case "other-secret":
      return one(forged);
    case "over-lossy-decoding":
      // Signs what a UTF-8 decoder that replaces bad bytes would see, not the bytes sent.
      return one(`sha256=${hmacHex("sha256", secret, Buffer.from(content.toString("utf8"), "utf8"))}`);
    case "duplicate-valid-first":
      return [[name, valid], [otherCase, forged]];
    case "duplicate-valid-last":
      return [[name, forged], [otherCase, valid]];
    case "repeated-valid-first":
      return [[name, valid], [name, forged]];
    case "repeated-valid-last":
      return [[name, forged], [name, valid]];
  }
}

function valueHeaders(name: string, spec: HeaderValueSpec): [string, string][] {
  if (spec.kind === "missing") return [];
  if (spec.kind === "value") return [[name, spec.value]];
  const otherCase = name === name.toLowerCase() ? name.toUpperCase() : name.toLowerCase();
  return [[name, spec.values[0]], [otherCase, spec.values[1]]];
}

function deliveryHeaders(name: string, spec: DeliverySpec, ctx: BuildContext): [string, string][] {
  const id = `fuzz-${ctx.seed}-${ctx.sequence}`;
  switch (spec) {
    case "unique":
      return [[name, id]];
    case "missing":
      return [];
    case "empty":
      return [[name, ""]];
    case "duplicate":
      return valueHeaders(name, { kind: "duplicate", values: [id, `${id}-b`] });
    case "unicode":
      return [[name, `${id}-ünï-😀-${"д".repeat(64)}`]];
  }
}

function encodeBody(content: Buffer, transport: Transport): { body: string; isBase64Encoded: boolean } {
  // A string body is what API Gateway makes of the bytes: invalid UTF-8 becomes U+FFFD.
  const lossy = () => content.toString("utf8");
  const base64 = content.toString("base64");
  switch (transport) {
    case "plain":
      return { body: lossy(), isBase64Encoded: false };
    case "base64":
      return { body: base64, isBase64Encoded: true };
    case "base64-wrapped":
      return { body: `${base64.replace(/(.{76})/g, "$1\r\n")}\n`, isBase64Encoded: true };
    case "base64-corrupt": {
      // A character outside the alphabet, a cut, or padding in the middle.
      const cut = content.byteLength % 3;
      const middle = Math.floor(base64.length / 2);
      const corrupt = cut === 0 ? `${base64.slice(0, middle)}!${base64.slice(middle + 1)}` : cut === 1 ? base64.slice(0, -3) : `${base64.slice(0, middle)}=${base64.slice(middle)}`;
      return { body: corrupt, isBase64Encoded: true };
    }
    case "base64-flag-on-plain-text":
      return { body: lossy(), isBase64Encoded: true };
    case "base64-text-flag-off":
      return { body: base64, isBase64Encoded: false };
  }
}

/**
 * API Gateway REST proxy mapping of the header lines: `headers` keeps one value per name as sent
 * (the last), `multiValueHeaders` every value.
 */
function layoutHeaders(lines: readonly [string, string][], layout: HeaderLayout): Pick<APIGatewayProxyEvent, "headers" | "multiValueHeaders"> {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of lines) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  switch (layout) {
    case "both":
      return { headers: single, multiValueHeaders: multi };
    case "headers-only":
      return { headers: single, multiValueHeaders: {} };
    case "multi-value-only":
      return { headers: null as unknown as APIGatewayProxyEvent["headers"], multiValueHeaders: multi };
    case "none":
      return { headers: null as unknown as APIGatewayProxyEvent["headers"], multiValueHeaders: null as unknown as APIGatewayProxyEvent["multiValueHeaders"] };
  }
}

/** The API Gateway proxy event a spec describes. */
export function buildRequest(spec: RequestSpec, ctx: BuildContext): APIGatewayProxyEvent {
  const text = payloadText(spec, ctx);
  let content: Buffer = Buffer.alloc(0);
  let body: string | null = null;
  let isBase64Encoded = false;
  if (text !== null) {
    content = Buffer.from(formBody(spec.form, applyText(text, spec.textMutations)), "utf8");
    if (spec.byteMutation !== null) {
      const i = at(content.byteLength, spec.byteMutation.at);
      content = Buffer.concat([content.subarray(0, i), Buffer.from(spec.byteMutation.bytes), content.subarray(i)]);
    }
    content = padTo(content, spec.size, spec.form, ctx.maxBodyBytes);
    ({ body, isBase64Encoded } = encodeBody(content, spec.transport));
  }

  const contentType = spec.contentType === "matching" ? (spec.form === "none" ? "application/json" : FORM_TYPE) : spec.contentType;
  const lines: [string, string][] = [
    ...(spec.noiseHeaders ? ([["User-Agent", "GitHub-Hookshot/abc123"], ["X-GitHub-Hook-ID", "123"], ["Content-Length", "1"]] as [string, string][]) : []),
    ...signatureHeaders(spec, content, ctx.secret),
    ...(spec.alsoSha1 ? ([["X-Hub-Signature", `sha1=${hmacHex("sha1", ctx.secret, content)}`]] as [string, string][]) : []),
    ...valueHeaders(spec.names.event, spec.event),
    ...deliveryHeaders(spec.names.delivery, spec.delivery, ctx),
    ...(contentType === null ? [] : ([[spec.names.contentType, contentType]] as [string, string][])),
  ];
  return { ...apiGatewayEvent({ body, headers: {}, isBase64Encoded }), ...layoutHeaders(lines, spec.layout) };
}
