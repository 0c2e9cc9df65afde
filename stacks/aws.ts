/**
 * The one place the constructs import the AWS provider bindings from (deep imports keep the
 * synth fast: the package index loads every resource of the provider).
 * @cdktf/provider-aws 20.1.0 targets hashicorp/aws 5.100.0, the version of the local mirror. The
 * same imports type-check and synthesize against the 6.x bindings (tsconfig.provider-aws-6.json) and
 * CDK Terrain's (tsconfig.cdktn.json): see docs/compatibility.md.
 */
export { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account/index.js";
export { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment/index.js";
export { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration/index.js";
export { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method/index.js";
export { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings/index.js";
export { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource/index.js";
export { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api/index.js";
export { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage/index.js";
export { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group/index.js";
export { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
export { BudgetsBudget } from "@cdktf/provider-aws/lib/budgets-budget/index.js";
export { CeAnomalyMonitor } from "@cdktf/provider-aws/lib/ce-anomaly-monitor/index.js";
export { CeAnomalySubscription } from "@cdktf/provider-aws/lib/ce-anomaly-subscription/index.js";
export { CeCostAllocationTag } from "@cdktf/provider-aws/lib/ce-cost-allocation-tag/index.js";
export { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail/index.js";
export { CloudwatchCompositeAlarm } from "@cdktf/provider-aws/lib/cloudwatch-composite-alarm/index.js";
export { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js";
export { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js";
export { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target/index.js";
export { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
export { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter/index.js";
export { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
export type { CloudwatchMetricAlarmMetricQuery } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
export { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami/index.js";
export { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
export { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context/index.js";
export { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
export { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition/index.js";
export { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region/index.js";
export { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc/index.js";
export { DynamodbResourcePolicy } from "@cdktf/provider-aws/lib/dynamodb-resource-policy/index.js";
export { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
export { ImagebuilderComponent } from "@cdktf/provider-aws/lib/imagebuilder-component/index.js";
export { ImagebuilderDistributionConfiguration } from "@cdktf/provider-aws/lib/imagebuilder-distribution-configuration/index.js";
export { ImagebuilderImagePipeline } from "@cdktf/provider-aws/lib/imagebuilder-image-pipeline/index.js";
export { ImagebuilderImageRecipe } from "@cdktf/provider-aws/lib/imagebuilder-image-recipe/index.js";
export { ImagebuilderInfrastructureConfiguration } from "@cdktf/provider-aws/lib/imagebuilder-infrastructure-configuration/index.js";
export { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile/index.js";
export { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
export { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
export { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
export { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias/index.js";
export { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
export { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping/index.js";
export { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
export { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
export { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation/index.js";
export { LambdaLayerVersion } from "@cdktf/provider-aws/lib/lambda-layer-version/index.js";
export { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
export { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template/index.js";
export { S3Object } from "@cdktf/provider-aws/lib/s3-object/index.js";
export { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
export { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
export { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";
export { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
export { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
export { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
export { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning/index.js";
export { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
export { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
export { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy/index.js";
export { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
export { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy/index.js";
export { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";
export { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint/index.js";
export { Wafv2IpSet } from "@cdktf/provider-aws/lib/wafv2-ip-set/index.js";
export { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl/index.js";
export { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association/index.js";
export { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration/index.js";
export type { Wafv2WebAclRule } from "@cdktf/provider-aws/lib/wafv2-web-acl/index.js";
