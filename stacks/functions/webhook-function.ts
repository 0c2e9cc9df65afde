import type { Construct } from "constructs";
import { WEBHOOK_ENV, WEBHOOK_FUNCTION_TIMEOUT_SECONDS } from "../../contracts/webhook.js";
import type { EncryptionKey } from "../encryption-key.js";
import type { GitHubAppSecrets } from "../github-app-secrets.js";
import type { JobLedger } from "../job-ledger.js";
import { NodejsFunction } from "../nodejs-function.js";
import type { PoolMap } from "../pools.js";
import { poolsEnvironment, powertoolsEnvironment, renderEnvironment } from "../private/environment.js";
import type { RunnerQueues } from "../runner-queue.js";
import { handlerFunctionProps, type HandlerFunctionProps } from "./handler-function.js";

/** Props of {@link WebhookFunction}. */
export interface WebhookFunctionProps extends HandlerFunctionProps {
  readonly pools: PoolMap;
  /** The pools' job queues: the function sends to them. */
  readonly queues: RunnerQueues;
  /** The job ledger: the function records each job and the deliveries that moved it. */
  readonly ledger: JobLedger;
  /** Where the current and the previous webhook secret live. */
  readonly secrets: GitHubAppSecrets;
  readonly encryption: EncryptionKey;
  /** Largest accepted body (WEBHOOK_MAX_BODY_BYTES), a literal or a Terraform expression. */
  readonly webhookMaxBodyBytes: string;
  /** ALLOWED_OWNERS and ALLOWED_REPOSITORIES: JSON lists, literal or a Terraform expression. */
  readonly allowedOwners: string;
  readonly allowedRepositories: string;
  /** WEBHOOK_MAX_JOB_AGE_SECONDS, a literal or a Terraform expression. */
  readonly webhookMaxJobAgeSeconds: string;
  /**
   * Reserved concurrency; -1: unreserved.
   * @default -1
   */
  readonly reservedConcurrency?: number;
}

/**
 * lambdas/webhook: verifies GitHub webhooks and queues workflow jobs. Owns its environment
 * (contracts/webhook.ts) and its grants; the API (WebhookApi) is its trigger.
 */
export class WebhookFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: WebhookFunctionProps) {
    const { queues, ledger, secrets } = props;
    super(
      scope,
      id,
      handlerFunctionProps("webhook", props, {
        description: "Verifies GitHub webhooks and queues workflow jobs",
        timeout: WEBHOOK_FUNCTION_TIMEOUT_SECONDS,
        reservedConcurrency: props.reservedConcurrency,
        // No shared layer: the zip bundles the little shared code it runs (LAYER_FREE_HANDLERS in
        // scripts/build-lambdas.ts; docs/performance.md, "Webhook").
        layers: [],
        environment: renderEnvironment(WEBHOOK_ENV, {
          ...powertoolsEnvironment("webhook", props.prefix),
          prefix: props.prefix,
          jobsTable: ledger.table.name,
          webhookSecretSsmParameterName: secrets.webhookSecretParameterName,
          webhookPreviousSecretSsmParameterName: secrets.previousWebhookSecretParameterName,
          webhookMaxBodyBytes: props.webhookMaxBodyBytes,
          allowedOwners: props.allowedOwners,
          allowedRepositories: props.allowedRepositories,
          webhookMaxJobAgeSeconds: props.webhookMaxJobAgeSeconds,
          pools: poolsEnvironment(WEBHOOK_ENV.pools, props.pools, { queues: queues.queues.fqn }),
        }),
      }),
    );
    this.addToRolePolicy("read-webhook-secret", [
      {
        Sid: "ReadWebhookSecret",
        Action: ["ssm:GetParameter"],
        Resource: [secrets.webhookSecretParameterName, secrets.previousWebhookSecretParameterName].map((name) => secrets.parameterArn(name)),
      },
    ]);
    queues.grantSend(this);
    ledger.grantReadWrite(this);
    props.encryption.grantUse("webhook", this.role, ["lambda", "ssm", "sqs", "dynamodb"]);
  }
}
