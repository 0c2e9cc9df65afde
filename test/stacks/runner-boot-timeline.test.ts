import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Language, Parser, type Node } from "web-tree-sitter";
import { renderRunnerBootstrap } from "../../stacks/runner-bootstrap.js";
import { BOOT_OPTIONS, runBootstrap } from "../helpers/runner-boot.js";
import { REPO_ROOT } from "../helpers/paths.js";

// Boot time per OS from a SIMULATED timeline: the steps are the ones each bootstrap really takes (the
// stubbed runs' call logs for Linux, the parse tree's commands for Windows), and each step costs what
// the tables below ASSUME, not what was measured here (nothing here boots an instance). The tables are
// typical figures for a current-generation instance in a VPC with the S3 and DynamoDB gateway endpoints;
// change them when real BootToRegistration figures say otherwise. The table in docs/runner-hosts.md is
// this test's output (UPDATE_DOCS=1 rewrites it).

/** Assumed seconds from `running` to the user data starting (kernel, cloud-init; EC2Launch v2 on Windows). */
const BEFORE_USER_DATA = { al2023: 12, ubuntu: 20, windows: 150 } as const;

/** Assumed seconds per Linux step, by the stubbed command it logs (first match); unlisted steps cost 0. */
const LINUX_STEPS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^dnf install -y -q amazon-cloudwatch-agent/, 6],
  [/^dnf install/, 20],
  [/^apt-get .* update$/, 8],
  [/^apt-get .* install/, 30],
  [/^curl .*amazon-cloudwatch-agent\.deb/, 2],
  [/^dpkg -i/, 4],
  // The AWS CLI (~60 MB) from the bucket by the signed GET, after its manifest; AWS's download only with the fallback.
  [/^s3-get .*awscli-exe-linux/, 3],
  [/^s3-get /, 0.3],
  [/^curl .*awscli\.amazonaws\.com/, 4],
  [/^aws-cli-install/, 8],
  [/^amazon-cloudwatch-agent-ctl/, 2],
  // The archive (~180 MB) over the gateway endpoint, then tar: about 6 s together.
  [/^aws s3 cp .*\.tar\.gz/, 6],
  [/^installdependencies\.sh/, 15],
  // Every other AWS CLI call: the CLI's own start-up dominates.
  [/^aws /, 0.8],
  [/^sleep/, 3],
  // From run.sh to "Listening for Jobs" (the registration mark).
  [/^run\.sh/, 8],
];

/** Assumed seconds per Windows command (the first AWS Tools cmdlet also loads its module). */
const WINDOWS_STEPS: Readonly<Record<string, number>> = {
  "Read-S3Object": 3,
  // The pool's customization document: a small object, read on every boot (baked image or not).
  "Read-S3Object (customization)": 0.5,
  "Get-FileHash": 1,
  "Expand-Archive": 20,
  "Get-DDBItem": 0.5,
  "Update-DDBItem": 0.5,
  "Invoke-KMSDecrypt": 0.5,
  "run.cmd": 12,
};
const AWS_TOOLS_IMPORT_SECONDS = 6;

const linuxFigures = new Map<string, number>();

/** One stubbed boot per host and image, shared by both tests (the boot is the same; it costs a tenth of a second of CPU). */
function linuxSeconds(host: "al2023" | "ubuntu-24.04", baked: boolean): number {
  const known = linuxFigures.get(`${host} ${baked}`);
  if (known !== undefined) return known;
  const figure = bootSeconds(host, baked);
  linuxFigures.set(`${host} ${baked}`, figure);
  return figure;
}

function bootSeconds(host: "al2023" | "ubuntu-24.04", baked: boolean): number {
  const { status, calls } = runBootstrap({ host, jitAfterPolls: 1, runnerPreinstalled: baked, awsCli: baked || host === "al2023", sealed: { opens: true } });
  expect(status).toBe(0);
  const untilRegistered = calls.slice(0, calls.findIndex((c) => c.startsWith("run.sh")) + 1);
  const steps = untilRegistered.reduce((sum, call) => sum + (LINUX_STEPS.find(([pattern]) => pattern.test(call))?.[1] ?? 0), 0);
  return BEFORE_USER_DATA[host === "al2023" ? "al2023" : "ubuntu"] + steps;
}

let windowsCommands: string[];
beforeAll(async () => {
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(`${REPO_ROOT}/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm`));
  const script = renderRunnerBootstrap(BOOT_OPTIONS, "windows").replace(/^<powershell>\n/, "").replace(/<\/powershell>\n$/, "");
  windowsCommands = (parser.parse(script)?.rootNode.descendantsOfType("command") ?? []).flatMap((node: Node | null) => {
    const name = node === null ? undefined : (node.childForFieldName("command_name") ?? node.firstChild)?.text;
    if (name === undefined) return [];
    if (name === "Read-S3Object" && node?.text.includes("$CustomizationKey")) return ["Read-S3Object (customization)"];
    return [name.includes("'run.cmd'") ? "run.cmd" : name];
  });
});

function windowsSeconds(baked: boolean): number {
  const download = new Set(["Read-S3Object", "Get-FileHash", "Expand-Archive"]);
  const steps = windowsCommands.slice(0, windowsCommands.indexOf("run.cmd") + 1).filter((name) => !(baked && download.has(name)));
  // One poll of the item, one read of the job key: the polling loop's Get-DDBItem counts once per call site.
  return BEFORE_USER_DATA.windows + AWS_TOOLS_IMPORT_SECONDS + steps.reduce((sum, name) => sum + (WINDOWS_STEPS[name] ?? 0), 0);
}

function table(): string {
  const rows: Array<[string, string, number]> = [
    ["Amazon Linux 2023", "stock AMI, runner from the bucket", linuxSeconds("al2023", false)],
    ["Amazon Linux 2023", "runner baked into the AMI", linuxSeconds("al2023", true)],
    ["Ubuntu 24.04 (22.04 alike)", "Canonical's AMI: AWS CLI and runner from the bucket", linuxSeconds("ubuntu-24.04", false)],
    ["Ubuntu 24.04 (22.04 alike)", "AWS CLI and runner baked into the AMI", linuxSeconds("ubuntu-24.04", true)],
    ["Windows Server 2022", "stock AMI, runner from the bucket", windowsSeconds(false)],
    ["Windows Server 2022", "runner baked into the AMI", windowsSeconds(true)],
  ];
  return [
    "| host | image | simulated seconds from `running` to registered |",
    "| --- | --- | ---: |",
    ...rows.map(([host, image, seconds]) => `| ${host} | ${image} | ${Math.round(seconds)} |`),
  ].join("\n");
}

const DOC = join(REPO_ROOT, "docs", "runner-hosts.md");
const MARKERS = ["<!-- boot-timeline:start -->\n", "\n<!-- boot-timeline:end -->"] as const;

describe("simulated boot timeline per OS", () => {
  it("orders the hosts as their steps say: a baked image is faster than a stock one, Amazon Linux faster than Ubuntu, Windows slowest", () => {
    const [alStock, alBaked, ubuntuStock, ubuntuBaked] = [linuxSeconds("al2023", false), linuxSeconds("al2023", true), linuxSeconds("ubuntu-24.04", false), linuxSeconds("ubuntu-24.04", true)];
    expect(alBaked).toBeLessThan(alStock);
    expect(ubuntuBaked).toBeLessThan(ubuntuStock);
    expect(alStock).toBeLessThan(ubuntuStock);
    expect(windowsSeconds(true)).toBeLessThan(windowsSeconds(false));
    expect(windowsSeconds(true)).toBeGreaterThan(ubuntuStock);
  });

  it("is the table docs/runner-hosts.md shows", () => {
    const doc = readFileSync(DOC, "utf8");
    const start = doc.indexOf(MARKERS[0]) + MARKERS[0].length;
    const end = doc.indexOf(MARKERS[1]);
    expect(start).toBeGreaterThan(MARKERS[0].length - 1);
    const expected = table();
    if (process.env.UPDATE_DOCS === "1") writeFileSync(DOC, doc.slice(0, start) + expected + doc.slice(end));
    else expect(doc.slice(start, end)).toBe(expected);
  });
});
