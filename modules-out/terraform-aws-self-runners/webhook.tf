resource "aws_cloudwatch_log_group" "webhook_api_access_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/apigateway/${var.prefix}"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_api_gateway_account" "webhook_api_account" {
  count               = var.manage_api_gateway_account ? 1 : 0
  cloudwatch_role_arn = aws_iam_role.webhook_api_account_role["0"].arn
}

resource "aws_iam_role" "webhook_api_account_role" {
  count                = var.manage_api_gateway_account ? 1 : 0
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "apigateway.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-apigw-logs"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy_attachment" "webhook_api_account_role_logs" {
  count      = var.manage_api_gateway_account ? 1 : 0
  policy_arn = "arn:${data.aws_partition.current_partition.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
  role       = aws_iam_role.webhook_api_account_role["0"].name
}

resource "aws_api_gateway_deployment" "webhook_api_deployment" {
  rest_api_id = aws_api_gateway_rest_api.webhook_api_rest_api.id
  triggers = {
    redeployment = sha1(jsonencode([aws_api_gateway_resource.webhook_api_resource.id, aws_api_gateway_method.webhook_api_method.id, aws_api_gateway_integration.webhook_api_integration.id, aws_api_gateway_integration.webhook_api_integration.uri]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_integration" "webhook_api_integration" {
  http_method             = aws_api_gateway_method.webhook_api_method.http_method
  integration_http_method = "POST"
  resource_id             = aws_api_gateway_resource.webhook_api_resource.id
  rest_api_id             = aws_api_gateway_rest_api.webhook_api_rest_api.id
  timeout_milliseconds    = 10000
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.webhook_function.invoke_arn
}

resource "aws_lambda_permission" "webhook_api_invoke" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.webhook_function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.webhook_api_rest_api.execution_arn}/github/POST/webhook"
  statement_id  = "AllowApiGatewayInvoke"
}

resource "aws_api_gateway_method" "webhook_api_method" {
  authorization = "NONE"
  http_method   = "POST"
  resource_id   = aws_api_gateway_resource.webhook_api_resource.id
  rest_api_id   = aws_api_gateway_rest_api.webhook_api_rest_api.id
}

resource "aws_api_gateway_resource" "webhook_api_resource" {
  parent_id   = aws_api_gateway_rest_api.webhook_api_rest_api.root_resource_id
  path_part   = "webhook"
  rest_api_id = aws_api_gateway_rest_api.webhook_api_rest_api.id
}

resource "aws_api_gateway_rest_api" "webhook_api_rest_api" {
  description = "GitHub workflow_job webhooks for self-runners"
  name        = var.prefix
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_stage" "webhook_api_stage" {
  deployment_id = aws_api_gateway_deployment.webhook_api_deployment.id
  rest_api_id   = aws_api_gateway_rest_api.webhook_api_rest_api.id
  stage_name    = "github"
  tags          = merge(var.tags, { "self-runners:prefix" = var.prefix })

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.webhook_api_access_logs.arn
    format          = jsonencode({ "requestId" = "$context.requestId", "ip" = "$context.identity.sourceIp", "requestTime" = "$context.requestTime", "httpMethod" = "$context.httpMethod", "path" = "$context.path", "status" = "$context.status", "responseLength" = "$context.responseLength", "integrationLatency" = "$context.integrationLatency", "wafResponse" = "$context.waf.status" })
  }
  depends_on = [aws_api_gateway_account.webhook_api_account]
}

resource "aws_api_gateway_method_settings" "webhook_api_throttling" {
  method_path = "*/*"
  rest_api_id = aws_api_gateway_rest_api.webhook_api_rest_api.id
  stage_name  = aws_api_gateway_stage.webhook_api_stage.stage_name

  settings {
    metrics_enabled        = true
    throttling_burst_limit = var.api_throttling_burst_limit
    throttling_rate_limit  = var.api_throttling_rate_limit
  }
}

resource "aws_lambda_function" "webhook_function" {
  architectures                  = ["arm64"]
  description                    = "Verifies GitHub webhooks and queues workflow jobs"
  filename                       = "${path.module}/lambdas/webhook.zip"
  function_name                  = "${var.prefix}-webhook"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = []
  memory_size                    = 256
  reserved_concurrent_executions = var.webhook_reserved_concurrency
  role                           = aws_iam_role.webhook_role.arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/webhook.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 10

  environment {
    variables = {
      ALLOWED_OWNERS                             = jsonencode(var.allowed_owners)
      ALLOWED_REPOSITORIES                       = jsonencode(var.allowed_repositories)
      JOBS_TABLE                                 = aws_dynamodb_table.jobs_table.name
      NODE_OPTIONS                               = "--enable-source-maps"
      POOLS                                      = jsonencode({ for key, val in local.pools_resolved : key => { labels = val.labels, allowPublicRepositories = val.allow_public_repositories, queueUrl = aws_sqs_queue.job_queue[key].url } })
      POWERTOOLS_LOG_LEVEL                       = "INFO"
      POWERTOOLS_METRICS_NAMESPACE               = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME                    = "webhook"
      POWERTOOLS_TRACE_ENABLED                   = tostring(var.enable_tracing)
      PREFIX                                     = var.prefix
      WEBHOOK_MAX_BODY_BYTES                     = var.webhook_max_body_bytes
      WEBHOOK_MAX_JOB_AGE_SECONDS                = var.webhook_max_job_age_seconds
      WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME = coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret-previous"))
      WEBHOOK_SECRET_SSM_PARAMETER_NAME          = coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret"))
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.webhook_logs.name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }

  lifecycle {
    precondition {
      condition     = var.enable_waf || !var.waf_github_hooks_allowlist
      error_message = "waf_github_hooks_allowlist must be false while enable_waf is false (the allowlist is a rule of the WAF web ACL)."
    }

    precondition {
      condition     = (var.rerun_github_app_id == "") == (var.rerun_github_app_private_key_ssm_parameter_name == "")
      error_message = "rerun_github_app_private_key_ssm_parameter_name must be set exactly when rerun_github_app_id is set (the re-run App needs both its id and its key)."
    }

    precondition {
      condition     = (var.runner_scope == "enterprise") == (var.enterprise_slug != "")
      error_message = "enterprise_slug must be set exactly when runner_scope is \"enterprise\" (the enterprise whose runners the kit manages)."
    }

    precondition {
      condition     = (var.runner_scope == "enterprise") == (var.enterprise_token_ssm_parameter_name != "")
      error_message = "enterprise_token_ssm_parameter_name must be set exactly when runner_scope is \"enterprise\" (GitHub App installation tokens cannot call the enterprise runner endpoints)."
    }

    precondition {
      condition     = length(var.lambda_subnet_ids) == 0 || length(var.lambda_security_group_ids) > 0
      error_message = "lambda_security_group_ids must be at least one security group when lambda_subnet_ids is set (a function in a VPC needs both)."
    }

    precondition {
      condition     = length(var.lambda_security_group_ids) == 0 || length(var.lambda_subnet_ids) > 0
      error_message = "lambda_subnet_ids must be at least one subnet when lambda_security_group_ids is set (a function in a VPC needs both)."
    }

    precondition {
      condition     = !var.enable_build_cache || alltrue([for key, pool in var.pools : pool.os != "windows"])
      error_message = "enable_build_cache must be false while any pool has os \"windows\" (the Windows bootstrap does not start the cache agent yet)."
    }

    precondition {
      condition     = 460 + length(jsonencode([var.prefix, format("%s-jobs", var.prefix), format("SelfRunners/%s", var.prefix), coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret", var.prefix)), coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret-previous", var.prefix)), tostring(var.webhook_max_body_bytes), jsonencode(var.allowed_owners), jsonencode(var.allowed_repositories), tostring(var.webhook_max_job_age_seconds), jsonencode({ for k, p in var.pools : k => { labels = p.labels, allowPublicRepositories = false, queueUrl = format("%s/%s-%s.fifo", "https://sqs.rrrrrrrrrrrrrrrr.amazonaws.com.cn/000000000000", var.prefix, k) } })])) <= 4096
      error_message = "pools must be no more pools, keys and labels than fit the webhook function's environment (Lambda allows 4096 bytes, allowed_owners and allowed_repositories included: use fewer pools, or shorter keys, labels or prefix, or fewer allowed repositories); these need up to ${460 + length(jsonencode([var.prefix, format("%s-jobs", var.prefix), format("SelfRunners/%s", var.prefix), coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret", var.prefix)), coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret-previous", var.prefix)), tostring(var.webhook_max_body_bytes), jsonencode(var.allowed_owners), jsonencode(var.allowed_repositories), tostring(var.webhook_max_job_age_seconds), jsonencode({ for k, p in var.pools : k => { labels = p.labels, allowPublicRepositories = false, queueUrl = format("%s/%s-%s.fifo", "https://sqs.rrrrrrrrrrrrrrrr.amazonaws.com.cn/000000000000", var.prefix, k) } })]))} bytes."
    }
  }
  depends_on = [aws_cloudwatch_log_group.webhook_logs]
}

resource "aws_cloudwatch_log_group" "webhook_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-webhook"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "webhook_policy_job_ledger" {
  name   = "job-ledger"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseJobLedger", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.jobs_table.arn }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "webhook_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.webhook_logs.arn}:*" }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "webhook_policy_read_webhook_secret" {
  name   = "read-webhook-secret"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadWebhookSecret", "Action" = ["ssm:GetParameter"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret"))}", "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret-previous"))}"] }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "webhook_policy_send_jobs" {
  name   = "send-jobs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendJobs", "Action" = ["sqs:SendMessage"], "Resource" = values({ for key, val in aws_sqs_queue.job_queue : key => val.arn }) }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role" "webhook_role" {
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-webhook"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "webhook_tracing" {
  count  = var.enable_tracing ? 1 : 0
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "webhook_vpc_access" {
  count  = min(length(var.lambda_subnet_ids), 1)
  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.webhook_role.id
}
