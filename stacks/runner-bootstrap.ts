import { Fn, Token } from "./cdktf.js";

/** Inputs of the runner bootstrap script; values may be Terraform expressions. */
export interface RunnerBootstrapOptions {
  /** Runners table name. */
  readonly tableName: string;
  /** Region of the table. */
  readonly region: string;
  /** Runner version, or "latest". */
  readonly runnerVersion: string;
  /** `x64` or `arm64`. */
  readonly architecture: string;
  /** Minutes after boot at which an instance that has not started a job shuts down. */
  readonly idleTimeoutMinutes: string | number;
  /** Seconds to wait for the just-in-time configuration. */
  readonly bootTimeoutSeconds: string | number;
}

/**
 * User data for a runner (docs/contracts.md, "Runner bootstrap"). It is the same for every instance
 * of a pool and carries no secret. The script avoids `${`, `%{` and backslashes on purpose: Terraform
 * would read the first two as template syntax, and cdktf's HCL rendering mangles the last.
 */
export function runnerBootstrapScript(o: RunnerBootstrapOptions): string {
  return bootstrapTemplate(o, terraformJoin);
}

/** The same script with plain values, as an instance would receive it (for tests and reviews). */
export function renderRunnerBootstrap(o: RunnerBootstrapOptions): string {
  return bootstrapTemplate(o, (literals, ...values) => literals.reduce((out, literal, i) => out + literal + (values[i] ?? ""), ""));
}

/** A number as script text: literal digits when known now, a Terraform expression otherwise. */
function text(value: string | number): string {
  return typeof value === "number" && !Token.isUnresolved(value) ? String(value) : Token.asString(value);
}

type Join = (literals: TemplateStringsArray, ...values: string[]) => string;

function bootstrapTemplate(o: RunnerBootstrapOptions, script: Join): string {
  return script`#!/bin/bash
# self-runners bootstrap: run exactly one job with a just-in-time runner configuration, then terminate.
set -euo pipefail
exec > >(tee -a /var/log/self-runners-bootstrap.log | logger -t self-runners) 2>&1

TABLE='${o.tableName}'
REGION='${o.region}'
RUNNER_VERSION='${o.runnerVersion}'
RUNNER_ARCH='${o.architecture}'
IDLE_MINUTES='${text(o.idleTimeoutMinutes)}'
BOOT_TIMEOUT_SECONDS='${text(o.bootTimeoutSeconds)}'
RUNNER_DIR=/opt/actions-runner

# Whatever happens below, the instance ends: shutdown behaviour is "terminate".
trap 'shutdown -h now' EXIT
# Watchdog: no job started within IDLE_MINUTES -> shut down. The job-started hook cancels it.
shutdown -h "+$IDLE_MINUTES" "self-runners: no job started" || true

dnf install -y -q libicu tar gzip docker jq || true
systemctl start docker || true
id runner >/dev/null 2>&1 || useradd -m -s /bin/bash runner
usermod -aG docker runner || true
echo 'runner ALL=(root) NOPASSWD: /usr/sbin/shutdown' > /etc/sudoers.d/self-runners

TOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' http://169.254.169.254/latest/api/token)
imds() { curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/$1"; }
INSTANCE_ID=$(imds meta-data/instance-id)
PARTITION=$(imds meta-data/services/partition)
ACCOUNT=$(imds dynamic/instance-identity/document | jq -r .accountId)
KEY=$(jq -cn --arg arn "arn:$PARTITION:ec2:$REGION:$ACCOUNT:instance/$INSTANCE_ID" '{pk: {S: $arn}}')

if [ ! -x "$RUNNER_DIR/run.sh" ]; then
  if [ "$RUNNER_VERSION" = latest ]; then
    RUNNER_VERSION=$(curl -sf https://api.github.com/repos/actions/runner/releases/latest | jq -r .tag_name | sed 's/^v//')
  fi
  mkdir -p "$RUNNER_DIR"
  curl -sfL "https://github.com/actions/runner/releases/download/v$RUNNER_VERSION/actions-runner-linux-$RUNNER_ARCH-$RUNNER_VERSION.tar.gz" | tar xz -C "$RUNNER_DIR"
fi
cat > "$RUNNER_DIR/job-started.sh" <<'HOOK'
#!/bin/bash
sudo /usr/sbin/shutdown -c || true
HOOK
chmod 755 "$RUNNER_DIR/job-started.sh"
chown -R runner:runner "$RUNNER_DIR"

# The scale-up function writes the configuration right after launch; the IAM policy lets this
# instance read and clear only the item keyed by its own ARN.
deadline=$(( $(date +%s) + BOOT_TIMEOUT_SECONDS ))
JIT=""
while [ -z "$JIT" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  JIT=$(aws dynamodb get-item --region "$REGION" --table-name "$TABLE" --consistent-read --key "$KEY" --query Item.jitConfig.S --output text 2>/dev/null || true)
  if [ "$JIT" = None ]; then JIT=""; fi
  if [ -z "$JIT" ]; then sleep 3; fi
done
if [ -z "$JIT" ]; then echo "no runner configuration after $BOOT_TIMEOUT_SECONDS s"; exit 1; fi
aws dynamodb update-item --region "$REGION" --table-name "$TABLE" --key "$KEY" --update-expression 'REMOVE jitConfig'

cd "$RUNNER_DIR"
sudo -u runner env ACTIONS_RUNNER_HOOK_JOB_STARTED="$RUNNER_DIR/job-started.sh" ./run.sh --jitconfig "$JIT" || true
`;
}

/**
 * Tagged template: literal text goes through Fn.rawString (cdktf refuses plain strings with quotes
 * inside function arguments) and interpolated values stay Terraform expressions; joined with join("").
 */
function terraformJoin(literals: TemplateStringsArray, ...values: string[]): string {
  const parts: string[] = [];
  literals.forEach((literal, i) => {
    if (literal !== "") parts.push(Fn.rawString(literal));
    if (i < values.length) parts.push(values[i]);
  });
  return Fn.join("", parts);
}
