import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchDir } from "../helpers/paths.js";
import { hostJq, installRememberedJq } from "../helpers/remembered-jq.js";
import { installMachineClock } from "../helpers/boot-stubs.js";

// Stubs of the stubbed boots (test/helpers/runner-boot.ts) that stand in for real commands. The
// remembering jq in front of the host's answers a repeat of a call from the record of the first: it must
// answer exactly as jq does, and run jq again whenever anything that could change the answer differs. The
// machine clock makes `sleep` pass on `date +%s` without waiting.

const CUSTOMIZATION = '{"pre_install_script":"","extra_packages":["htop","jq"],"job_environment":{"A":"1","B":"x y"},"use_instance_store":false}\n';
const RELEASE = '{"version":"2.331.0","assets":{"linux-x64":{"key":"runner/v2.331.0/a.tar.gz","sha256":"abc"}}}';

/** A machine with the remembering jq in front of `jq`; `run` returns what the caller sees. */
function machine(jq = hostJq()) {
  const dir = scratchDir("remembered-jq");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  mkdirSync(join(dir, "records"));
  installRememberedJq(bin, jq, join(dir, "records"));
  const run = (args: string[], input?: string) => {
    const result = spawnSync(join(bin, "jq"), args, { input, encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  return { dir, run };
}

/** A "jq" that logs each start, then runs the host's. */
function countingJq(dir: string): { path: string; starts: () => number } {
  const path = join(dir, "counting-jq");
  const log = join(dir, "starts.log");
  writeFileSync(log, "");
  writeFileSync(path, `#!/bin/sh\necho start >> "${log}"\nexec "${hostJq()}" "$@"\n`);
  chmodSync(path, 0o755);
  return { path, starts: () => readFileSync(log, "utf8").split("\n").filter((l) => l !== "").length };
}

// The shapes of the bootstraps' calls (stacks/templates/runner-bootstrap*.sh.tftpl), with failures.
const CALLS: ReadonlyArray<readonly [string, string[], string | undefined]> = [
  ["a field, joined", ["-j", "--arg", "f", "extra_packages", 'if (.[$f] | type) == "array" then .[$f] | join("\\n") else .[$f] // "" end'], CUSTOMIZATION],
  ["a raw field", ["-r", ".use_instance_store"], CUSTOMIZATION],
  ["entries", ["-r", '.job_environment // {} | to_entries[] | "\\(.key)=\\(.value)"'], CUSTOMIZATION],
  ["built without input", ["-cn", "--arg", "arn", "arn:aws:ec2:eu-west-1:1:instance/i-1", "{pk: {S: $arn}}"], undefined],
  ["-e on a present key", ["-er", "--arg", "p", "linux-x64", ".assets[$p].key"], RELEASE],
  ["-e on a missing key (exit 1)", ["-er", "--arg", "p", "linux-arm64", ".assets[$p].key"], RELEASE],
  ["-e on index", ["-e", "--arg", "p", "gradle", "index($p)"], '["bazel","gradle"]'],
  ["not JSON (exit 2, an error)", ["-r", ".accountId"], "{not json"],
  ["a broken filter (exit 3)", ["-r", ".[["], "{}"],
  ["no input", ["-r", ".accountId"], ""],
];

describe("the remembering jq of the stubbed boots", () => {
  it.each(CALLS)("answers %s as jq does, first and on a repeat", (_name, args, input) => {
    const { run } = machine();
    const real = spawnSync(hostJq(), args, { input, encoding: "utf8" });
    const expected = { status: real.status, stdout: real.stdout, stderr: real.stderr };
    expect(run(args, input)).toEqual(expected);
    expect(run(args, input)).toEqual(expected);
  });

  it("answers a file argument as jq does, and runs jq again when the file's contents change", () => {
    const { dir } = machine();
    const jq = countingJq(dir);
    const { run } = machine(jq.path);
    const file = join(dir, "release.json");
    writeFileSync(file, RELEASE);
    const args = ["-ec", "--arg", "p", "linux-x64", ".assets[$p]", file];
    const real = spawnSync(hostJq(), args, { encoding: "utf8" }).stdout;
    expect([run(args).stdout, run(args).stdout, jq.starts()]).toEqual([real, real, 1]);
    writeFileSync(file, RELEASE.replace("abc", "def"));
    expect(run(args).stdout).toContain('"def"');
    expect(jq.starts()).toBe(2);
  });

  it("runs jq once per distinct call: a repeat starts no jq, another input or argument does", () => {
    const { dir } = machine();
    const jq = countingJq(dir);
    const { run } = machine(jq.path);
    for (let i = 0; i < 3; i += 1) run(["-r", ".use_instance_store"], CUSTOMIZATION);
    expect(jq.starts()).toBe(1);
    run(["-r", ".use_instance_store"], CUSTOMIZATION.replace("false", "true"));
    run(["-j", ".use_instance_store"], CUSTOMIZATION);
    run(["-rn", ".use_instance_store"], CUSTOMIZATION);
    expect(jq.starts()).toBe(4);
  });

  it("always runs jq for what its record cannot hold: env, now, unknown options, NUL bytes in the input", () => {
    const { dir } = machine();
    const jq = countingJq(dir);
    const { run } = machine(jq.path);
    for (let i = 0; i < 2; i += 1) {
      expect(run(["-rn", "env | type"]).stdout).toBe("object\n");
      run(["-rn", "$ENV.PATH"]);
      run(["-n", "now"]);
      run(["--tab", "."], "{}");
      expect(run(["-r", "."], '"a"\u0000"b"').stdout).toBe(spawnSync(hostJq(), ["-r", "."], { input: '"a"\u0000"b"', encoding: "utf8" }).stdout);
    }
    expect(jq.starts()).toBe(10);
  });
});

describe("the machine clock of the stubbed boots", () => {
  it("date +%s moves by what sleep slept, on top of the host's time; other dates are the host's", () => {
    const dir = scratchDir("machine-clock");
    const bin = join(dir, "bin");
    mkdirSync(bin);
    installMachineClock(bin);
    const env = { PATH: `${bin}:/usr/bin:/bin`, CALLS: join(dir, "calls.log"), SLEPT: join(dir, "slept") };
    const { stdout } = spawnSync("bash", ["-c", "a=$(date +%s); sleep 3; sleep 600; b=$(date +%s); echo $((b - a)); date -u -d @0 +%Y"], { env, encoding: "utf8" });
    const [elapsed, year] = stdout.trim().split("\n");
    expect(Number(elapsed)).toBeGreaterThanOrEqual(603);
    expect(Number(elapsed)).toBeLessThan(610);
    expect(year).toBe("1970");
    expect(readFileSync(env.CALLS, "utf8")).toBe("sleep 3\nsleep 600\n");
  });
});
