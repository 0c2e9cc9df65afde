resource "aws_kms_alias" "encryption_alias" {
  count         = local.encryption_create ? 1 : 0
  name          = "alias/${var.prefix}"
  target_key_id = aws_kms_key.encryption_key["0"].key_id
}

data "aws_caller_identity" "encryption_deployer" {
  count = local.encryption_create ? 1 : 0
}

data "aws_iam_session_context" "encryption_deployer_session" {
  count = local.encryption_create ? 1 : 0
  arn   = data.aws_caller_identity.encryption_deployer["0"].arn
}

resource "aws_iam_role_policy" "encryption_grant_build_cache" {
  count  = (local.encryption_enabled && var.enable_build_cache) ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com", "ssm.${data.aws_region.current_region.id}.amazonaws.com", "s3.${data.aws_region.current_region.id}.amazonaws.com", "dynamodb.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.build_cache_function_role["0"].id
}

resource "aws_iam_role_policy" "encryption_grant_build_cache_sweep" {
  count  = (local.encryption_enabled && var.enable_build_cache) ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com", "dynamodb.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.build_cache_sweep_role["0"].id
}

resource "aws_iam_role_policy" "encryption_grant_ebs_scale_up" {
  count  = (local.encryption_enabled && (length(local.runner_images_definitions) >= 1)) ? 1 : 0
  name   = "use-kms-key-ebs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyForEbs", "Action" = ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["ec2.${data.aws_region.current_region.id}.amazonaws.com"] } } }, { "Effect" = "Allow", "Sid" = "LetEc2UseKmsKeyForEbs", "Action" = ["kms:CreateGrant"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["ec2.${data.aws_region.current_region.id}.amazonaws.com"] }, "Bool" = { "kms:GrantIsForAWSResource" = "true" } } }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "encryption_grant_github_hooks_ipset" {
  count  = (local.encryption_enabled && local.webhook_firewall_allowlist) ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_iam_role_policy" "encryption_grant_image_builder" {
  count  = (local.encryption_enabled && (length(local.runner_images_definitions) >= 1)) ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["s3.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.runner_images_role["0"].id
}

resource "aws_iam_role_policy" "encryption_grant_nat_failover" {
  count  = (local.encryption_enabled && local.enable_nat_instances) ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.nat_failover_role["0"].id
}

resource "aws_iam_role_policy" "encryption_grant_reconcile" {
  count  = local.encryption_enabled ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com", "ssm.${data.aws_region.current_region.id}.amazonaws.com", "dynamodb.${data.aws_region.current_region.id}.amazonaws.com", "sqs.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "encryption_grant_runner" {
  count  = local.encryption_enabled ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["dynamodb.${data.aws_region.current_region.id}.amazonaws.com", "s3.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_iam_role_policy" "encryption_grant_runner_binaries_syncer" {
  count  = local.encryption_enabled ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com", "ssm.${data.aws_region.current_region.id}.amazonaws.com", "s3.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.runner_binaries_syncer_role.id
}

resource "aws_iam_role_policy" "encryption_grant_scale_up" {
  count  = local.encryption_enabled ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com", "ssm.${data.aws_region.current_region.id}.amazonaws.com", "sqs.${data.aws_region.current_region.id}.amazonaws.com", "dynamodb.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "encryption_grant_spot_interruption" {
  count  = local.encryption_enabled ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com", "ssm.${data.aws_region.current_region.id}.amazonaws.com", "dynamodb.${data.aws_region.current_region.id}.amazonaws.com", "sqs.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "encryption_grant_webhook" {
  count  = local.encryption_enabled ? 1 : 0
  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.id}.amazonaws.com", "ssm.${data.aws_region.current_region.id}.amazonaws.com", "sqs.${data.aws_region.current_region.id}.amazonaws.com", "dynamodb.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "encryption_jit_open" {
  count  = local.encryption_enabled ? 1 : 0
  name   = "open-own-runner-config"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "OpenOwnRunnerConfig", "Action" = ["kms:Decrypt"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id, "kms:EncryptionContext:instance-arn" = "$${ec2:SourceInstanceARN}" }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_iam_role_policy" "encryption_jit_seal" {
  count  = local.encryption_enabled ? 1 : 0
  name   = "seal-runner-config"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SealRunnerConfigForItsInstance", "Action" = ["kms:Encrypt"], "Resource" = local.encryption_key_arn, "Condition" = { "StringLike" = { "kms:EncryptionContext:instance-arn" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*" }, "ForAllValues:StringEquals" = { "kms:EncryptionContextKeys" = ["instance-arn"] } } }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_kms_key" "encryption_key" {
  count                   = local.encryption_create ? 1 : 0
  deletion_window_in_days = 30
  description             = "Encrypts the queues, tables, parameters, logs and function settings of ${var.prefix}"
  enable_key_rotation     = true
  policy                  = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "AccountAdministersKey", "Principal" = { "AWS" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:root" }, "Action" = ["kms:Describe*", "kms:List*", "kms:Get*", "kms:CreateAlias", "kms:Put*", "kms:Update*", "kms:Enable*", "kms:Disable*", "kms:Revoke*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "KitRolesAndAdministratorsUseKey", "Principal" = { "AWS" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:root" }, "Action" = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"], "Resource" = "*", "Condition" = { "ArnEquals" = { "aws:PrincipalArn" = concat(formatlist("arn:%s:iam::%s:role/%s", data.aws_partition.current_partition.partition, data.aws_caller_identity.current_account.account_id, concat([format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "runner"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "webhook"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "scale-up"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "reconcile"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "spot-interruption"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "github-hooks-ipset"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "nat-failover"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "runner-binaries-syncer"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "image-builder"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "build-cache"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "build-cache-sweep"), "aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"], formatlist("%s%s-runner-pool-%s", trimprefix(var.iam_role_path, "/"), var.prefix, keys({ for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 })))), coalescelist(var.kms_key_administrator_arns, [data.aws_iam_session_context.encryption_deployer_session["0"].issuer_arn])) } } }, { "Effect" = "Allow", "Sid" = "KitRolesAndAdministratorsLetServicesUseKey", "Principal" = { "AWS" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:root" }, "Action" = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource" = "*", "Condition" = { "ArnEquals" = { "aws:PrincipalArn" = concat(formatlist("arn:%s:iam::%s:role/%s", data.aws_partition.current_partition.partition, data.aws_caller_identity.current_account.account_id, concat([format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "runner"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "webhook"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "scale-up"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "reconcile"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "spot-interruption"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "github-hooks-ipset"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "nat-failover"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "runner-binaries-syncer"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "image-builder"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "build-cache"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "build-cache-sweep"), "aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"], formatlist("%s%s-runner-pool-%s", trimprefix(var.iam_role_path, "/"), var.prefix, keys({ for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 })))), coalescelist(var.kms_key_administrator_arns, [data.aws_iam_session_context.encryption_deployer_session["0"].issuer_arn])) }, "Bool" = { "kms:GrantIsForAWSResource" = "true" } } }, { "Effect" = "Allow", "Sid" = "CloudWatchLogsEncryptsOwnLogGroups", "Principal" = { "Service" = "logs.${data.aws_region.current_region.id}.amazonaws.com" }, "Action" = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"], "Resource" = "*", "Condition" = { "ArnLike" = { "kms:EncryptionContext:aws:logs:arn" = ["arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-webhook", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-scale-up", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-reconcile", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-spot-interruption", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-github-hooks-ipset", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-runner-binaries-syncer", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-build-cache", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-build-cache-sweep", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/apigateway/${var.prefix}", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-nat-failover-*", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:aws-waf-logs-${var.prefix}", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/cloudtrail/${var.prefix}-audit", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/self-runners/${var.prefix}/runners"] } } }, { "Effect" = "Allow", "Sid" = "AlarmPublishersUseKey", "Principal" = { "Service" = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com"] }, "Action" = ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource" = "*", "Condition" = { "StringEquals" = { "aws:SourceAccount" = data.aws_caller_identity.current_account.account_id } } }] })
  tags                    = merge(var.tags, { "self-runners:prefix" = var.prefix })
}
