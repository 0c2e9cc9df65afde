resource "aws_lambda_permission" "spot_interruption_rule_invoke" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.spot_interruption_function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.spot_interruption_rule_rule.arn
  statement_id  = "AllowEventBridgeInvoke"
}

resource "aws_cloudwatch_event_rule" "spot_interruption_rule_rule" {
  description   = "Spot interruption warnings for self-runners"
  event_pattern = jsonencode({ "source" = ["aws.ec2"], "detail-type" = ["EC2 Spot Instance Interruption Warning"] })
  name          = "${var.prefix}-spot-interruption"
  tags          = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_target" "spot_interruption_rule_target" {
  arn       = aws_lambda_function.spot_interruption_function.arn
  rule      = aws_cloudwatch_event_rule.spot_interruption_rule_rule.name
  target_id = "spot-interruption"
}

resource "aws_lambda_function" "spot_interruption_function" {
  architectures                  = ["arm64"]
  description                    = "Handles spot interruption warnings for runners"
  filename                       = "${path.module}/lambdas/spot-interruption.zip"
  function_name                  = "${var.prefix}-spot-interruption"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 256
  reserved_concurrent_executions = -1
  role                           = aws_iam_role.spot_interruption_role.arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/spot-interruption.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 30

  environment {
    variables = {
      ADDITIONAL_GITHUB_APPS                    = jsonencode([for key, val in toset(var.additional_github_apps) : { appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }])
      ENTERPRISE_SLUG                           = var.enterprise_slug
      ENTERPRISE_TOKEN_SSM_PARAMETER_NAME       = var.enterprise_token_ssm_parameter_name
      GITHUB_API_URL                            = var.github_api_url
      GITHUB_APP_ID                             = var.github_app_id
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
      JOBS_TABLE                                = aws_dynamodb_table.jobs_table.name
      NODE_OPTIONS                              = "--enable-source-maps"
      POOLS                                     = jsonencode({ for key, val in local.pools_resolved : key => { queueUrl = aws_sqs_queue.job_queue[key].url } })
      POWERTOOLS_LOG_LEVEL                      = "INFO"
      POWERTOOLS_METRICS_NAMESPACE              = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME                   = "spot-interruption"
      POWERTOOLS_TRACE_ENABLED                  = tostring(var.enable_tracing)
      PREFIX                                    = var.prefix
      RUNNERS_TABLE                             = aws_dynamodb_table.runners_table.name
      RUNNER_SCOPE                              = var.runner_scope
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.spot_interruption_logs.name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }
  depends_on = [aws_cloudwatch_log_group.spot_interruption_logs]
}

resource "aws_cloudwatch_log_group" "spot_interruption_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-spot-interruption"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "spot_interruption_policy_describe_runners" {
  name   = "describe-runners"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DescribeRunners", "Action" = ["ec2:DescribeInstances"], "Resource" = "*" }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_job_ledger" {
  name   = "job-ledger"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseJobLedger", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.jobs_table.arn }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.spot_interruption_logs.arn}:*" }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_read_enterprise_token" {
  count  = !(length(var.enterprise_token_ssm_parameter_name) < 1) ? 1 : 0
  name   = "read-enterprise-token"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadEnterpriseRunnersToken", "Action" = ["ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${var.enterprise_token_ssm_parameter_name}" }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_read_github_app_key" {
  name   = "read-github-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadGitHubAppKey", "Action" = ["ssm:GetParameter"], "Resource" = formatlist("%s%s", format("arn:%s:ssm:%s:%s:parameter", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id), concat([coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))], [for key, val in toset(var.additional_github_apps) : val.private_key_ssm_parameter_name])) }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_runners_table" {
  name   = "runners-table"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageRunnerItems", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.runners_table.arn }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_send_jobs" {
  name   = "send-jobs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendJobs", "Action" = ["sqs:SendMessage"], "Resource" = values({ for key, val in aws_sqs_queue.job_queue : key => val.arn }) }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role" "spot_interruption_role" {
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-spot-interruption"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "spot_interruption_tracing" {
  count  = var.enable_tracing ? 1 : 0
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_vpc_access" {
  count  = min(length(var.lambda_subnet_ids), 1)
  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.spot_interruption_role.id
}
