import { describe, expect, it } from "vitest";
import { readConfiguration, type ModuleFile } from "../../stacks/emit/configuration.js";
import { printFile } from "../../stacks/emit/hcl.js";
import type { JsonObject } from "../../stacks/emit/json-syntax.js";
import type { ProviderBlocks } from "../../stacks/emit/provider-schema.js";
import { groupVariables } from "../../stacks/emit/variable-groups.js";

const SCHEMA: ProviderBlocks = {
  version: "5.100.0",
  resources: { aws_sqs_queue: { blocks: {} }, aws_lambda_function: { blocks: { environment: { blocks: {} } } } },
  dataSources: { aws_region: { blocks: {} } },
};

const at = (path: string) => ({ "//": { metadata: { path: `stack/${path}`, uniqueId: "x" } } });

const FILES: ModuleFile[] = [
  { file: "webhook.tf", constructs: ["runners/webhook"] },
  { file: "queues.tf", constructs: ["runners/job", "runners/webhook/queue"] },
];

const CONFIG: JsonObject = {
  "//": { metadata: { stackName: "stack" } },
  provider: { aws: [{ region: "eu-west-1" }] },
  terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" } }, backend: { local: {} } },
  locals: { enabled: "${var.enable}" },
  data: { aws_region: { current: { ...at("runners/current/region") } } },
  resource: {
    aws_sqs_queue: {
      jobs: { ...at("runners/job/queue"), name: "${var.prefix}-jobs" },
      hooks: { ...at("runners/webhook/queue/q"), name: "hooks" },
    },
    aws_lambda_function: { webhook: { ...at("runners/webhook/function"), environment: { variables: { A: "1" } } } },
  },
  variable: {
    prefix: {
      validation: [{ condition: "${length(var.prefix) > 1}", error_message: "prefix is too short: ${var.prefix}." }],
      default: "sr-${x}",
      type: "string",
      description: "Name prefix; may not hold ${ or %{.",
      nullable: false,
    },
    enable: { type: "bool", default: { "${k}": ["a"] } },
  },
  output: { url: { value: "${aws_sqs_queue.jobs.url}", description: "Queue ${url}.", sensitive: true } },
};

describe("readConfiguration", () => {
  const configuration = readConfiguration(CONFIG, SCHEMA, FILES);
  const file = (name: string) => printFile(configuration.files.get(name) ?? []);

  it("puts each resource in the file of the longest listed construct path, the rest in main.tf", () => {
    expect([...configuration.files.keys()].sort()).toEqual(["main.tf", "queues.tf", "webhook.tf"]);
    expect(file("queues.tf")).toContain('resource "aws_sqs_queue" "jobs"');
    expect(file("queues.tf")).toContain('resource "aws_sqs_queue" "hooks"');
    expect(file("webhook.tf")).toContain('resource "aws_lambda_function" "webhook"');
    expect(file("main.tf")).toMatch(/^locals \{\n {2}enabled = var.enable\n\}\n\ndata "aws_region" "current" \{\}\n$/);
  });

  it("leaves out providers, backends and required_providers", () => {
    const all = [...configuration.files.values()].map((blocks) => printFile(blocks)).join("");
    expect(all).not.toMatch(/provider|backend|required_providers/);
  });

  it("writes variables with literal descriptions and defaults, a raw type and validation blocks, in the usual order", () => {
    const prefix = printFile([configuration.variables[0].block]);
    expect(prefix).toBe(
      [
        'variable "prefix" {',
        '  description = "Name prefix; may not hold $${ or %%{."',
        "  type = string",
        '  default = "sr-$${x}"',
        "  nullable = false",
        "",
        "  validation {",
        "    condition = length(var.prefix) > 1",
        '    error_message = "prefix is too short: ${var.prefix}."',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    expect(printFile([configuration.variables[1].block])).toContain('default = {\n"$${k}" = ["a"]\n}');
    expect(configuration.variables.map((v) => v.doc)).toEqual([
      { name: "prefix", type: "string", description: "Name prefix; may not hold ${ or %{.", hasDefault: true, default: "sr-${x}", sensitive: false, nullable: false },
      { name: "enable", type: "bool", description: undefined, hasDefault: true, default: { "${k}": ["a"] }, sensitive: false, nullable: true },
    ]);
  });

  it("writes outputs with a literal description and an expression value", () => {
    expect(printFile([configuration.outputs[0].block])).toBe('output "url" {\n  description = "Queue $${url}."\n  value = aws_sqs_queue.jobs.url\n  sensitive = true\n}\n');
    expect(configuration.outputs[0].doc).toEqual({ name: "url", description: "Queue ${url}.", sensitive: true });
  });

  it.each<[string, JsonObject, RegExp]>([
    ["a resource needs another provider", { resource: { random_pet: { p: { ...at("p") } } } }, /needs the "random" provider/],
    ["the provider has no such resource type", { resource: { aws_nope: { p: {} } } }, /hashicorp\/aws 5.100.0 has no resource type aws_nope/],
    ["an import block is given", { import: [{ to: "aws_sqs_queue.q", id: "x" }] }, /only allowed in a root module/],
    ["an element kind is unknown", { ephemeral: {} }, /does not know how to write a "ephemeral" element/],
    ["a check holds more than assert blocks", { check: { c: { data: {} } } }, /check.c: the emitter writes only assert blocks, got data/],
    ["a variable argument is unknown", { variable: { v: { secret: true } } }, /unknown variable argument secret/],
  ])("fails when %s", (_name, json, message) => {
    expect(() => readConfiguration(json, SCHEMA)).toThrow(message);
  });

  it.each<[string, ModuleFile[], RegExp]>([
    ["a file name is reserved", [{ file: "variables.tf", constructs: ["a"] }], /module file variables.tf/],
    ["a construct is mapped to two files", [{ file: "a.tf", constructs: ["x"] }, { file: "b.tf", constructs: ["x"] }], /mapped to both a.tf and b.tf/],
  ])("fails when %s", (_name, files, message) => {
    expect(() => readConfiguration({}, SCHEMA, files)).toThrow(message);
  });
});

describe("groupVariables", () => {
  const variables = ["vpc_id", "prefix", "subnet_ids", "tags"].map((name) => ({ doc: { name }, block: { kind: "block" as const, type: "variable", labels: [name], body: [] } }));
  const banners = (items: ReturnType<typeof groupVariables>) =>
    items.map((item) => (item.kind === "comment" ? item.text : item.kind === "block" ? item.labels[0] : "?"));

  it("prints the groups in their order under banners, then the rest under Other", () => {
    const items = groupVariables(variables, [
      { title: "Networking", variables: ["subnet_ids", "vpc_id"] },
      { title: "Empty", variables: [] },
      { title: "Naming", variables: ["prefix"] },
    ]);
    expect(banners(items)).toEqual(["---------- Networking ----------", "subnet_ids", "vpc_id", "---------- Naming ----------", "prefix", "---------- Other ----------", "tags"]);
    expect(printFile(items)).toContain('# ---------- Networking ----------\nvariable "subnet_ids" {}\n\nvariable "vpc_id" {}\n\n# ---------- Naming');
  });

  it("prints no banners without groups", () => {
    expect(banners(groupVariables(variables))).toEqual(["vpc_id", "prefix", "subnet_ids", "tags"]);
  });

  it("fails when a group names a variable the stack does not declare", () => {
    expect(() => groupVariables(variables, [{ title: "Networking", variables: ["vpc"] }])).toThrow(/names vpc, which the stack does not declare/);
  });

  it("fails when a variable is in two groups", () => {
    expect(() => groupVariables(variables, [{ title: "A", variables: ["tags"] }, { title: "B", variables: ["tags"] }])).toThrow(/tags is in more than one group/);
  });
});
