resource "aws_ssm_parameter" "draining_parameter" {
  description = "self-runners draining switch: true stops new launches; jobs stay queued until it is false"
  name        = format("/%s/draining", var.prefix)
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  type        = "String"
  value       = tostring(var.draining)

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_s3_object" "runner_customization_document" {
  for_each     = local.pools_resolved
  bucket       = aws_s3_bucket.runner_binaries_bucket.bucket
  content      = jsonencode({ "pre_install_script" = each.value.pre_install_script, "post_install_script" = each.value.post_install_script, "job_started_hook" = each.value.job_started_hook, "job_completed_hook" = each.value.job_completed_hook, "extra_packages" = each.value.extra_packages, "job_environment" = each.value.job_environment, "use_instance_store" = each.value.use_instance_store })
  content_type = "application/json"
  key          = format("pools/%s/customization.json", each.key)
  tags         = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:pool" = each.key })
}

data "aws_ami" "runner_ami" {
  for_each    = { for key, val in local.pools_resolved : key => val if val.ami_name_filter != "" }
  most_recent = true
  owners      = each.value.ami_owners

  filter {
    name   = "name"
    values = [each.value.ami_name_filter]
  }

  filter {
    name   = "architecture"
    values = [(each.value.architecture == "arm64") ? "arm64" : "x86_64"]
  }
}

resource "aws_iam_instance_profile" "runner_instance_profile" {
  name = "${var.prefix}-runner"
  path = var.iam_role_path
  role = aws_iam_role.runner_role.name
  tags = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_launch_template" "runner_launch_template" {
  for_each                             = local.pools_resolved
  description                          = "self-runners ephemeral runner"
  image_id                             = (length(each.value.ami_name_filter) < 1) ? "resolve:ssm:${each.value.ami_ssm_parameter}" : { for key, val in data.aws_ami.runner_ami : key => val.id }[each.key]
  instance_initiated_shutdown_behavior = "terminate"
  name                                 = "${var.prefix}-${each.key}"
  tags                                 = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:pool" = each.key })
  update_default_version               = true
  user_data                            = base64encode(format((each.value.os == "windows") ? "<powershell>\n%s</powershell>\n" : "%s", templatefile({ "al2023" = "${path.module}/templates/runner-bootstrap.sh.tftpl", "ubuntu" = "${path.module}/templates/runner-bootstrap-ubuntu.sh.tftpl", "windows" = "${path.module}/templates/runner-bootstrap-windows.ps1.tftpl" }[(each.value.os == "windows") ? "windows" : startswith(each.value.linux_distribution, "ubuntu") ? "ubuntu" : "al2023"], { "table_name" = aws_dynamodb_table.runners_table.name, "region" = data.aws_region.current_region.id, "binaries_bucket" = aws_s3_bucket.runner_binaries_bucket.bucket, "binaries_prefix" = "runner/", "minimum_runner_version" = "2.329.0", "architecture" = each.value.architecture, "idle_timeout_minutes" = var.runner_idle_timeout_minutes, "boot_timeout_seconds" = var.runner_boot_timeout_seconds, "pool" = each.key, "log_group" = var.enable_runner_logs ? aws_cloudwatch_log_group.runner_logs_group["0"].name : "", "customization_key" = format("pools/%s/customization.json", each.key), "aws_cli_internet_fallback" = var.aws_cli_internet_fallback, "cache_agent_key" = var.enable_build_cache ? "cache-agent/cache-agent.js" : "", "cache_redirect_key" = var.enable_build_cache ? "cache-agent/actions-cache-redirect.sh" : "", "github_api_url" = var.enable_build_cache ? var.github_api_url : "", "cache_agent_env" = var.enable_build_cache ? format("SELF_RUNNERS_CACHE_FUNCTION_URL='%s'\nAWS_REGION='%s'\nSELF_RUNNERS_CACHE_PORT='%s'\nSELF_RUNNERS_CACHE_PROTOCOLS='%s'", aws_lambda_function_url.build_cache_function_url["0"].function_url, data.aws_region.current_region.id, "41230", jsonencode(var.build_cache_protocols)) : "", "cache_protocols" = var.enable_build_cache ? jsonencode(var.build_cache_protocols) : "[]", "cache_gradle_init" = "gradle.settingsEvaluated { s -> s.buildCache { remote(HttpBuildCache) { url = 'http://127.0.0.1:41230/cache/'; push = true; allowInsecureProtocol = true } } }", "cache_bazelrc" = "build --remote_cache=http://127.0.0.1:41230", "cache_agent_url" = "http://127.0.0.1:41230", "cache_job_file" = "/tmp/self-runners-cache-job.env" })))

  dynamic "block_device_mappings" {
    for_each = toset(concat([{ "device_name" = ((each.value.os == "windows") || startswith(each.value.linux_distribution, "ubuntu")) ? "/dev/sda1" : "/dev/xvda", "size" = each.value.root_volume_size, "type" = each.value.root_volume_type, "iops" = each.value.root_volume_iops, "throughput" = each.value.root_volume_throughput }], each.value.extra_volumes))
    iterator = each

    content {
      device_name = each.value.device_name

      ebs {
        delete_on_termination = "true"
        encrypted             = "true"
        iops                  = each.value.iops
        throughput            = each.value.throughput
        volume_size           = each.value.size
        volume_type           = each.value.type
      }
    }
  }

  iam_instance_profile {
    arn = lookup({ for key, val in aws_iam_instance_profile.runner_pool_instance_profile : key => val.arn }, each.key, aws_iam_instance_profile.runner_instance_profile.arn)
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_put_response_hop_limit = each.value.metadata_hop_limit
    http_tokens                 = "required"
    instance_metadata_tags      = "disabled"
  }

  network_interfaces {
    associate_public_ip_address = var.associate_public_ip_address
    delete_on_termination       = "true"
    device_index                = 0
    security_groups             = concat([aws_security_group.runner_security_group.id], each.value.extra_security_group_ids)
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:pool" = each.key })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:pool" = each.key })
  }

  tag_specifications {
    resource_type = "network-interface"
    tags          = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:pool" = each.key })
  }
}

resource "aws_iam_role_policy_attachment" "runner_pool_extra_policy" {
  for_each   = { for key, val in toset(flatten([for key, val in local.pools_resolved : [for arn in val.extra_iam_policy_arns : { pool = key, arn = arn }]])) : format("%s %s", val.pool, val.arn) => val }
  policy_arn = each.value.arn
  role       = aws_iam_role.runner_pool_role[each.value.pool].name
}

resource "aws_iam_instance_profile" "runner_pool_instance_profile" {
  for_each = aws_iam_role.runner_pool_role
  name     = each.value.name
  path     = var.iam_role_path
  role     = each.value.name
  tags     = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role" "runner_pool_role" {
  for_each             = { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 }
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "ec2.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = format("%s-runner-pool-%s", var.prefix, each.key)
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "runner_pool_shared_build_cache" {
  for_each = (tonumber(var.enable_build_cache ? 1 : 0) >= 1) ? { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 } : {}
  name     = "build-cache"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "CallBuildCacheUrl", "Action" = ["lambda:InvokeFunctionUrl"], "Resource" = aws_lambda_function.build_cache_function["0"].arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id, "lambda:FunctionUrlAuthType" = "AWS_IAM" }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }, { "Effect" = "Allow", "Sid" = "InvokeBuildCacheOnlyThroughUrl", "Action" = ["lambda:InvokeFunction"], "Resource" = aws_lambda_function.build_cache_function["0"].arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" }, "Bool" = { "lambda:InvokedViaFunctionUrl" = "true" } } }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role_policy" "runner_pool_shared_cache_agent" {
  for_each = (tonumber(var.enable_build_cache ? 1 : 0) >= 1) ? { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 } : {}
  name     = "cache-agent"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadCacheAgent", "Action" = ["s3:GetObject"], "Resource" = ["${aws_s3_bucket.runner_binaries_bucket.arn}/cache-agent/cache-agent.js", "${aws_s3_bucket.runner_binaries_bucket.arn}/cache-agent/actions-cache-redirect.sh"], "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role_policy" "runner_pool_shared_deny_github_app_secrets" {
  for_each = { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 }
  name     = "deny-github-app-secrets"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "DenyGitHubAppSecrets", "Action" = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory", "ssm:GetParametersByPath"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))}", "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret"))}", "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret-previous"))}", "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter/${var.prefix}/*"] }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role_policy" "runner_pool_shared_open_own_runner_config" {
  for_each = (tonumber(local.encryption_enabled ? 1 : 0) >= 1) ? { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 } : {}
  name     = "open-own-runner-config"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "OpenOwnRunnerConfig", "Action" = ["kms:Decrypt"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id, "kms:EncryptionContext:instance-arn" = "$${ec2:SourceInstanceARN}" }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role_policy" "runner_pool_shared_runner_binaries" {
  for_each = { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 }
  name     = "runner-binaries"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadRunnerBinaries", "Action" = ["s3:GetObject"], "Resource" = ["${aws_s3_bucket.runner_binaries_bucket.arn}/runner/*", "${aws_s3_bucket.runner_binaries_bucket.arn}/pools/*"], "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role_policy" "runner_pool_shared_runner_logs" {
  for_each = (tonumber(var.enable_runner_logs ? 1 : 0) >= 1) ? { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 } : {}
  name     = "runner-logs"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ShipRunnerLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/self-runners/${var.prefix}/runners", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/self-runners/${var.prefix}/runners:*"], "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role_policy" "runner_pool_shared_runner_own_item" {
  for_each = { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 }
  name     = "runner-own-item"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadOwnRunnerConfig", "Action" = ["dynamodb:GetItem"], "Resource" = aws_dynamodb_table.runners_table.arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}", "dynamodb:Select" = "SPECIFIC_ATTRIBUTES" }, "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["$${ec2:SourceInstanceARN}"], "dynamodb:Attributes" = ["pk", "jitConfig", "jobKey"] } } }, { "Effect" = "Allow", "Sid" = "ClearOwnRunnerConfig", "Action" = ["dynamodb:UpdateItem"], "Resource" = aws_dynamodb_table.runners_table.arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}", "dynamodb:ReturnValues" = "NONE" }, "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["$${ec2:SourceInstanceARN}"], "dynamodb:Attributes" = ["pk", "jitConfig"] } } }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role_policy" "runner_pool_shared_ssm_sessions" {
  for_each = (tonumber(var.enable_ssm_sessions ? 1 : 0) >= 1) ? { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 } : {}
  name     = "ssm-sessions"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "RegisterWithSessionManager", "Action" = ["ssm:UpdateInstanceInformation"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }, { "Effect" = "Allow", "Sid" = "SessionManagerChannels", "Action" = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], "Resource" = "*", "Condition" = { "Null" = { "ec2:SourceInstanceARN" = "false" }, "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role_policy" "runner_pool_shared_use_kms_key" {
  for_each = (tonumber(local.encryption_enabled ? 1 : 0) >= 1) ? { for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 } : {}
  name     = "use-kms-key"
  policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["dynamodb.${data.aws_region.current_region.id}.amazonaws.com", "s3.${data.aws_region.current_region.id}.amazonaws.com"] } } }] })
  role     = aws_iam_role.runner_pool_role[each.key].id
}

resource "aws_iam_role" "runner_role" {
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "ec2.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-runner"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_security_group" "runner_security_group" {
  description = "self-runners runner instances: no inbound, all outbound"
  egress = [
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "All outbound (GitHub, package registries, AWS APIs)"
      from_port        = 0
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "-1"
      security_groups  = null
      self             = null
      to_port          = 0
    },
  ]
  name   = "${var.prefix}-runners"
  tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-runners" })
  vpc_id = var.vpc_id
}

resource "aws_iam_role_policy" "runner_ssm_sessions" {
  count  = var.enable_ssm_sessions ? 1 : 0
  name   = "ssm-sessions"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "RegisterWithSessionManager", "Action" = ["ssm:UpdateInstanceInformation"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }, { "Effect" = "Allow", "Sid" = "SessionManagerChannels", "Action" = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], "Resource" = "*", "Condition" = { "Null" = { "ec2:SourceInstanceARN" = "false" }, "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_dynamodb_resource_policy" "runners_resource_policy" {
  policy       = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "OnlyKitRolesTouchItems", "Principal" = "*", "Action" = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:ExportTableToPointInTime", "dynamodb:CreateBackup"], "Resource" = [aws_dynamodb_table.runners_table.arn, "${aws_dynamodb_table.runners_table.arn}/*"], "Condition" = { "ArnNotEquals" = { "aws:PrincipalArn" = formatlist("arn:%s:iam::%s:role/%s", data.aws_partition.current_partition.partition, data.aws_caller_identity.current_account.account_id, concat([format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "scale-up"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "reconcile"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "spot-interruption"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "runner"), format("%s%s-%s", trimprefix(var.iam_role_path, "/"), var.prefix, "build-cache")], formatlist("%s%s-runner-pool-%s", trimprefix(var.iam_role_path, "/"), var.prefix, keys({ for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 })))) } } }] })
  resource_arn = aws_dynamodb_table.runners_table.arn
}

resource "aws_iam_role_policy" "runners_runner_own_item" {
  name   = "runner-own-item"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadOwnRunnerConfig", "Action" = ["dynamodb:GetItem"], "Resource" = aws_dynamodb_table.runners_table.arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}", "dynamodb:Select" = "SPECIFIC_ATTRIBUTES" }, "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["$${ec2:SourceInstanceARN}"], "dynamodb:Attributes" = ["pk", "jitConfig", "jobKey"] } } }, { "Effect" = "Allow", "Sid" = "ClearOwnRunnerConfig", "Action" = ["dynamodb:UpdateItem"], "Resource" = aws_dynamodb_table.runners_table.arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}", "dynamodb:ReturnValues" = "NONE" }, "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["$${ec2:SourceInstanceARN}"], "dynamodb:Attributes" = ["pk", "jitConfig"] } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_dynamodb_table" "runners_table" {
  billing_mode                = "PAY_PER_REQUEST"
  deletion_protection_enabled = false
  hash_key                    = "pk"
  name                        = "${var.prefix}-runners"
  tags                        = merge(var.tags, { "self-runners:prefix" = var.prefix })

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.runners_table_point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.encryption_key_arn
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }
}
