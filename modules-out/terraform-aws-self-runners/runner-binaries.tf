resource "aws_lambda_invocation" "runner_binaries_syncer_first_sync" {
  function_name = aws_lambda_function.runner_binaries_syncer_function.function_name
  input         = jsonencode({ "source" = "terraform" })
  triggers = {
    aws_cli_platforms = jsonencode(distinct([for key, val in local.pools_resolved : format("linux-%s", val.architecture) if val.os != "windows" && startswith(val.linux_distribution, "ubuntu")]))
    bucket            = aws_s3_bucket.runner_binaries_bucket.bucket
    platforms         = jsonencode(distinct([for key, val in local.pools_resolved : format(val.os == "windows" ? "win-%s" : "linux-%s", val.architecture)]))
    runner_version    = var.runner_version
  }
  depends_on = [aws_iam_role_policy.runner_binaries_syncer_policy_runner_binaries]
}

resource "aws_lambda_permission" "runner_binaries_syncer_invoke" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.runner_binaries_syncer_function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.runner_binaries_syncer_schedule.arn
  statement_id  = "AllowEventBridgeInvoke"
}

resource "aws_cloudwatch_event_rule" "runner_binaries_syncer_schedule" {
  description         = "Checks GitHub for a new runner release and copies it into the runner binaries bucket"
  name                = "${var.prefix}-runner-binaries-syncer"
  schedule_expression = var.runner_binaries_sync_schedule
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_target" "runner_binaries_syncer_target" {
  arn       = aws_lambda_function.runner_binaries_syncer_function.arn
  rule      = aws_cloudwatch_event_rule.runner_binaries_syncer_schedule.name
  target_id = "runner-binaries-syncer"
}

resource "aws_lambda_function" "runner_binaries_syncer_function" {
  architectures                  = ["arm64"]
  description                    = "Copies the GitHub Actions runner release into the runner binaries bucket"
  filename                       = "${path.module}/lambdas/runner-binaries-syncer.zip"
  function_name                  = "${var.prefix}-runner-binaries-syncer"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 512
  reserved_concurrent_executions = 1
  role                           = aws_iam_role.runner_binaries_syncer_role.arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/runner-binaries-syncer.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 600

  environment {
    variables = {
      AWS_CLI_PLATFORMS                         = jsonencode(distinct([for key, val in local.pools_resolved : format("linux-%s", val.architecture) if val.os != "windows" && startswith(val.linux_distribution, "ubuntu")]))
      BUCKET_NAME                               = aws_s3_bucket.runner_binaries_bucket.bucket
      GITHUB_API_URL                            = var.github_api_url
      GITHUB_APP_ID                             = var.github_app_id
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
      NODE_OPTIONS                              = "--enable-source-maps"
      OBJECT_PREFIX                             = "runner/"
      POWERTOOLS_LOG_LEVEL                      = "INFO"
      POWERTOOLS_METRICS_NAMESPACE              = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME                   = "runner-binaries-syncer"
      POWERTOOLS_TRACE_ENABLED                  = tostring(var.enable_tracing)
      RUNNER_PLATFORMS                          = jsonencode(distinct([for key, val in local.pools_resolved : format(val.os == "windows" ? "win-%s" : "linux-%s", val.architecture)]))
      RUNNER_VERSION                            = var.runner_version
    }
  }

  ephemeral_storage {
    size = 2048
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.runner_binaries_syncer_logs.name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }
  depends_on = [aws_cloudwatch_log_group.runner_binaries_syncer_logs]
}

resource "aws_cloudwatch_log_group" "runner_binaries_syncer_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-runner-binaries-syncer"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "runner_binaries_syncer_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.runner_binaries_syncer_logs.arn}:*" }] })
  role   = aws_iam_role.runner_binaries_syncer_role.id
}

resource "aws_iam_role_policy" "runner_binaries_syncer_policy_read_github_app_key" {
  name   = "read-github-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadGitHubAppKey", "Action" = ["ssm:GetParameter"], "Resource" = formatlist("%s%s", format("arn:%s:ssm:%s:%s:parameter", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id), concat([coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))], [for key, val in toset(var.additional_github_apps) : val.private_key_ssm_parameter_name])) }] })
  role   = aws_iam_role.runner_binaries_syncer_role.id
}

resource "aws_iam_role_policy" "runner_binaries_syncer_policy_runner_binaries" {
  name   = "runner-binaries"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SyncRunnerBinaries", "Action" = ["s3:GetObject", "s3:PutObject"], "Resource" = "${aws_s3_bucket.runner_binaries_bucket.arn}/runner/*" }, { "Effect" = "Allow", "Sid" = "SeeMissingKeys", "Action" = ["s3:ListBucket"], "Resource" = aws_s3_bucket.runner_binaries_bucket.arn, "Condition" = { "StringLike" = { "s3:prefix" = ["runner/*"] } } }] })
  role   = aws_iam_role.runner_binaries_syncer_role.id
}

resource "aws_iam_role" "runner_binaries_syncer_role" {
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-runner-binaries-syncer"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "runner_binaries_syncer_tracing" {
  count  = var.enable_tracing ? 1 : 0
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.runner_binaries_syncer_role.id
}

resource "aws_iam_role_policy" "runner_binaries_syncer_vpc_access" {
  count  = min(length(var.lambda_subnet_ids), 1)
  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.runner_binaries_syncer_role.id
}

resource "aws_s3_bucket" "runner_binaries_bucket" {
  bucket = "${var.prefix}-runner-binaries-${data.aws_caller_identity.current_account.account_id}-${data.aws_region.current_region.id}"
  tags   = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "runner_binaries_encryption" {
  bucket = aws_s3_bucket.runner_binaries_bucket.id

  rule {
    bucket_key_enabled = local.encryption_enabled

    apply_server_side_encryption_by_default {
      kms_master_key_id = local.encryption_key_arn
      sse_algorithm     = local.encryption_enabled ? "aws:kms" : "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "runner_binaries_lifecycle" {
  bucket = aws_s3_bucket.runner_binaries_bucket.id

  rule {
    id     = "expire-replaced-archives"
    status = "Enabled"

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }
  depends_on = [aws_s3_bucket_versioning.runner_binaries_versioning]
}

resource "aws_s3_bucket_ownership_controls" "runner_binaries_ownership" {
  bucket = aws_s3_bucket.runner_binaries_bucket.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "runner_binaries_policy" {
  bucket = aws_s3_bucket.runner_binaries_bucket.id
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "DenyInsecureTransport", "Principal" = "*", "Action" = ["s3:*"], "Resource" = [aws_s3_bucket.runner_binaries_bucket.arn, "${aws_s3_bucket.runner_binaries_bucket.arn}/*"], "Condition" = { "Bool" = { "aws:SecureTransport" = "false" } } }] })
}

resource "aws_s3_bucket_public_access_block" "runner_binaries_public_access_block" {
  block_public_acls       = true
  block_public_policy     = true
  bucket                  = aws_s3_bucket.runner_binaries_bucket.id
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_iam_role_policy" "runner_binaries_runner_read" {
  name   = "runner-binaries"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadRunnerBinaries", "Action" = ["s3:GetObject"], "Resource" = ["${aws_s3_bucket.runner_binaries_bucket.arn}/runner/*", "${aws_s3_bucket.runner_binaries_bucket.arn}/pools/*"], "Condition" = { "StringEquals" = { "aws:ec2InstanceSourceVPC" = var.vpc_id }, "StringEqualsIfExists" = { "aws:SourceVpc" = "$${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp" = "$${aws:ec2InstanceSourcePrivateIPv4}" } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_s3_bucket_versioning" "runner_binaries_versioning" {
  bucket = aws_s3_bucket.runner_binaries_bucket.id

  versioning_configuration {
    status = "Enabled"
  }
}
