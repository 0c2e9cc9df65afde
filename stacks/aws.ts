/**
 * The one place the constructs import the AWS provider bindings from (deep imports keep the
 * synth fast: the package index loads every resource of the provider).
 * @cdktf/provider-aws 20.1.0 targets hashicorp/aws 5.100.0, the version of the local mirror.
 */
export { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
export { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
export { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
export { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
export { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
export { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
export { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
export { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
export { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
export { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
export { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
export { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
export { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
export { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
export { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
export { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
export { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
export { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
export { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
export { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
export { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
export { IamRole } from "@cdktf/provider-aws/lib/iam-role";
export { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
export { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
export { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
export { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
export { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
export { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
export { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation";
export { LambdaLayerVersion } from "@cdktf/provider-aws/lib/lambda-layer-version";
export { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
export { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
export { AwsProvider } from "@cdktf/provider-aws/lib/provider";
export { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
export { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
export { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
export { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
export { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
export { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
export { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
export { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
export { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
export { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
export { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
export { Wafv2IpSet } from "@cdktf/provider-aws/lib/wafv2-ip-set";
export { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
export type { Wafv2WebAclRule } from "@cdktf/provider-aws/lib/wafv2-web-acl";
export { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
export { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
