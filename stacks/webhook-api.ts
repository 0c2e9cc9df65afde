import { Construct } from "constructs";
import { Fn } from "./cdktf.js";
import {
  ApiGatewayAccount,
  ApiGatewayDeployment,
  ApiGatewayIntegration,
  ApiGatewayMethod,
  ApiGatewayMethodSettings,
  ApiGatewayResource,
  ApiGatewayRestApi,
  ApiGatewayStage,
  CloudwatchLogGroup,
  IamRole,
  IamRolePolicyAttachment,
  LambdaPermission,
} from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { checkProps } from "./errors.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import { assumeRolePolicy } from "./private/iam.js";
import { countIf } from "./private/conditions.js";
import type { NodejsFunction } from "./nodejs-function.js";

/** Props of {@link WebhookApi}. */
export interface WebhookApiProps {
  /** API name. */
  readonly name: string;
  /** The webhook function behind `POST /webhook`. */
  readonly handler: NodejsFunction;
  /** Partition, region and account. */
  readonly context: AwsContext;
  /**
   * Stage name; part of the URL.
   * @default "github"
   */
  readonly stageName?: string;
  /**
   * Steady-state requests per second the stage accepts before answering 429. GitHub does not redeliver
   * a delivery that got 429, so the stage must take GitHub's burst: 3,000 deliveries of a 1,000-job
   * matrix within GitHub's 10 s answer deadline. Unsigned requests never reach it (the WAF's first rule).
   * @default 300
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests the stage accepts: the `queued` deliveries of a 1,000-job matrix at once.
   * @default 1000
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Retention of the access log group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Create the regional API Gateway account setting with a CloudWatch Logs role. Access logs need it;
   * it is one setting per account and region, so leave this off where it already exists.
   * @default false
   */
  readonly manageAccountLoggingRole?: boolean;
  /**
   * Customer managed KMS key for the access log group. A Terraform expression may evaluate to null,
   * which keeps CloudWatch Logs' own encryption.
   * @default - CloudWatch Logs' own encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * The webhook ingress: a regional REST API (REST, not HTTP API, because WAF attaches only to REST
 * stages) with `POST /webhook` proxied to the webhook function, stage throttling and JSON access logs.
 */
export class WebhookApi extends Construct {
  readonly api: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    checkProps(this.node.path, [
      { prop: "throttlingRateLimit", value: props.throttlingRateLimit, rule: SHARED_INPUTS.apiThrottlingRateLimit.rule },
      { prop: "throttlingBurstLimit", value: props.throttlingBurstLimit, rule: SHARED_INPUTS.apiThrottlingBurstLimit.rule },
      { prop: "logRetentionDays", value: props.logRetentionDays, rule: SHARED_INPUTS.logRetentionDays.rule },
    ]);
    const tags = props.tags ?? {};
    const stageName = props.stageName ?? "github";

    this.api = new ApiGatewayRestApi(this, "rest-api", {
      name: props.name,
      description: "GitHub workflow_job webhooks for self-runners",
      endpointConfiguration: { types: ["REGIONAL"] },
      tags,
    });
    const resource = new ApiGatewayResource(this, "resource", { restApiId: this.api.id, parentId: this.api.rootResourceId, pathPart: "webhook" });
    const method = new ApiGatewayMethod(this, "method", {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: "POST",
      // GitHub authenticates with the HMAC signature, checked by the function.
      authorization: "NONE",
    });
    const integration = new ApiGatewayIntegration(this, "integration", {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      type: "AWS_PROXY",
      integrationHttpMethod: "POST",
      uri: props.handler.function.invokeArn,
      timeoutMilliseconds: 10000,
    });
    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: this.api.id,
      triggers: { redeployment: Fn.sha1(Fn.jsonencode([resource.id, method.id, integration.id, integration.uri])) },
      lifecycle: { createBeforeDestroy: true },
    });

    const accountCount = countIf(props.manageAccountLoggingRole ?? false);
    const accountRole = new IamRole(this, "account-role", {
      count: accountCount,
      name: `${props.name}-apigw-logs`,
      assumeRolePolicy: assumeRolePolicy("apigateway.amazonaws.com"),
      tags,
    });
    new IamRolePolicyAttachment(this, "account-role-logs", {
      count: accountCount,
      role: Fn.lookupNested(accountRole.fqn, ["0", "name"]),
      policyArn: `arn:${props.context.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    const account = new ApiGatewayAccount(this, "account", {
      count: accountCount,
      cloudwatchRoleArn: Fn.lookupNested(accountRole.fqn, ["0", "arn"]),
    });

    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${props.name}`,
      retentionInDays: props.logRetentionDays ?? SHARED_INPUTS.logRetentionDays.default,
      kmsKeyId: props.kmsKeyArn,
      tags,
    });
    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: this.api.id,
      deploymentId: deployment.id,
      stageName,
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: Fn.jsonencode({
          requestId: "$context.requestId",
          ip: "$context.identity.sourceIp",
          requestTime: "$context.requestTime",
          httpMethod: "$context.httpMethod",
          path: "$context.path",
          status: "$context.status",
          responseLength: "$context.responseLength",
          integrationLatency: "$context.integrationLatency",
          wafResponse: "$context.waf.status",
        }),
      },
      tags,
      dependsOn: [account],
    });
    new ApiGatewayMethodSettings(this, "throttling", {
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: {
        throttlingRateLimit: props.throttlingRateLimit ?? SHARED_INPUTS.apiThrottlingRateLimit.default,
        throttlingBurstLimit: props.throttlingBurstLimit ?? SHARED_INPUTS.apiThrottlingBurstLimit.default,
        metricsEnabled: true,
      },
    });
    new LambdaPermission(this, "invoke", {
      statementId: "AllowApiGatewayInvoke",
      action: "lambda:InvokeFunction",
      functionName: props.handler.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/${stageName}/POST/webhook`,
    });
  }

  /** ARN of the stage: what a WAF web ACL is associated with. */
  get stageArn(): string {
    return this.stage.arn;
  }

  /** The URL to paste into the GitHub App's webhook settings. */
  get webhookUrl(): string {
    return `${this.stage.invokeUrl}/webhook`;
  }
}
