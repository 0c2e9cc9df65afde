check "deprecated_inputs" {
  assert {
    condition     = var.nat_instance_enabled == null
    error_message = "nat_instance_enabled is deprecated: set enable_nat_instances instead (same meaning); nat_instance_enabled still wins while it is set."
  }
}

locals {
  audit_cloudwatch_enabled   = (local.audit_enabled && var.cloudtrail_cloudwatch_logs)
  audit_enabled              = (var.enable_cloudtrail && (length(var.existing_cloudtrail_arn) < 1))
  enable_nat_instances       = coalesce(var.nat_instance_enabled, var.enable_nat_instances)
  encryption_create          = (var.create_kms_key && (length(var.kms_key_arn) < 1))
  encryption_enabled         = (local.encryption_create || !(length(var.kms_key_arn) < 1))
  encryption_key_arn         = local.encryption_enabled ? try(aws_kms_key.encryption_key["0"].arn, var.kms_key_arn) : null
  pools_resolved             = { for key, pool in var.pools : key => merge(pool, { ami_ssm_parameter = pool.ami_ssm_parameter != null ? pool.ami_ssm_parameter : format("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s", pool.architecture == "arm64" ? "arm64" : "x86_64"), subnet_ids = pool.subnet_ids != null ? pool.subnet_ids : var.runner_subnet_ids }) }
  webhook_firewall_allowlist = (local.webhook_firewall_enabled && var.waf_github_hooks_allowlist)
  webhook_firewall_enabled   = var.enable_waf
}

data "aws_caller_identity" "current_account" {}

data "aws_partition" "current_partition" {}

data "aws_region" "current_region" {}

resource "aws_lambda_layer_version" "shared_layer_version" {
  compatible_architectures = ["arm64", "x86_64"]
  compatible_runtimes      = ["nodejs22.x"]
  description              = "self-runners shared code: Octokit, Powertools, config"
  filename                 = "${path.module}/lambdas/shared.zip"
  layer_name               = "${var.prefix}-shared"
  source_code_hash         = filebase64sha256("${path.module}/lambdas/shared.zip")
}
