# Mock values for the aws provider in every terraform test (terraform test loads *.tfmock.hcl from
# the directory a mock_provider names). The provider validates ARNs even under mocks, so computed
# ARNs get well-formed values.
mock_data "aws_partition" {
  defaults = { partition = "aws" }
}
mock_data "aws_region" {
  defaults = { id = "eu-west-1" }
}
mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012", arn = "arn:aws:sts::123456789012:assumed-role/deployer/session" }
}
mock_data "aws_iam_session_context" {
  defaults = { issuer_arn = "arn:aws:iam::123456789012:role/deployer" }
}
mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
}
mock_resource "aws_iam_instance_profile" {
  defaults = { arn = "arn:aws:iam::123456789012:instance-profile/mock" }
}
mock_resource "aws_lambda_layer_version" {
  defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:mock:1" }
}
mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mock"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock/invocations"
  }
}
mock_resource "aws_lambda_function_url" {
  defaults = { function_url = "https://mock.lambda-url.eu-west-1.on.aws/" }
}
mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:mock.fifo"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/mock.fifo"
  }
}
mock_resource "aws_dynamodb_table" {
  defaults = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/mock" }
}
mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mock" }
}
mock_resource "aws_cloudwatch_event_rule" {
  defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/mock" }
}
mock_resource "aws_api_gateway_rest_api" {
  defaults = { execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123" }
}
mock_resource "aws_api_gateway_stage" {
  defaults = {
    invoke_url = "https://abc123.execute-api.eu-west-1.amazonaws.com/github"
    arn        = "arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/github"
  }
}
mock_resource "aws_kms_key" {
  defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
}
mock_resource "aws_s3_bucket" {
  defaults = { arn = "arn:aws:s3:::mock-audit-bucket" }
}
mock_resource "aws_cloudtrail" {
  defaults = { arn = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/mock" }
}
mock_data "aws_vpc" {
  defaults = {
    cidr_block = "10.0.0.0/16"
    cidr_block_associations = [
      { association_id = "vpc-cidr-assoc-0123456789abcdef0", cidr_block = "10.0.0.0/16", state = "associated" },
      { association_id = "vpc-cidr-assoc-0123456789abcdef1", cidr_block = "100.64.0.0/16", state = "associated" },
    ]
  }
}
mock_resource "aws_launch_template" {
  defaults = { id = "lt-0123456789abcdef0" }
}
mock_resource "aws_wafv2_web_acl" {
  defaults = { arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/self-runners-webhook/11111111-2222-3333-4444-555555555555" }
}
mock_resource "aws_wafv2_ip_set" {
  defaults = { arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/mock/66666666-7777-8888-9999-000000000000" }
}
mock_resource "aws_sns_topic" {
  defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:self-runners-alarms" }
}
mock_resource "aws_ce_anomaly_monitor" {
  defaults = { arn = "arn:aws:ce::123456789012:anomalymonitor/00000000-0000-0000-0000-000000000000" }
}
mock_resource "aws_imagebuilder_component" {
  defaults = { arn = "arn:aws:imagebuilder:eu-west-1:123456789012:component/mock/1.0.0/1" }
}
mock_resource "aws_imagebuilder_image_recipe" {
  defaults = { arn = "arn:aws:imagebuilder:eu-west-1:123456789012:image-recipe/mock/1.0.0" }
}
mock_resource "aws_imagebuilder_infrastructure_configuration" {
  defaults = { arn = "arn:aws:imagebuilder:eu-west-1:123456789012:infrastructure-configuration/mock" }
}
mock_resource "aws_imagebuilder_distribution_configuration" {
  defaults = { arn = "arn:aws:imagebuilder:eu-west-1:123456789012:distribution-configuration/mock" }
}
mock_resource "aws_imagebuilder_image_pipeline" {
  defaults = { arn = "arn:aws:imagebuilder:eu-west-1:123456789012:image-pipeline/mock" }
}
