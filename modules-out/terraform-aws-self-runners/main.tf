check "deprecated_inputs" {
  assert {
    condition     = var.nat_instance_enabled == null
    error_message = "nat_instance_enabled is deprecated: set enable_nat_instances instead (same meaning); nat_instance_enabled still wins while it is set."
  }
}

locals {
  audit_cloudwatch_enabled     = (local.audit_enabled && var.cloudtrail_cloudwatch_logs)
  audit_enabled                = (var.enable_cloudtrail && (length(var.existing_cloudtrail_arn) < 1))
  enable_nat_instances         = coalesce(var.nat_instance_enabled, var.enable_nat_instances)
  encryption_create            = (var.create_kms_key && (length(var.kms_key_arn) < 1))
  encryption_enabled           = (local.encryption_create || !(length(var.kms_key_arn) < 1))
  encryption_key_arn           = local.encryption_enabled ? try(aws_kms_key.encryption_key["0"].arn, var.kms_key_arn) : null
  operations_alarms_enabled    = var.enable_alarms
  operations_dashboard_enabled = var.enable_dashboard
  operations_function_names    = merge({ "webhook" = format("%s-webhook", var.prefix), "scale-up" = format("%s-scale-up", var.prefix), "reconcile" = format("%s-reconcile", var.prefix), "spot-interruption" = format("%s-spot-interruption", var.prefix) }, local.webhook_firewall_allowlist ? { "github-hooks-ipset" = format("%s-github-hooks-ipset", var.prefix) } : {}, { for key, val in aws_lambda_function.nat_failover_function : format("nat-failover-%s", key) => val.function_name })
  operations_slo_enabled       = var.enable_slo_alarms
  operations_topic_create      = (length(var.alarm_topic_arn) < 1)
  pools_resolved               = { for key, pool in var.pools : key => merge(pool, { ami_ssm_parameter = (pool.ami_name_filter != "" ? "" : (pool.ami_ssm_parameter != null ? pool.ami_ssm_parameter : lookup({ "al2023/x64" = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", "al2023/arm64" = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64", "ubuntu-22.04/x64" = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id", "ubuntu-22.04/arm64" = "/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id", "ubuntu-24.04/x64" = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id", "ubuntu-24.04/arm64" = "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id", "windows/x64" = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base" }, format("%s/%s", (pool.os == "windows" ? "windows" : pool.linux_distribution), pool.architecture), ""))), subnet_ids = pool.subnet_ids != null ? pool.subnet_ids : var.runner_subnet_ids }) }
  runner_images_definitions    = { for key, val in var.runner_images : key => merge(val, { parent_image_ssm_parameter = coalesce(val.parent_image_ssm_parameter, val.architecture == "arm64" ? "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64" : "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"), instance_types = coalesce(val.instance_types, val.architecture == "arm64" ? ["m7g.large"] : ["m7i.large"]) }) }
  webhook_firewall_allowlist   = (local.webhook_firewall_enabled && var.waf_github_hooks_allowlist)
  webhook_firewall_enabled     = var.enable_waf
}

data "aws_caller_identity" "current_account" {}

data "aws_partition" "current_partition" {}

data "aws_region" "current_region" {}

resource "aws_cloudwatch_log_metric_filter" "runner_logs_boot_to_registration" {
  count          = var.enable_runner_logs ? 1 : 0
  log_group_name = "/self-runners/${var.prefix}/runners"
  name           = "${var.prefix}-BootToRegistration"
  pattern        = "{ $.event = \"registered\" }"

  metric_transformation {
    dimensions = {
      Pool    = "$.pool"
      service = "$.service"
    }
    name      = "BootToRegistration"
    namespace = "SelfRunners/${var.prefix}"
    unit      = "Seconds"
    value     = "$.boot_seconds"
  }
  depends_on = [aws_cloudwatch_log_group.runner_logs_group]
}

resource "aws_cloudwatch_log_group" "runner_logs_group" {
  count             = var.enable_runner_logs ? 1 : 0
  kms_key_id        = local.encryption_key_arn
  name              = "/self-runners/${var.prefix}/runners"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_log_metric_filter" "runner_logs_registration_failures" {
  count          = var.enable_runner_logs ? 1 : 0
  log_group_name = "/self-runners/${var.prefix}/runners"
  name           = "${var.prefix}-RegistrationFailures"
  pattern        = "{ $.event = \"registration_failed\" }"

  metric_transformation {
    dimensions = {
      Pool    = "$.pool"
      service = "$.service"
    }
    name      = "RegistrationFailures"
    namespace = "SelfRunners/${var.prefix}"
    unit      = "Count"
    value     = "1"
  }
  depends_on = [aws_cloudwatch_log_group.runner_logs_group]
}

resource "aws_iam_role_policy" "runner_logs_write" {
  count  = var.enable_runner_logs ? 1 : 0
  name   = "runner-logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ShipRunnerLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/self-runners/${var.prefix}/runners", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/self-runners/${var.prefix}/runners:*"], "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_lambda_layer_version" "shared_layer_version" {
  compatible_architectures = ["arm64", "x86_64"]
  compatible_runtimes      = ["nodejs22.x"]
  description              = "self-runners shared code: Octokit, Powertools, config"
  filename                 = "${path.module}/lambdas/shared.zip"
  layer_name               = "${var.prefix}-shared"
  source_code_hash         = filebase64sha256("${path.module}/lambdas/shared.zip")
}
