resource "aws_lambda_function" "scale_up_function" {
  architectures                  = ["arm64"]
  description                    = "Launches ephemeral runners for queued jobs"
  filename                       = "${path.module}/lambdas/scale-up.zip"
  function_name                  = "${var.prefix}-scale-up"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 512
  reserved_concurrent_executions = var.scale_up_reserved_concurrency
  role                           = aws_iam_role.scale_up_role.arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/scale-up.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 60

  environment {
    variables = {
      ADDITIONAL_GITHUB_APPS                    = jsonencode([for key, val in toset(var.additional_github_apps) : { appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }])
      ALLOWED_OWNERS                            = jsonencode(var.allowed_owners)
      ALLOWED_REPOSITORIES                      = jsonencode(var.allowed_repositories)
      DRAINING_PARAMETER                        = format("/%s/draining", var.prefix)
      ENTERPRISE_SLUG                           = var.enterprise_slug
      ENTERPRISE_TOKEN_SSM_PARAMETER_NAME       = var.enterprise_token_ssm_parameter_name
      GITHUB_API_URL                            = var.github_api_url
      GITHUB_APP_ID                             = var.github_app_id
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
      GITHUB_MIN_REMAINING_REQUESTS             = var.github_min_remaining_requests
      GITHUB_WRITES_PER_MINUTE                  = var.github_writes_per_minute
      GITHUB_WRITE_BURST                        = var.github_write_burst
      JIT_KMS_KEY_ARN                           = local.encryption_enabled ? local.encryption_key_arn : ""
      JOBS_TABLE                                = aws_dynamodb_table.jobs_table.name
      JOB_MAX_AGE_SECONDS                       = var.job_max_age_seconds
      JOB_WAIT_MAX_SECONDS                      = var.job_wait_max_seconds
      MAX_RUNNERS_PER_OWNER                     = var.max_runners_per_owner
      MAX_RUNNERS_TOTAL                         = var.max_runners_total
      NODE_OPTIONS                              = "--enable-source-maps"
      POOLS                                     = jsonencode({ for key, val in local.pools_resolved : key => { labels = val.labels, maxRunners = val.max_runners, instanceTypes = val.instance_types, instanceRequirements = val.instance_requirements, subnetIds = val.subnet_ids, launchTemplateName = aws_launch_template.runner_launch_template[key].name, spot = val.spot, onDemandFallback = val.on_demand_fallback, runnerGroupId = val.runner_group_id, allowPublicRepositories = val.allow_public_repositories, queueUrl = aws_sqs_queue.job_queue[key].url, queueArn = aws_sqs_queue.job_queue[key].arn, deadLetterQueueUrl = aws_sqs_queue.job_dlq[key].url } })
      POWERTOOLS_LOG_LEVEL                      = "INFO"
      POWERTOOLS_METRICS_NAMESPACE              = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME                   = "scale-up"
      POWERTOOLS_TRACE_ENABLED                  = tostring(var.enable_tracing)
      PREFIX                                    = var.prefix
      RUNNERS_TABLE                             = aws_dynamodb_table.runners_table.name
      RUNNER_BOOT_TIMEOUT_SECONDS               = var.runner_boot_timeout_seconds
      RUNNER_SCOPE                              = var.runner_scope
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.scale_up_logs.name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }
  depends_on = [aws_cloudwatch_log_group.scale_up_logs]
}

resource "aws_cloudwatch_log_group" "scale_up_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-scale-up"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "scale_up_policy_consume_jobs" {
  name   = "consume-jobs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ConsumeJobs", "Action" = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"], "Resource" = values({ for key, val in aws_sqs_queue.job_queue : key => val.arn }) }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_dead_letter_jobs" {
  name   = "dead-letter-jobs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DeadLetterJobs", "Action" = ["sqs:SendMessage"], "Resource" = values({ for key, val in aws_sqs_queue.job_dlq : key => val.arn }) }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_job_ledger" {
  name   = "job-ledger"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseJobLedger", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.jobs_table.arn }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_launch_runners" {
  name   = "launch-runners"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "LaunchFromOwnTemplates", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = values({ for key, val in aws_launch_template.runner_launch_template : key => val.arn }) }, { "Effect" = "Allow", "Sid" = "LaunchRunnerInstances", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "aws:RequestTag/self-runners:prefix" = var.prefix, "ec2:MetadataHttpTokens" = "required" }, "StringLike" = { "ec2:InstanceType" = distinct(flatten([for key, val in local.pools_resolved : length(val.instance_types) > 0 ? val.instance_types : (length(val.instance_requirements.allowed_instance_types) > 0 ? val.instance_requirements.allowed_instance_types : ["*"])])) }, "ArnEquals" = { "ec2:InstanceProfile" = concat([aws_iam_instance_profile.runner_instance_profile.arn], values({ for key, val in aws_iam_instance_profile.runner_pool_instance_profile : key => val.arn })) }, "ArnLike" = { "ec2:LaunchTemplate" = values({ for key, val in aws_launch_template.runner_launch_template : key => val.arn }) } } }, { "Effect" = "Allow", "Sid" = "LaunchTaggedRunners", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:volume/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:network-interface/*"], "Condition" = { "StringEquals" = { "aws:RequestTag/self-runners:prefix" = var.prefix }, "ArnLike" = { "ec2:LaunchTemplate" = values({ for key, val in aws_launch_template.runner_launch_template : key => val.arn }) } } }, { "Effect" = "Allow", "Sid" = "LaunchIntoRunnerNetwork", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = concat([format("arn:%s:ec2:%s:%s:security-group/%s", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id, aws_security_group.runner_security_group.id)], formatlist("arn:%s:ec2:%s:%s:subnet/%s", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id, distinct(flatten([for key, val in local.pools_resolved : val.subnet_ids])))), "Condition" = { "ArnLike" = { "ec2:LaunchTemplate" = values({ for key, val in aws_launch_template.runner_launch_template : key => val.arn }) } } }, { "Effect" = "Allow", "Sid" = "LaunchFromTemplateImages", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}::image/*", "Condition" = { "ArnLike" = { "ec2:LaunchTemplate" = values({ for key, val in aws_launch_template.runner_launch_template : key => val.arn }) }, "Bool" = { "ec2:IsLaunchTemplateResource" = "true" } } }, { "Effect" = "Allow", "Sid" = "LaunchFromImageSnapshots", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}::snapshot/*", "Condition" = { "ArnLike" = { "ec2:LaunchTemplate" = values({ for key, val in aws_launch_template.runner_launch_template : key => val.arn }) } } }, { "Effect" = "Allow", "Sid" = "FleetRequests", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:fleet/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:spot-instances-request/*"] }, { "Effect" = "Allow", "Sid" = "TagOnLaunch", "Action" = ["ec2:CreateTags"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:volume/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:network-interface/*"], "Condition" = { "StringEquals" = { "ec2:CreateAction" = ["CreateFleet", "RunInstances"], "aws:RequestTag/self-runners:prefix" = var.prefix } } }, { "Effect" = "Allow", "Sid" = "NameOwnRunners", "Action" = ["ec2:CreateTags"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "ec2:ResourceTag/self-runners:prefix" = var.prefix }, "ArnEquals" = { "ec2:InstanceProfile" = concat([aws_iam_instance_profile.runner_instance_profile.arn], values({ for key, val in aws_iam_instance_profile.runner_pool_instance_profile : key => val.arn })) }, "ForAllValues:StringEquals" = { "aws:TagKeys" = ["Name", "self-runners:job-id", "self-runners:delivery-id", "self-runners:repository"] } } }, { "Effect" = "Allow", "Sid" = "Describe", "Action" = ["ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeImages", "ec2:DescribeSubnets", "ec2:DescribeInstanceTypeOfferings"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "ResolveAmiParameters", "Action" = ["ssm:GetParameters", "ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}::parameter/aws/service/*" }, { "Effect" = "Allow", "Sid" = "PassRunnerRole", "Action" = ["iam:PassRole"], "Resource" = concat([aws_iam_role.runner_role.arn], values({ for key, val in aws_iam_role.runner_pool_role : key => val.arn })), "Condition" = { "StringEquals" = { "iam:PassedToService" = ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } } }, { "Effect" = "Allow", "Sid" = "FleetServiceLinkedRoles", "Action" = ["iam:CreateServiceLinkedRole"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot", "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/aws-service-role/ec2fleet.amazonaws.com/AWSServiceRoleForEC2Fleet"], "Condition" = { "StringEquals" = { "iam:AWSServiceName" = ["spot.amazonaws.com", "ec2fleet.amazonaws.com"] } } }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.scale_up_logs.arn}:*" }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_read_draining_switch" {
  name   = "read-draining-switch"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadDrainingSwitch", "Action" = ["ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${format("/%s/draining", var.prefix)}" }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_read_enterprise_token" {
  count  = !(length(var.enterprise_token_ssm_parameter_name) < 1) ? 1 : 0
  name   = "read-enterprise-token"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadEnterpriseRunnersToken", "Action" = ["ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${var.enterprise_token_ssm_parameter_name}" }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_read_github_app_key" {
  name   = "read-github-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadGitHubAppKey", "Action" = ["ssm:GetParameter"], "Resource" = formatlist("%s%s", format("arn:%s:ssm:%s:%s:parameter", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id), concat([coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))], [for key, val in toset(var.additional_github_apps) : val.private_key_ssm_parameter_name])) }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_runners_table" {
  name   = "runners-table"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageRunnerItems", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.runners_table.arn }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_terminate_runners_launch" {
  name   = "terminate-runners-launch"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DescribeRunners", "Action" = ["ec2:DescribeInstances"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "TerminateOwnRunners", "Action" = ["ec2:TerminateInstances"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "ec2:ResourceTag/self-runners:prefix" = var.prefix }, "ArnEquals" = { "ec2:InstanceProfile" = concat([aws_iam_instance_profile.runner_instance_profile.arn], values({ for key, val in aws_iam_instance_profile.runner_pool_instance_profile : key => val.arn })) } } }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role" "scale_up_role" {
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-scale-up"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "scale_up_tracing" {
  count  = var.enable_tracing ? 1 : 0
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_lambda_event_source_mapping" "scale_up_trigger" {
  for_each                = local.pools_resolved
  batch_size              = 10
  event_source_arn        = aws_sqs_queue.job_queue[each.key].arn
  function_name           = aws_lambda_function.scale_up_function.arn
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_iam_role_policy" "scale_up_vpc_access" {
  count  = min(length(var.lambda_subnet_ids), 1)
  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.scale_up_role.id
}
