// The deploy Action: terraform init, plan and (where allowed) apply of one root; see ../action.yml.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { appendSummary, error, getInput, getMultilineInput, group, setOutput } from "../../lib/action-io.js";
import { DeployInputError, TerraformFailedError, decideApply, outputValue, parseApplyMode, terraformCommands } from "./decide.js";
import { isProtectedEnvironment } from "./github.js";

const PLAN_FILE = "tfplan";

function defaultBranchOf(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH ?? "", "utf8")) as { repository?: { default_branch?: string } };
    return event.repository?.default_branch;
  } catch {
    return undefined;
  }
}

/** Runs terraform in `cwd`, its output streamed to the log (or captured), and returns the exit code. */
function terraform(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, capture = false): { status: number; stdout: string } {
  const result = spawnSync("terraform", args, {
    cwd,
    env: { ...env, TF_IN_AUTOMATION: "true", TF_INPUT: "false" },
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (result.error) throw new DeployInputError(`could not run terraform (${result.error.message}); install it first, e.g. hashicorp/setup-terraform with terraform_wrapper: false`);
  return { status: result.status ?? 1, stdout: result.stdout ?? "" };
}

export async function run(env: NodeJS.ProcessEnv): Promise<number> {
  const workingDirectory = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), getInput("working-directory", env) || ".");
  const environment = getInput("environment", env);
  const varFile = getInput("var-file", env);
  const mode = parseApplyMode(getInput("apply", env));
  const webhookOutput = getInput("webhook-output", env) || "webhook_url";
  if (!existsSync(workingDirectory)) throw new DeployInputError(`working-directory ${workingDirectory} does not exist`);
  if (varFile && !existsSync(resolve(workingDirectory, varFile))) throw new DeployInputError(`var-file ${varFile} does not exist in ${workingDirectory}`);

  const commands = terraformCommands({ varFile, backendConfig: getMultilineInput("backend-config", env), planFile: PLAN_FILE });
  setOutput("plan-file", join(workingDirectory, PLAN_FILE), env);

  const init = group("terraform init", () => terraform(commands.init, workingDirectory, env));
  if (init.status !== 0) throw new TerraformFailedError(`terraform init failed (exit ${init.status})`);

  const plan = group("terraform plan", () => terraform(commands.plan, workingDirectory, env));
  setOutput("plan-exitcode", String(plan.status), env);
  if (plan.status !== 0 && plan.status !== 2) {
    setOutput("applied", "false", env);
    throw new TerraformFailedError(`terraform plan failed (exit ${plan.status})`);
  }

  const protectedEnvironment =
    // Asked only when there is something to apply.
    mode === "auto" && environment !== "" && plan.status === 2
      ? await isProtectedEnvironment({ apiUrl: env.GITHUB_API_URL ?? "https://api.github.com", repository: env.GITHUB_REPOSITORY ?? "", environment, token: getInput("github-token", env) })
      : undefined;
  const decision = decideApply({ mode, ref: env.GITHUB_REF ?? "", defaultBranch: defaultBranchOf(env), environment, environmentProtected: protectedEnvironment });
  const applying = decision.apply && plan.status === 2;
  console.log(plan.status === 0 ? "No changes to apply." : applying ? `Applying: ${decision.why}.` : `Not applying: ${decision.why}.`);
  if (applying) {
    const apply = group("terraform apply", () => terraform(commands.apply, workingDirectory, env));
    if (apply.status !== 0) {
      setOutput("applied", "false", env);
      throw new TerraformFailedError(`terraform apply failed (exit ${apply.status})`);
    }
  }
  setOutput("applied", String(applying), env);

  // Outputs come from the state; before the first apply there is none, and the URL stays empty.
  const outputs = terraform(commands.output, workingDirectory, env, true);
  const webhookUrl = outputs.status === 0 ? (outputValue(outputs.stdout, webhookOutput) ?? "") : "";
  setOutput("webhook_url", webhookUrl, env);

  const title = environment ? `environment \`${environment}\`` : `\`${getInput("working-directory", env) || "."}\``;
  const result = plan.status === 0 ? "no changes" : applying ? "changes applied" : `changes planned, not applied (${decision.why})`;
  appendSummary(`### Deploy ${title}: ${result}\n${webhookUrl ? `\nWebhook URL: ${webhookUrl}\n` : ""}`, env);
  return 0;
}

run(process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (failure: unknown) => {
    error(failure instanceof Error ? failure.message : String(failure));
    process.exitCode = 1;
  },
);
