import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Language, Parser, type Node } from "web-tree-sitter";
import { RUNNER_PLATFORMS } from "../../contracts/runner-binaries.js";
import { JIT_ENCRYPTION_CONTEXT_KEY } from "../../contracts/scale-up.js";
import { renderRunnerBootstrap } from "../../stacks/runner-bootstrap.js";
import { BOOT_OPTIONS, USER_DATA_LIMIT_BYTES } from "../helpers/runner-boot.js";
import { REPO_ROOT } from "../helpers/paths.js";

// The Windows bootstrap cannot run here: there is no PowerShell for Debian from its archive or npm, and
// PSScriptAnalyzer needs PowerShell. So it is PARSED, not run: tree-sitter-powershell must read it
// without a syntax error, and its contract is checked on the parse tree (which commands it runs, with
// which arguments, in which order), against the same contract the Linux bootstraps are run against.
// What a parse cannot prove (the AWS Tools cmdlets' behaviour on a real instance) is not proven here.

const userData = renderRunnerBootstrap(BOOT_OPTIONS, "windows");
const script = userData.replace(/^<powershell>\n/, "").replace(/<\/powershell>\n$/, "");

let parser: Parser;
beforeAll(async () => {
  await Parser.init();
  parser = new Parser();
  parser.setLanguage(await Language.load(`${REPO_ROOT}/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm`));
});

interface Command {
  readonly name: string;
  readonly text: string;
  readonly row: number;
}

/** Every command of a script, in source order, with its name and whole text. */
function commands(source: string): Command[] {
  const tree = parser.parse(source);
  if (tree === null) throw new Error("no parse tree");
  return tree.rootNode.descendantsOfType("command").flatMap((node: Node | null) => {
    if (node === null) return [];
    const name = node.childForFieldName("command_name") ?? node.firstChild;
    return [{ name: name?.text.replace(/^\((Join-Path \$RunnerDir '([^']+)')\)$/, "$2") ?? "", text: node.text, row: node.startPosition.row }];
  });
}

const hasError = (source: string): boolean => parser.parse(source)?.rootNode.hasError ?? true;

/** Index of the first command named `name` whose text contains `part`. */
function indexOf(list: readonly Command[], name: string, part = ""): number {
  const index = list.findIndex((c) => c.name === name && c.text.includes(part));
  if (index < 0) throw new Error(`no ${name} command containing ${part}`);
  return index;
}

describe("Windows runner bootstrap (PowerShell user data, parse-checked)", () => {
  it("is PowerShell for EC2Launch v2 that parses without a syntax error, a check that does catch one", () => {
    expect(userData.startsWith("<powershell>\n") && userData.endsWith("</powershell>\n")).toBe(true);
    expect(hasError(script)).toBe(false);
    // The parser is not lenient: an unclosed block is a syntax error.
    expect(hasError(script.replace(/\}\s*finally \{/, " finally {"))).toBe(true);
  });

  it("fits EC2's 16 KB user data limit", () => {
    expect(Buffer.byteLength(userData)).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });

  it("arms the watchdog, reads the pool's document, runs pre_install_script, installs the runner from the bucket with its SHA-256, writes the pool's hooks and .env, runs post_install_script, waits for its own config, clears it, decrypts it, runs one job, then shuts down", () => {
    const list = commands(script);
    const order = [
      indexOf(list, "shutdown.exe", "/s /t ($IdleMinutes * 60)"),
      indexOf(list, "Invoke-RestMethod", "latest/api/token"),
      indexOf(list, "Read-S3Object", "-Key $CustomizationKey"),
      indexOf(list, "Invoke-CustomScript", "'pre_install_script'"),
      indexOf(list, "Initialize-Disk", "-PartitionStyle GPT"),
      indexOf(list, "$choco.Source", "install -y --no-progress"),
      indexOf(list, "Read-S3Object", "resolved-version.json"),
      indexOf(list, "Read-S3Object", "-Key $asset.key"),
      indexOf(list, "Get-FileHash", "-Algorithm SHA256"),
      indexOf(list, "Expand-Archive"),
      indexOf(list, "Set-Content", "'pool-job-started.ps1'"),
      indexOf(list, "Add-Content", "'.env'"),
      indexOf(list, "New-Item", "-ItemType Junction"),
      indexOf(list, "Invoke-CustomScript", "'post_install_script'"),
      indexOf(list, "Get-DDBItem", "'jitConfig'"),
      indexOf(list, "Update-DDBItem", "-UpdateExpression 'REMOVE jitConfig'"),
      indexOf(list, "Invoke-KMSDecrypt"),
      indexOf(list, "run.cmd", "--jitconfig $Jit"),
      indexOf(list, "shutdown.exe", "/s /t 0"),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The last command of all: whatever happened, the instance ends (it is in the finally block).
    expect(list.at(-1)?.text).toBe("& shutdown.exe /s /t 0 /f");
    expect(script).toMatch(/\} finally \{\n(?:.*\n){0,3}\s*& shutdown\.exe \/s \/t 0 \/f\n\}\n$/);
  });

  it("reads and clears only its own item, keyed by its instance ARN, with consistent reads and a boot deadline", () => {
    const list = commands(script);
    expect(script).toContain("$InstanceArn = \"arn:$Partition`:ec2:$Region`:$Account`:instance/$InstanceId\"");
    expect(script).toContain("$Key = @{ pk = $InstanceArn } | ConvertTo-DDBItem");
    for (const c of list.filter((c) => c.name.endsWith("-DDBItem") && c.name !== "ConvertTo-DDBItem" && c.name !== "ConvertFrom-DDBItem")) {
      expect(c.text).toContain(`-TableName $Table -Key $Key`);
    }
    expect(list.filter((c) => c.name === "Get-DDBItem").every((c) => c.text.includes("-ConsistentRead $true"))).toBe(true);
    expect(script).toContain("$deadline = (Get-Date).AddSeconds($BootTimeoutSeconds)");
    expect(list[indexOf(list, "Start-Sleep")]?.text).toBe("Start-Sleep -Seconds 3");
  });

  it("opens a sealed configuration with KMS only under its own instance ARN, as scale-up sealed it", () => {
    const decrypt = commands(script).find((c) => c.name === "Invoke-KMSDecrypt");
    expect(decrypt?.text).toContain(`-EncryptionContext @{ '${JIT_ENCRYPTION_CONTEXT_KEY}' = $InstanceArn }`);
    // `aws kms decrypt --output text` prints the plaintext as base64: the encoded JIT config run.sh takes.
    expect(script).toContain("$Jit = [Convert]::ToBase64String($plain.Plaintext.ToArray())");
  });

  it("downloads the Windows runner the syncer copies, never from GitHub", () => {
    expect(script).toContain('.assets."win-$RunnerArch"');
    expect(Object.keys(RUNNER_PLATFORMS)).toContain(`win-${BOOT_OPTIONS.architecture}`);
    expect(script).not.toMatch(/github\.com|api\.github/i);
    expect(commands(script).filter((c) => c.name === "Invoke-WebRequest")).toEqual([]);
  });

  it("writes the marks of the Linux bootstraps, with the same reasons on failure", () => {
    const linux = readFileSync(`${REPO_ROOT}/stacks/templates/runner-bootstrap.sh.tftpl`, "utf8");
    const reasons = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]).sort();
    // fail_boot's "$1" reasons are the pool customization's, compared below.
    const linuxReasons = reasons(linux, /\\"reason\\":\\"([^\\]+)\\"/g).filter((reason) => reason !== "$1");
    expect(reasons(script, /reason = '([^']+)'/g)).toEqual(linuxReasons);
    // The customization's reasons: fail_boot's (Stop-Boot's) and "<script> failed", extra_packages' included.
    const linuxCustomization = [...reasons(linux, /fail_boot "([^"$]+)"/g), ...reasons(linux, /^run_custom_script (\w+)$/gm).map((field) => `${field} failed`)];
    const windowsCustomization = [...reasons(script, /Stop-Boot '([^']+)'/g), ...reasons(script, /Invoke-CustomScript '(\w+)'/g).map((field) => `${field} failed`)];
    expect(windowsCustomization.sort()).toEqual(linuxCustomization.sort());
    expect(script).toContain('if ($LASTEXITCODE -ne 0) { Stop-Boot "$Field failed" }');
    const marks = commands(script).filter((c) => c.name === "Write-Mark").map((c) => c.text.split(" ")[1]);
    expect(new Set(marks)).toEqual(new Set(["'registration_failed'", "'registered'"]));
    expect(script).toContain("if (-not $registered -and \"$_\" -like '*Listening for Jobs*')");
  });

  it("cancels the watchdog when the job starts and marks job start and end through the runner's hooks", () => {
    const hooks = [...script.matchAll(/Set-Content -Path \(Join-Path \$RunnerDir '([^']+)'\) -Value @'\n([\s\S]*?)\n'@/g)].map((m) => [m[1], m[2]] as const);
    expect(hooks.map(([name]) => name)).toEqual(["job-started.ps1", "job-completed.ps1"]);
    for (const [, body] of hooks) expect(hasError(body)).toBe(false);
    const started = commands(hooks[0]?.[1] ?? "");
    expect(started.map((c) => c.name)).toEqual(["shutdown.exe", "Add-Content", "Join-Path", "Test-Path", "$poolHook"]);
    expect(started[0]?.text).toBe("& shutdown.exe /a");
    expect(hooks[1]?.[1]).toContain('`"event`":`"job_completed`"');
    expect(script).toContain("$env:ACTIONS_RUNNER_HOOK_JOB_STARTED = Join-Path $RunnerDir 'job-started.ps1'");
  });

  it("hands each kit hook over to the pool's own (.ps1), whose exit status is the hook's, and appends job_environment to the runner's .env", () => {
    const hooks = [...script.matchAll(/Set-Content -Path \(Join-Path \$RunnerDir '(job-[a-z]+\.ps1)'\) -Value @'\n([\s\S]*?)\n'@/g)].map((m) => [m[1], m[2]] as const);
    for (const [name, body] of hooks) {
      const pool = `pool-${name}`;
      expect(body, name).toContain(`$poolHook = Join-Path $PSScriptRoot '${pool}'`);
      // A pool script that ends without `exit` must not inherit shutdown.exe's exit code.
      expect(body.split("\n").at(-1), name).toBe("if (Test-Path $poolHook) { $global:LASTEXITCODE = 0; & $poolHook; exit $LASTEXITCODE }");
      const field = name === "job-started.ps1" ? "job_started_hook" : "job_completed_hook";
      expect(script).toContain(`if ($Custom.${field}) { Set-Content -Path (Join-Path $RunnerDir '${pool}') -Value $Custom.${field} }`);
    }
    expect(script).toContain("foreach ($variable in $Custom.job_environment.PSObject.Properties) { Add-Content -Path (Join-Path $RunnerDir '.env') -Value \"$($variable.Name)=$($variable.Value)\" }");
  });

  it("runs the pool's scripts from files with PowerShell, and ends the instance when the document cannot be read", () => {
    const run = commands(script).find((c) => c.name === "powershell.exe");
    expect(run?.text).toBe("& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $file");
    expect(script).toMatch(/Read-S3Object -Region \$Region -BucketName \$BinariesBucket -Key \$CustomizationKey -File \$document \| Out-Null\n\s*\$Custom = Get-Content -Raw \$document \| ConvertFrom-Json\n\s*\} catch \{ Stop-Boot 'pool customization not readable' \}/);
    expect(userData).toContain(`$CustomizationKey = '${BOOT_OPTIONS.customizationKey}'`);
  });

  it("installs extra_packages with the AMI's Chocolatey after pre_install_script, and ends the boot with the Linux reason when choco is missing or fails", () => {
    const list = commands(script);
    const install = list[indexOf(list, "$choco.Source")];
    expect(install?.text).toBe("& $choco.Source install -y --no-progress @($Custom.extra_packages)");
    expect(script).toContain("$choco = Get-Command choco.exe -ErrorAction SilentlyContinue");
    // No Chocolatey, or an exit code other than its successes (0, or 1641/3010: a reboot pending), is the failure.
    expect(script).toContain("if (-not $choco -or $LASTEXITCODE -notin 0, 1641, 3010) { Stop-Boot 'extra_packages not installed' }");
    expect(script).toContain("Write-Output 'customization: extra_packages need choco.exe on the AMI'");
    // Nothing is fetched from the internet to install Chocolatey itself.
    expect(script).not.toMatch(/chocolatey\.org|Invoke-Expression|iex /i);
    expect(install?.row).toBeLessThan(list[indexOf(list, "Read-S3Object", "resolved-version.json")]?.row ?? 0);
  });

  it("with use_instance_store, formats every RAW instance-store NVMe disk (GPT, NTFS) and puts the runner's _work on the first; none found is a log line", () => {
    const list = commands(script);
    expect(script).toContain("Get-Disk | Where-Object { $_.FriendlyName -eq 'NVMe Amazon EC2 NVMe' -and $_.PartitionStyle -eq 'RAW' }");
    expect(list[indexOf(list, "Initialize-Disk")]?.text).toBe("Initialize-Disk -Number $disk.Number -PartitionStyle GPT");
    expect(list[indexOf(list, "New-Partition")]?.text.trim()).toBe("New-Partition -DiskNumber $disk.Number -UseMaximumSize -AssignDriveLetter");
    expect(list[indexOf(list, "Format-Volume")]?.text).toContain("Format-Volume -FileSystem NTFS");
    expect(script).toContain('if (-not $StoreDir) { $StoreDir = "$($volume.DriveLetter):\\work" }');
    expect(script).toContain("Write-Output 'customization: no instance store found, the runner works on the root volume'");
    // Only behind the pool's flag; the junction only when a store was mounted.
    expect(script).toMatch(/if \(\$Custom\.use_instance_store\) \{\n\s*\$stores = /);
    expect(list[indexOf(list, "New-Item", "Junction")]?.text.trim()).toBe("New-Item -ItemType Junction -Path (Join-Path $RunnerDir '_work') -Target $StoreDir");
    expect(script).toMatch(/if \(\$StoreDir\) \{\n\s*Remove-Item -Recurse -Force -Path \(Join-Path \$RunnerDir '_work'\)/);
  });
});
