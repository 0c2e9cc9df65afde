resource "aws_lambda_function" "reconcile_function" {
  architectures                  = ["arm64"]
  description                    = "Terminates orphaned runners and stale registrations"
  filename                       = "${path.module}/lambdas/reconcile.zip"
  function_name                  = "${var.prefix}-reconcile"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 256
  reserved_concurrent_executions = var.reconcile_reserved_concurrency
  role                           = aws_iam_role.reconcile_role.arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/reconcile.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 300

  environment {
    variables = {
      ADDITIONAL_GITHUB_APPS                          = jsonencode([for key, val in toset(var.additional_github_apps) : { appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }])
      BUSY_CONFIRM_SECONDS                            = var.busy_confirm_seconds
      DRAINING_PARAMETER                              = format("/%s/draining", var.prefix)
      ENTERPRISE_SLUG                                 = var.enterprise_slug
      ENTERPRISE_TOKEN_SSM_PARAMETER_NAME             = var.enterprise_token_ssm_parameter_name
      GITHUB_API_URL                                  = var.github_api_url
      GITHUB_APP_ID                                   = var.github_app_id
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME       = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
      HEALER_MAX_GITHUB_CALLS                         = var.webhook_healer_max_github_calls
      JOBS_TABLE                                      = aws_dynamodb_table.jobs_table.name
      NODE_OPTIONS                                    = "--enable-source-maps"
      POOLS                                           = jsonencode({ for key, val in local.pools_resolved : key => { queueUrl = aws_sqs_queue.job_queue[key].url, labels = val.labels, warmSize = val.warm_pool_size, warmOwner = val.warm_pool_owner, warmSchedule = val.warm_pool_schedule } })
      POWERTOOLS_LOG_LEVEL                            = "INFO"
      POWERTOOLS_METRICS_NAMESPACE                    = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME                         = "reconcile"
      POWERTOOLS_TRACE_ENABLED                        = tostring(var.enable_tracing)
      PREFIX                                          = var.prefix
      RELAUNCH_GRACE_SECONDS                          = var.relaunch_grace_seconds
      RERUN_GITHUB_APP_ID                             = var.rerun_github_app_id
      RERUN_GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME = var.rerun_github_app_private_key_ssm_parameter_name
      RERUN_INTERRUPTED_JOBS                          = tostring(var.rerun_interrupted_jobs)
      RUNNERS_TABLE                                   = aws_dynamodb_table.runners_table.name
      RUNNER_BOOT_TIMEOUT_SECONDS                     = var.runner_boot_timeout_seconds
      RUNNER_IDLE_TIMEOUT_SECONDS                     = (var.runner_idle_timeout_minutes * 60)
      RUNNER_INSTANCE_PROFILE_ARNS                    = jsonencode(concat([aws_iam_instance_profile.runner_instance_profile.arn], values({ for key, val in aws_iam_instance_profile.runner_pool_instance_profile : key => val.arn })))
      RUNNER_SCOPE                                    = var.runner_scope
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.reconcile_logs.name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }
  depends_on = [aws_cloudwatch_log_group.reconcile_logs]
}

resource "aws_cloudwatch_log_group" "reconcile_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-reconcile"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "reconcile_policy_job_ledger" {
  name   = "job-ledger"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseJobLedger", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.jobs_table.arn }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.reconcile_logs.arn}:*" }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_read_draining_switch" {
  name   = "read-draining-switch"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadDrainingSwitch", "Action" = ["ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${format("/%s/draining", var.prefix)}" }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_read_enterprise_token" {
  count  = !(length(var.enterprise_token_ssm_parameter_name) < 1) ? 1 : 0
  name   = "read-enterprise-token"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadEnterpriseRunnersToken", "Action" = ["ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${var.enterprise_token_ssm_parameter_name}" }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_read_github_app_key" {
  name   = "read-github-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadGitHubAppKey", "Action" = ["ssm:GetParameter"], "Resource" = formatlist("%s%s", format("arn:%s:ssm:%s:%s:parameter", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id), concat([coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))], [for key, val in toset(var.additional_github_apps) : val.private_key_ssm_parameter_name])) }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_read_instance_status" {
  name   = "read-instance-status"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadRunnerStatusChecks", "Action" = ["ec2:DescribeInstanceStatus"], "Resource" = "*" }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_read_rerun_app_key" {
  count  = !(length(var.rerun_github_app_private_key_ssm_parameter_name) < 1) ? 1 : 0
  name   = "read-rerun-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadRerunAppKey", "Action" = ["ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${var.rerun_github_app_private_key_ssm_parameter_name}" }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_runners_table" {
  name   = "runners-table"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageRunnerItems", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.runners_table.arn }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_send_jobs" {
  name   = "send-jobs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendJobs", "Action" = ["sqs:SendMessage"], "Resource" = values({ for key, val in aws_sqs_queue.job_queue : key => val.arn }) }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_terminate_runners" {
  name   = "terminate-runners"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DescribeRunners", "Action" = ["ec2:DescribeInstances"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "TerminateOwnRunners", "Action" = ["ec2:TerminateInstances"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "ec2:ResourceTag/self-runners:prefix" = var.prefix }, "ArnEquals" = { "ec2:InstanceProfile" = concat([aws_iam_instance_profile.runner_instance_profile.arn], values({ for key, val in aws_iam_instance_profile.runner_pool_instance_profile : key => val.arn })) } } }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role" "reconcile_role" {
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-reconcile"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_lambda_permission" "reconcile_schedule_invoke" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.reconcile_function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.reconcile_schedule_rule.arn
  statement_id  = "AllowEventBridgeInvoke"
}

resource "aws_cloudwatch_event_rule" "reconcile_schedule_rule" {
  description         = "Runs the self-runners reconciler"
  name                = "${var.prefix}-reconcile"
  schedule_expression = var.reconcile_schedule_expression
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_target" "reconcile_schedule_target" {
  arn       = aws_lambda_function.reconcile_function.arn
  rule      = aws_cloudwatch_event_rule.reconcile_schedule_rule.name
  target_id = "reconcile"
}

resource "aws_iam_role_policy" "reconcile_tracing" {
  count  = var.enable_tracing ? 1 : 0
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_vpc_access" {
  count  = min(length(var.lambda_subnet_ids), 1)
  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.reconcile_role.id
}
