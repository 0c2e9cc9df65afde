resource "aws_s3_object" "build_cache_agent_actions_redirect" {
  count        = var.enable_build_cache ? 1 : 0
  bucket       = aws_s3_bucket.runner_binaries_bucket.bucket
  content_type = "text/x-shellscript"
  key          = "cache-agent/actions-cache-redirect.sh"
  source       = "${path.module}/lambdas/actions-cache-redirect.sh"
  source_hash  = filemd5("${path.module}/lambdas/actions-cache-redirect.sh")
  tags         = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_object" "build_cache_agent_object" {
  count        = var.enable_build_cache ? 1 : 0
  bucket       = aws_s3_bucket.runner_binaries_bucket.bucket
  content_type = "text/javascript"
  key          = "cache-agent/cache-agent.js"
  source       = "${path.module}/lambdas/cache-agent.js"
  source_hash  = filemd5("${path.module}/lambdas/cache-agent.js")
  tags         = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "build_cache_agent_runner_read" {
  count  = var.enable_build_cache ? 1 : 0
  name   = "cache-agent"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadCacheAgent", "Action" = ["s3:GetObject"], "Resource" = ["${aws_s3_bucket.runner_binaries_bucket.arn}/cache-agent/cache-agent.js", "${aws_s3_bucket.runner_binaries_bucket.arn}/cache-agent/actions-cache-redirect.sh"], "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_s3_bucket" "build_cache_bucket" {
  count  = var.enable_build_cache ? 1 : 0
  bucket = "${var.prefix}-build-cache-${data.aws_caller_identity.current_account.account_id}-${data.aws_region.current_region.id}"
  tags   = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "build_cache_bucket_encryption" {
  count  = var.enable_build_cache ? 1 : 0
  bucket = aws_s3_bucket.build_cache_bucket["0"].id

  rule {
    bucket_key_enabled = local.encryption_enabled

    apply_server_side_encryption_by_default {
      kms_master_key_id = local.encryption_key_arn
      sse_algorithm     = local.encryption_enabled ? "aws:kms" : "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "build_cache_bucket_lifecycle" {
  count  = var.enable_build_cache ? 1 : 0
  bucket = aws_s3_bucket.build_cache_bucket["0"].id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }

    expiration {
      expired_object_delete_marker = true
    }

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "expire-staging"
    status = "Enabled"

    expiration {
      days = 1
    }

    filter {
      prefix = "staging/"
    }
  }
  depends_on = [aws_s3_bucket_versioning.build_cache_bucket_versioning]
}

resource "aws_s3_bucket_ownership_controls" "build_cache_bucket_ownership" {
  count  = var.enable_build_cache ? 1 : 0
  bucket = aws_s3_bucket.build_cache_bucket["0"].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "build_cache_bucket_policy" {
  count  = var.enable_build_cache ? 1 : 0
  bucket = aws_s3_bucket.build_cache_bucket["0"].id
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "DenyInsecureTransport", "Principal" = "*", "Action" = ["s3:*"], "Resource" = [aws_s3_bucket.build_cache_bucket["0"].arn, "${aws_s3_bucket.build_cache_bucket["0"].arn}/*"], "Condition" = { "Bool" = { "aws:SecureTransport" = "false" } } }] })
}

resource "aws_s3_bucket_public_access_block" "build_cache_bucket_public_access_block" {
  count                   = var.enable_build_cache ? 1 : 0
  block_public_acls       = true
  block_public_policy     = true
  bucket                  = aws_s3_bucket.build_cache_bucket["0"].id
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "build_cache_bucket_versioning" {
  count  = var.enable_build_cache ? 1 : 0
  bucket = aws_s3_bucket.build_cache_bucket["0"].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_lambda_function" "build_cache_function" {
  count                          = var.enable_build_cache ? 1 : 0
  architectures                  = ["arm64"]
  description                    = "Build cache: looks up entries and hands out presigned URLs of the caller's scope"
  filename                       = "${path.module}/lambdas/build-cache.zip"
  function_name                  = "${var.prefix}-build-cache"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 1769
  reserved_concurrent_executions = -1
  role                           = aws_iam_role.build_cache_function_role["0"].arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/build-cache.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 300

  environment {
    variables = {
      ADDITIONAL_GITHUB_APPS                    = jsonencode([for key, val in toset(var.additional_github_apps) : { appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }])
      BUILD_CACHE_BUCKET                        = aws_s3_bucket.build_cache_bucket["0"].bucket
      BUILD_CACHE_INDEX_TABLE                   = aws_dynamodb_table.build_cache_index_table["0"].name
      BUILD_CACHE_PROTOCOLS                     = jsonencode(var.build_cache_protocols)
      BUILD_CACHE_RUNNER_ROLE_NAMES             = jsonencode(concat([format("%s-runner", var.prefix)], formatlist("%s%s-runner-pool-%s", "", var.prefix, keys({ for key, val in local.pools_resolved : key => key if length(val.extra_iam_policy_arns) > 0 }))))
      BUILD_CACHE_SCOPE_BUDGET_BYTES            = (var.build_cache_budget_gb_per_scope * 1073741824)
      ENTERPRISE_SLUG                           = var.enterprise_slug
      ENTERPRISE_TOKEN_SSM_PARAMETER_NAME       = var.enterprise_token_ssm_parameter_name
      GITHUB_API_URL                            = var.github_api_url
      GITHUB_APP_ID                             = var.github_app_id
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
      JOBS_TABLE                                = aws_dynamodb_table.jobs_table.name
      NODE_OPTIONS                              = "--enable-source-maps"
      POWERTOOLS_LOG_LEVEL                      = "INFO"
      POWERTOOLS_METRICS_NAMESPACE              = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME                   = "build-cache"
      POWERTOOLS_TRACE_ENABLED                  = tostring(var.enable_tracing)
      PREFIX                                    = var.prefix
      RUNNERS_TABLE                             = aws_dynamodb_table.runners_table.name
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.build_cache_function_logs["0"].name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }
  depends_on = [aws_cloudwatch_log_group.build_cache_function_logs]
}

resource "aws_cloudwatch_log_group" "build_cache_function_logs" {
  count             = var.enable_build_cache ? 1 : 0
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-build-cache"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "build_cache_function_policy_build_cache" {
  count  = var.enable_build_cache ? 1 : 0
  name   = "build-cache"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "StageUploads", "Action" = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"], "Resource" = "${aws_s3_bucket.build_cache_bucket["0"].arn}/staging/*" }, { "Effect" = "Allow", "Sid" = "StoreVerifiedBlobs", "Action" = ["s3:PutObject", "s3:GetObject"], "Resource" = "${aws_s3_bucket.build_cache_bucket["0"].arn}/blobs/*" }, { "Effect" = "Allow", "Sid" = "SeeMissingBlobs", "Action" = ["s3:ListBucket"], "Resource" = aws_s3_bucket.build_cache_bucket["0"].arn, "Condition" = { "StringLike" = { "s3:prefix" = ["staging/*", "blobs/*"] } } }, { "Effect" = "Allow", "Sid" = "UseIndex", "Action" = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], "Resource" = aws_dynamodb_table.build_cache_index_table["0"].arn }, { "Effect" = "Allow", "Sid" = "ReadCallerRunner", "Action" = ["dynamodb:GetItem"], "Resource" = aws_dynamodb_table.runners_table.arn }, { "Effect" = "Allow", "Sid" = "ReadCallerJob", "Action" = ["dynamodb:GetItem"], "Resource" = aws_dynamodb_table.jobs_table.arn }] })
  role   = aws_iam_role.build_cache_function_role["0"].id
}

resource "aws_iam_role_policy" "build_cache_function_policy_logs" {
  count  = var.enable_build_cache ? 1 : 0
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.build_cache_function_logs["0"].arn}:*" }] })
  role   = aws_iam_role.build_cache_function_role["0"].id
}

resource "aws_iam_role_policy" "build_cache_function_policy_read_github_app_key" {
  count  = var.enable_build_cache ? 1 : 0
  name   = "read-github-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadGitHubAppKey", "Action" = ["ssm:GetParameter"], "Resource" = formatlist("%s%s", format("arn:%s:ssm:%s:%s:parameter", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id), concat([coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))], [for key, val in toset(var.additional_github_apps) : val.private_key_ssm_parameter_name])) }] })
  role   = aws_iam_role.build_cache_function_role["0"].id
}

resource "aws_iam_role" "build_cache_function_role" {
  count                = var.enable_build_cache ? 1 : 0
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-build-cache"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "build_cache_function_runner_invoke_url" {
  count  = var.enable_build_cache ? 1 : 0
  name   = "build-cache"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "CallBuildCacheUrl", "Action" = ["lambda:InvokeFunctionUrl"], "Resource" = aws_lambda_function.build_cache_function["0"].arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id, "lambda:FunctionUrlAuthType" = "AWS_IAM" }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }, { "Effect" = "Allow", "Sid" = "InvokeBuildCacheOnlyThroughUrl", "Action" = ["lambda:InvokeFunction"], "Resource" = aws_lambda_function.build_cache_function["0"].arn, "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" }, "Bool" = { "lambda:InvokedViaFunctionUrl" = "true" } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_iam_role_policy" "build_cache_function_tracing" {
  count  = min(var.enable_build_cache ? 1 : 0, var.enable_tracing ? 1 : 0)
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.build_cache_function_role["0"].id
}

resource "aws_lambda_function_url" "build_cache_function_url" {
  count              = var.enable_build_cache ? 1 : 0
  authorization_type = "AWS_IAM"
  function_name      = aws_lambda_function.build_cache_function["0"].function_name
  invoke_mode        = "BUFFERED"
}

resource "aws_iam_role_policy" "build_cache_function_vpc_access" {
  count  = min(var.enable_build_cache ? 1 : 0, min(length(var.lambda_subnet_ids), 1))
  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.build_cache_function_role["0"].id
}

resource "aws_dynamodb_resource_policy" "build_cache_index_resource_policy" {
  count        = var.enable_build_cache ? 1 : 0
  policy       = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "OnlyKitRolesTouchItems", "Principal" = "*", "Action" = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:ExportTableToPointInTime", "dynamodb:CreateBackup"], "Resource" = [aws_dynamodb_table.build_cache_index_table["0"].arn, "${aws_dynamodb_table.build_cache_index_table["0"].arn}/*"], "Condition" = { "ArnNotEquals" = { "aws:PrincipalArn" = ["arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/${trimprefix(var.iam_role_path, "/")}${var.prefix}-build-cache", "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/${trimprefix(var.iam_role_path, "/")}${var.prefix}-build-cache-sweep"] } } }] })
  resource_arn = aws_dynamodb_table.build_cache_index_table["0"].arn
}

resource "aws_dynamodb_table" "build_cache_index_table" {
  count                       = var.enable_build_cache ? 1 : 0
  billing_mode                = "PAY_PER_REQUEST"
  deletion_protection_enabled = false
  hash_key                    = "pk"
  name                        = "${var.prefix}-build-cache"
  range_key                   = "sk"
  tags                        = merge(var.tags, { "self-runners:prefix" = var.prefix })

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.build_cache_point_in_time_recovery
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

resource "aws_lambda_function" "build_cache_sweep_function" {
  count                          = var.enable_build_cache ? 1 : 0
  architectures                  = ["arm64"]
  description                    = "Build cache: evicts entries past the retention or over a scope's budget, and unreferenced blobs"
  filename                       = "${path.module}/lambdas/build-cache-sweep.zip"
  function_name                  = "${var.prefix}-build-cache-sweep"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 256
  reserved_concurrent_executions = 1
  role                           = aws_iam_role.build_cache_sweep_role["0"].arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/build-cache-sweep.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 900

  environment {
    variables = {
      BUILD_CACHE_BUCKET             = aws_s3_bucket.build_cache_bucket["0"].bucket
      BUILD_CACHE_INDEX_TABLE        = aws_dynamodb_table.build_cache_index_table["0"].name
      BUILD_CACHE_RETENTION_DAYS     = var.build_cache_retention_days
      BUILD_CACHE_SCOPE_BUDGET_BYTES = (var.build_cache_budget_gb_per_scope * 1073741824)
      NODE_OPTIONS                   = "--enable-source-maps"
      POWERTOOLS_LOG_LEVEL           = "INFO"
      POWERTOOLS_METRICS_NAMESPACE   = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME        = "build-cache-sweep"
      POWERTOOLS_TRACE_ENABLED       = tostring(var.enable_tracing)
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.build_cache_sweep_logs["0"].name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }
  depends_on = [aws_cloudwatch_log_group.build_cache_sweep_logs]
}

resource "aws_lambda_permission" "build_cache_sweep_invoke" {
  count         = var.enable_build_cache ? 1 : 0
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.build_cache_sweep_function["0"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.build_cache_sweep_schedule["0"].arn
  statement_id  = "AllowEventBridgeInvoke"
}

resource "aws_cloudwatch_log_group" "build_cache_sweep_logs" {
  count             = var.enable_build_cache ? 1 : 0
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-build-cache-sweep"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "build_cache_sweep_policy_build_cache_sweep" {
  count  = var.enable_build_cache ? 1 : 0
  name   = "build-cache-sweep"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DeleteEvictedBlobs", "Action" = ["s3:DeleteObject"], "Resource" = ["${aws_s3_bucket.build_cache_bucket["0"].arn}/staging/*", "${aws_s3_bucket.build_cache_bucket["0"].arn}/blobs/*"] }, { "Effect" = "Allow", "Sid" = "ListBlobs", "Action" = ["s3:ListBucket"], "Resource" = aws_s3_bucket.build_cache_bucket["0"].arn, "Condition" = { "StringLike" = { "s3:prefix" = ["staging/*", "blobs/*"] } } }, { "Effect" = "Allow", "Sid" = "SweepIndex", "Action" = ["dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"], "Resource" = aws_dynamodb_table.build_cache_index_table["0"].arn }] })
  role   = aws_iam_role.build_cache_sweep_role["0"].id
}

resource "aws_iam_role_policy" "build_cache_sweep_policy_logs" {
  count  = var.enable_build_cache ? 1 : 0
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.build_cache_sweep_logs["0"].arn}:*" }] })
  role   = aws_iam_role.build_cache_sweep_role["0"].id
}

resource "aws_iam_role" "build_cache_sweep_role" {
  count                = var.enable_build_cache ? 1 : 0
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-build-cache-sweep"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_rule" "build_cache_sweep_schedule" {
  count               = var.enable_build_cache ? 1 : 0
  description         = "Runs the self-runners build cache sweep"
  name                = "${var.prefix}-build-cache-sweep"
  schedule_expression = "rate(1 hour)"
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_target" "build_cache_sweep_target" {
  count     = var.enable_build_cache ? 1 : 0
  arn       = aws_lambda_function.build_cache_sweep_function["0"].arn
  rule      = aws_cloudwatch_event_rule.build_cache_sweep_schedule["0"].name
  target_id = "build-cache-sweep"
}

resource "aws_iam_role_policy" "build_cache_sweep_tracing" {
  count  = min(var.enable_build_cache ? 1 : 0, var.enable_tracing ? 1 : 0)
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.build_cache_sweep_role["0"].id
}

resource "aws_iam_role_policy" "build_cache_sweep_vpc_access" {
  count  = min(var.enable_build_cache ? 1 : 0, min(length(var.lambda_subnet_ids), 1))
  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.build_cache_sweep_role["0"].id
}
