locals {
  pools_resolved             = { for key, pool in var.pools : key => merge(pool, { ami_ssm_parameter = pool.ami_ssm_parameter != null ? pool.ami_ssm_parameter : format("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s", pool.architecture == "arm64" ? "arm64" : "x86_64"), subnet_ids = pool.subnet_ids != null ? pool.subnet_ids : var.runner_subnet_ids }) }
  encryption_enabled         = (var.create_kms_key || !(length(var.kms_key_arn) < 1))
  encryption_key_arn         = local.encryption_enabled ? try(aws_kms_key.encryption_key["0"].arn, var.kms_key_arn) : null
  webhook_firewall_enabled   = var.enable_waf
  webhook_firewall_allowlist = (local.webhook_firewall_enabled && var.waf_github_hooks_allowlist)
  audit_enabled              = (var.enable_cloudtrail && (length(var.existing_cloudtrail_arn) < 1))
  audit_cloudwatch_enabled   = (local.audit_enabled && var.cloudtrail_cloudwatch_logs)
}

data "aws_partition" "current_partition" {
}

data "aws_region" "current_region" {
}

data "aws_caller_identity" "current_account" {
}

resource "aws_kms_key" "encryption_key" {
  count = var.create_kms_key ? 1 : 0

  deletion_window_in_days = 30
  description             = "Encrypts the queues, table, parameters, logs and function settings of ${var.prefix}"
  enable_key_rotation     = true
  policy                  = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "AccountAdministersKey", "Principal" = { "AWS" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:root" }, "Action" = ["kms:*"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "CloudWatchLogsEncryptsOwnLogGroups", "Principal" = { "Service" = "logs.${data.aws_region.current_region.name}.amazonaws.com" }, "Action" = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"], "Resource" = "*", "Condition" = { "ArnLike" = { "kms:EncryptionContext:aws:logs:arn" = ["arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-webhook", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-scale-up", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-reconcile", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-spot-interruption", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-github-hooks-ipset", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/apigateway/${var.prefix}", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-nat-failover-*", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:aws-waf-logs-${var.prefix}", "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/cloudtrail/${var.prefix}-audit"] } } }] })
  tags                    = merge(var.tags, { "self-runners:prefix" = var.prefix })

  lifecycle {
    precondition {
      condition     = (length(var.kms_key_arn) < 1)
      error_message = "create_kms_key and kms_key_arn are mutually exclusive: create a key or name one, not both."
    }
  }
}

resource "aws_kms_alias" "encryption_alias" {
  count = var.create_kms_key ? 1 : 0

  name          = "alias/${var.prefix}"
  target_key_id = aws_kms_key.encryption_key["0"].key_id
}

resource "aws_iam_role_policy" "encryption_grant_runner" {
  count = local.encryption_enabled ? 1 : 0

  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["dynamodb.${data.aws_region.current_region.name}.amazonaws.com"] } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_iam_role_policy" "encryption_grant_webhook" {
  count = local.encryption_enabled ? 1 : 0

  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.name}.amazonaws.com", "ssm.${data.aws_region.current_region.name}.amazonaws.com", "sqs.${data.aws_region.current_region.name}.amazonaws.com", "dynamodb.${data.aws_region.current_region.name}.amazonaws.com"] } } }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "encryption_grant_scale_up" {
  count = local.encryption_enabled ? 1 : 0

  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.name}.amazonaws.com", "ssm.${data.aws_region.current_region.name}.amazonaws.com", "sqs.${data.aws_region.current_region.name}.amazonaws.com", "dynamodb.${data.aws_region.current_region.name}.amazonaws.com"] } } }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "encryption_grant_reconcile" {
  count = local.encryption_enabled ? 1 : 0

  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.name}.amazonaws.com", "ssm.${data.aws_region.current_region.name}.amazonaws.com", "dynamodb.${data.aws_region.current_region.name}.amazonaws.com", "sqs.${data.aws_region.current_region.name}.amazonaws.com"] } } }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "encryption_grant_spot_interruption" {
  count = local.encryption_enabled ? 1 : 0

  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.name}.amazonaws.com", "ssm.${data.aws_region.current_region.name}.amazonaws.com", "dynamodb.${data.aws_region.current_region.name}.amazonaws.com", "sqs.${data.aws_region.current_region.name}.amazonaws.com"] } } }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "encryption_grant_github_hooks_ipset" {
  count = (local.encryption_enabled && local.webhook_firewall_allowlist) ? 1 : 0

  name   = "use-kms-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseKmsKeyThroughServices", "Action" = ["kms:Decrypt", "kms:GenerateDataKey"], "Resource" = local.encryption_key_arn, "Condition" = { "StringEquals" = { "kms:ViaService" = ["lambda.${data.aws_region.current_region.name}.amazonaws.com"] } } }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_ssm_parameter" "github_app_private_key" {
  count = (1 - min(length(compact([var.github_app_private_key_ssm_parameter_name])), 1))

  description = "self-runners private-key; set the real value with aws ssm put-parameter --overwrite"
  key_id      = local.encryption_key_arn
  name        = format("/%s/github-app/%s", var.prefix, "private-key")
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  type        = "SecureString"
  value       = "replace-me"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "github_app_webhook_secret" {
  count = (1 - min(length(compact([var.webhook_secret_ssm_parameter_name])), 1))

  description = "self-runners webhook-secret; set the real value with aws ssm put-parameter --overwrite"
  key_id      = local.encryption_key_arn
  name        = format("/%s/github-app/%s", var.prefix, "webhook-secret")
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  type        = "SecureString"
  value       = "replace-me"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "github_app_webhook_secret_previous" {
  count = (1 - min(length(compact([var.webhook_previous_secret_ssm_parameter_name])), 1))

  description = "self-runners webhook-secret-previous; set the real value with aws ssm put-parameter --overwrite"
  key_id      = local.encryption_key_arn
  name        = format("/%s/github-app/%s", var.prefix, "webhook-secret-previous")
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  type        = "SecureString"
  value       = "replace-me"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_sqs_queue" "job_dlq" {
  for_each = local.pools_resolved

  deduplication_scope               = "messageGroup"
  fifo_queue                        = true
  fifo_throughput_limit             = "perMessageGroupId"
  kms_data_key_reuse_period_seconds = (local.encryption_key_arn == null) ? null : 3600
  kms_master_key_id                 = local.encryption_key_arn
  message_retention_seconds         = 1209600
  name                              = "${var.prefix}-${each.key}-dlq.fifo"
  sqs_managed_sse_enabled           = (local.encryption_key_arn == null) ? true : null
  tags                              = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:pool" = each.key })
}

resource "aws_sqs_queue" "job_queue" {
  for_each = local.pools_resolved

  deduplication_scope               = "messageGroup"
  fifo_queue                        = true
  fifo_throughput_limit             = "perMessageGroupId"
  kms_data_key_reuse_period_seconds = (local.encryption_key_arn == null) ? null : 3600
  kms_master_key_id                 = local.encryption_key_arn
  message_retention_seconds         = 86400
  name                              = "${var.prefix}-${each.key}.fifo"
  redrive_policy                    = jsonencode({ "deadLetterTargetArn" = aws_sqs_queue.job_dlq[each.key].arn, "maxReceiveCount" = 100 })
  sqs_managed_sse_enabled           = (local.encryption_key_arn == null) ? true : null
  tags                              = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:pool" = each.key })
  visibility_timeout_seconds        = 180
}

resource "aws_dynamodb_table" "jobs_table" {
  billing_mode                = "PAY_PER_REQUEST"
  deletion_protection_enabled = false
  hash_key                    = "pk"
  name                        = "${var.prefix}-jobs"
  tags                        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  attribute {
    name = "pk"
    type = "S"
  }
  point_in_time_recovery {
    enabled = var.job_ledger_point_in_time_recovery
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = local.encryption_key_arn
  }
  ttl {
    attribute_name = "expiration"
    enabled        = true
  }
}

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

resource "aws_iam_role_policy" "runners_runner_own_item" {
  name   = "runner-own-item"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadOwnRunnerConfig", "Action" = ["dynamodb:GetItem", "dynamodb:UpdateItem"], "Resource" = aws_dynamodb_table.runners_table.arn, "Condition" = { "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["$${ec2:SourceInstanceARN}"] } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_security_group" "runner_security_group" {
  description = "self-runners runner instances: no inbound, all outbound"
  egress {
    cidr_blocks      = ["0.0.0.0/0"]
    description      = "All outbound (GitHub, package registries, AWS APIs)"
    from_port        = 0
    ipv6_cidr_blocks = ["::/0"]
    prefix_list_ids  = null
    protocol         = "-1"
    security_groups  = null
    self             = null
    to_port          = 0
  }
  name   = "${var.prefix}-runners"
  tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-runners" })
  vpc_id = var.vpc_id
}

resource "aws_iam_role" "runner_role" {
  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "ec2.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-runner"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy_attachment" "runner_ssm_sessions" {
  count = var.enable_ssm_sessions ? 1 : 0

  policy_arn = "arn:${data.aws_partition.current_partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
  role       = aws_iam_role.runner_role.name
}

resource "aws_iam_instance_profile" "runner_instance_profile" {
  name = "${var.prefix}-runner"
  role = aws_iam_role.runner_role.name
  tags = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_launch_template" "runner_launch_template" {
  for_each = local.pools_resolved

  description                          = "self-runners ephemeral runner"
  image_id                             = "resolve:ssm:${each.value.ami_ssm_parameter}"
  instance_initiated_shutdown_behavior = "terminate"
  name                                 = "${var.prefix}-${each.key}"
  tags                                 = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:pool" = each.key })
  update_default_version               = true
  user_data                            = base64encode(join("", ["#!/bin/bash\n# self-runners bootstrap: run exactly one job with a just-in-time runner configuration, then terminate.\nset -euo pipefail\nexec > >(tee -a /var/log/self-runners-bootstrap.log | logger -t self-runners) 2>&1\n\nTABLE='", aws_dynamodb_table.runners_table.name, "'\nREGION='", data.aws_region.current_region.name, "'\nRUNNER_VERSION='", var.runner_version, "'\nRUNNER_ARCH='", each.value.architecture, "'\nIDLE_MINUTES='", var.runner_idle_timeout_minutes, "'\nBOOT_TIMEOUT_SECONDS='", var.runner_boot_timeout_seconds, "'\nRUNNER_DIR=/opt/actions-runner\n\n# Whatever happens below, the instance ends: shutdown behaviour is \"terminate\".\ntrap 'shutdown -h now' EXIT\n# Watchdog: no job started within IDLE_MINUTES -> shut down. The job-started hook cancels it.\nshutdown -h \"+$IDLE_MINUTES\" \"self-runners: no job started\" || true\n\ndnf install -y -q libicu tar gzip docker jq || true\nsystemctl start docker || true\nid runner >/dev/null 2>&1 || useradd -m -s /bin/bash runner\nusermod -aG docker runner || true\necho 'runner ALL=(root) NOPASSWD: /usr/sbin/shutdown' > /etc/sudoers.d/self-runners\n\nTOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' http://169.254.169.254/latest/api/token)\nimds() { curl -sf -H \"X-aws-ec2-metadata-token: $TOKEN\" \"http://169.254.169.254/latest/$1\"; }\nINSTANCE_ID=$(imds meta-data/instance-id)\nPARTITION=$(imds meta-data/services/partition)\nACCOUNT=$(imds dynamic/instance-identity/document | jq -r .accountId)\nKEY=$(jq -cn --arg arn \"arn:$PARTITION:ec2:$REGION:$ACCOUNT:instance/$INSTANCE_ID\" '{pk: {S: $arn}}')\n\nif [ ! -x \"$RUNNER_DIR/run.sh\" ]; then\n  if [ \"$RUNNER_VERSION\" = latest ]; then\n    RUNNER_VERSION=$(curl -sf https://api.github.com/repos/actions/runner/releases/latest | jq -r .tag_name | sed 's/^v//')\n  fi\n  mkdir -p \"$RUNNER_DIR\"\n  curl -sfL \"https://github.com/actions/runner/releases/download/v$RUNNER_VERSION/actions-runner-linux-$RUNNER_ARCH-$RUNNER_VERSION.tar.gz\" | tar xz -C \"$RUNNER_DIR\"\nfi\ncat > \"$RUNNER_DIR/job-started.sh\" <<'HOOK'\n#!/bin/bash\nsudo /usr/sbin/shutdown -c || true\nHOOK\nchmod 755 \"$RUNNER_DIR/job-started.sh\"\nchown -R runner:runner \"$RUNNER_DIR\"\n\n# The scale-up function writes the configuration right after launch; the IAM policy lets this\n# instance read and clear only the item keyed by its own ARN.\ndeadline=$(( $(date +%s) + BOOT_TIMEOUT_SECONDS ))\nJIT=\"\"\nwhile [ -z \"$JIT\" ] && [ \"$(date +%s)\" -lt \"$deadline\" ]; do\n  JIT=$(aws dynamodb get-item --region \"$REGION\" --table-name \"$TABLE\" --consistent-read --key \"$KEY\" --query Item.jitConfig.S --output text 2>/dev/null || true)\n  if [ \"$JIT\" = None ]; then JIT=\"\"; fi\n  if [ -z \"$JIT\" ]; then sleep 3; fi\ndone\nif [ -z \"$JIT\" ]; then echo \"no runner configuration after $BOOT_TIMEOUT_SECONDS s\"; exit 1; fi\naws dynamodb update-item --region \"$REGION\" --table-name \"$TABLE\" --key \"$KEY\" --update-expression 'REMOVE jitConfig'\n\ncd \"$RUNNER_DIR\"\nsudo -u runner env ACTIONS_RUNNER_HOOK_JOB_STARTED=\"$RUNNER_DIR/job-started.sh\" ./run.sh --jitconfig \"$JIT\" || true\n"]))
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      delete_on_termination = "true"
      encrypted             = "true"
      volume_size           = each.value.root_volume_size
      volume_type           = "gp3"
    }
  }
  iam_instance_profile {
    arn = aws_iam_instance_profile.runner_instance_profile.arn
  }
  metadata_options {
    http_endpoint               = "enabled"
    http_put_response_hop_limit = 2
    http_tokens                 = "required"
    instance_metadata_tags      = "disabled"
  }
  network_interfaces {
    associate_public_ip_address = var.associate_public_ip_address
    delete_on_termination       = "true"
    device_index                = 0
    security_groups             = [aws_security_group.runner_security_group.id]
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

resource "aws_lambda_layer_version" "shared_layer_version" {
  compatible_architectures = ["arm64", "x86_64"]
  compatible_runtimes      = ["nodejs22.x"]
  description              = "self-runners shared code: Octokit, Powertools, config"
  filename                 = "${path.module}/lambdas/shared.zip"
  layer_name               = "${var.prefix}-shared"
  source_code_hash         = filebase64sha256("${path.module}/lambdas/shared.zip")
}

resource "aws_cloudwatch_log_group" "webhook_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-webhook"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role" "webhook_role" {
  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-webhook"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "webhook_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.webhook_logs.arn}:*" }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "webhook_vpc_access" {
  count = min(length(var.lambda_subnet_ids), 1)

  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_lambda_function" "webhook_function" {
  architectures                  = ["arm64"]
  description                    = "Verifies GitHub webhooks and queues workflow jobs"
  filename                       = "${path.module}/lambdas/webhook.zip"
  function_name                  = "${var.prefix}-webhook"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 256
  reserved_concurrent_executions = var.webhook_reserved_concurrency
  role                           = aws_iam_role.webhook_role.arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/webhook.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 10
  environment {
    variables = {
      NODE_OPTIONS                               = "--enable-source-maps"
      POWERTOOLS_SERVICE_NAME                    = "webhook"
      POWERTOOLS_METRICS_NAMESPACE               = "SelfRunners"
      POWERTOOLS_LOG_LEVEL                       = "INFO"
      PREFIX                                     = var.prefix
      JOBS_TABLE                                 = aws_dynamodb_table.jobs_table.name
      WEBHOOK_SECRET_SSM_PARAMETER_NAME          = coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret"))
      WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME = coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret-previous"))
      WEBHOOK_MAX_BODY_BYTES                     = var.webhook_max_body_bytes
      POOLS                                      = jsonencode({ for key, val in local.pools_resolved : key => { labels = val.labels, queueUrl = aws_sqs_queue.job_queue[key].url } })
    }
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.webhook_logs.name
  }
  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }

  depends_on = [aws_cloudwatch_log_group.webhook_logs]

  lifecycle {
    precondition {
      condition     = var.enable_waf || !var.waf_github_hooks_allowlist
      error_message = "waf_github_hooks_allowlist must be false while enable_waf is false (the allowlist is a rule of the WAF web ACL)."
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
      condition     = 320 + length(jsonencode([var.prefix, format("%s-jobs", var.prefix), coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret", var.prefix)), coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret-previous", var.prefix)), tostring(var.webhook_max_body_bytes), jsonencode({ for k, p in var.pools : k => { labels = p.labels, queueUrl = format("%s/%s-%s.fifo", "https://sqs.rrrrrrrrrrrrrrrr.amazonaws.com.cn/000000000000", var.prefix, k) } })])) <= 4096
      error_message = "pools must be no more pools, keys and labels than fit the webhook function's environment (Lambda allows 4096 bytes: use fewer pools, or shorter keys, labels or prefix); these need up to ${320 + length(jsonencode([var.prefix, format("%s-jobs", var.prefix), coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret", var.prefix)), coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret-previous", var.prefix)), tostring(var.webhook_max_body_bytes), jsonencode({ for k, p in var.pools : k => { labels = p.labels, queueUrl = format("%s/%s-%s.fifo", "https://sqs.rrrrrrrrrrrrrrrr.amazonaws.com.cn/000000000000", var.prefix, k) } })]))} bytes."
    }
  }
}

resource "aws_iam_role_policy" "webhook_policy_read_webhook_secret" {
  name   = "read-webhook-secret"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadWebhookSecret", "Action" = ["ssm:GetParameter"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret"))}", "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret-previous"))}"] }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "webhook_policy_send_jobs" {
  name   = "send-jobs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendJobs", "Action" = ["sqs:SendMessage"], "Resource" = values({ for key, val in aws_sqs_queue.job_queue : key => val.arn }) }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_iam_role_policy" "webhook_policy_job_ledger" {
  name   = "job-ledger"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseJobLedger", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.jobs_table.arn }] })
  role   = aws_iam_role.webhook_role.id
}

resource "aws_cloudwatch_log_group" "scale_up_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-scale-up"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role" "scale_up_role" {
  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-scale-up"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "scale_up_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.scale_up_logs.arn}:*" }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_vpc_access" {
  count = min(length(var.lambda_subnet_ids), 1)

  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.scale_up_role.id
}

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
  timeout                        = 30
  environment {
    variables = {
      NODE_OPTIONS                              = "--enable-source-maps"
      POWERTOOLS_SERVICE_NAME                   = "scale-up"
      POWERTOOLS_METRICS_NAMESPACE              = "SelfRunners"
      POWERTOOLS_LOG_LEVEL                      = "INFO"
      GITHUB_APP_ID                             = var.github_app_id
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
      GITHUB_API_URL                            = var.github_api_url
      RUNNER_SCOPE                              = var.runner_scope
      PREFIX                                    = var.prefix
      RUNNERS_TABLE                             = aws_dynamodb_table.runners_table.name
      JOBS_TABLE                                = aws_dynamodb_table.jobs_table.name
      ADDITIONAL_GITHUB_APPS                    = jsonencode([for key, val in toset(var.additional_github_apps) : { appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }])
      DRAINING_PARAMETER                        = format("/%s/draining", var.prefix)
      MAX_RUNNERS_TOTAL                         = var.max_runners_total
      MAX_RUNNERS_PER_OWNER                     = var.max_runners_per_owner
      JOB_MAX_AGE_SECONDS                       = var.job_max_age_seconds
      JOB_WAIT_MAX_SECONDS                      = var.job_wait_max_seconds
      GITHUB_MIN_REMAINING_REQUESTS             = var.github_min_remaining_requests
      POOLS                                     = jsonencode({ for key, val in local.pools_resolved : key => { labels = val.labels, maxRunners = val.max_runners, instanceTypes = val.instance_types, subnetIds = val.subnet_ids, launchTemplateName = aws_launch_template.runner_launch_template[key].name, spot = val.spot, onDemandFallback = val.on_demand_fallback, runnerGroupId = val.runner_group_id, queueUrl = aws_sqs_queue.job_queue[key].url, queueArn = aws_sqs_queue.job_queue[key].arn, deadLetterQueueUrl = aws_sqs_queue.job_dlq[key].url } })
    }
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.scale_up_logs.name
  }
  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }

  depends_on = [aws_cloudwatch_log_group.scale_up_logs]
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

resource "aws_iam_role_policy" "scale_up_policy_read_draining_switch" {
  name   = "read-draining-switch"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadDrainingSwitch", "Action" = ["ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:parameter${format("/%s/draining", var.prefix)}" }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_launch_runners" {
  name   = "launch-runners"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "LaunchFromOwnTemplates", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = values({ for key, val in aws_launch_template.runner_launch_template : key => val.arn }) }, { "Effect" = "Allow", "Sid" = "LaunchTaggedRunners", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:instance/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:volume/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:network-interface/*"], "Condition" = { "StringEquals" = { "aws:RequestTag/self-runners:prefix" = var.prefix } } }, { "Effect" = "Allow", "Sid" = "LaunchIntoRunnerNetwork", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = concat([format("arn:%s:ec2:%s:%s:security-group/%s", data.aws_partition.current_partition.partition, data.aws_region.current_region.name, data.aws_caller_identity.current_account.account_id, aws_security_group.runner_security_group.id)], formatlist("arn:%s:ec2:%s:%s:subnet/%s", data.aws_partition.current_partition.partition, data.aws_region.current_region.name, data.aws_caller_identity.current_account.account_id, distinct(flatten([for key, val in local.pools_resolved : val.subnet_ids])))) }, { "Effect" = "Allow", "Sid" = "LaunchFromImages", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}::image/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}::snapshot/*"] }, { "Effect" = "Allow", "Sid" = "FleetRequests", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:fleet/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:spot-instances-request/*"] }, { "Effect" = "Allow", "Sid" = "TagOnLaunch", "Action" = ["ec2:CreateTags"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:instance/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:volume/*", "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:network-interface/*"], "Condition" = { "StringEquals" = { "ec2:CreateAction" = ["CreateFleet", "RunInstances"], "aws:RequestTag/self-runners:prefix" = var.prefix } } }, { "Effect" = "Allow", "Sid" = "NameOwnRunners", "Action" = ["ec2:CreateTags"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "ec2:ResourceTag/self-runners:prefix" = var.prefix }, "ForAllValues:StringEquals" = { "aws:TagKeys" = ["Name"] } } }, { "Effect" = "Allow", "Sid" = "Describe", "Action" = ["ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeImages", "ec2:DescribeSubnets", "ec2:DescribeInstanceTypeOfferings"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "ResolveAmiParameters", "Action" = ["ssm:GetParameters", "ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.name}::parameter/aws/service/*" }, { "Effect" = "Allow", "Sid" = "PassRunnerRole", "Action" = ["iam:PassRole"], "Resource" = aws_iam_role.runner_role.arn, "Condition" = { "StringEquals" = { "iam:PassedToService" = ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } } }, { "Effect" = "Allow", "Sid" = "FleetServiceLinkedRoles", "Action" = ["iam:CreateServiceLinkedRole"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot", "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/aws-service-role/ec2fleet.amazonaws.com/AWSServiceRoleForEC2Fleet"], "Condition" = { "StringEquals" = { "iam:AWSServiceName" = ["spot.amazonaws.com", "ec2fleet.amazonaws.com"] } } }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_terminate_runners_launch" {
  name   = "terminate-runners-launch"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DescribeRunners", "Action" = ["ec2:DescribeInstances"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "TerminateOwnRunners", "Action" = ["ec2:TerminateInstances"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "ec2:ResourceTag/self-runners:prefix" = var.prefix } } }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_runners_table" {
  name   = "runners-table"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageRunnerItems", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.runners_table.arn }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_iam_role_policy" "scale_up_policy_read_github_app_key" {
  name   = "read-github-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadGitHubAppKey", "Action" = ["ssm:GetParameter"], "Resource" = formatlist("%s%s", format("arn:%s:ssm:%s:%s:parameter", data.aws_partition.current_partition.partition, data.aws_region.current_region.name, data.aws_caller_identity.current_account.account_id), concat([coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))], [for key, val in toset(var.additional_github_apps) : val.private_key_ssm_parameter_name])) }] })
  role   = aws_iam_role.scale_up_role.id
}

resource "aws_lambda_event_source_mapping" "scale_up_trigger" {
  for_each = local.pools_resolved

  batch_size              = 10
  event_source_arn        = aws_sqs_queue.job_queue[each.key].arn
  function_name           = aws_lambda_function.scale_up_function.arn
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_cloudwatch_log_group" "reconcile_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-reconcile"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role" "reconcile_role" {
  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-reconcile"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "reconcile_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.reconcile_logs.arn}:*" }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_vpc_access" {
  count = min(length(var.lambda_subnet_ids), 1)

  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.reconcile_role.id
}

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
      NODE_OPTIONS                              = "--enable-source-maps"
      POWERTOOLS_SERVICE_NAME                   = "reconcile"
      POWERTOOLS_METRICS_NAMESPACE              = "SelfRunners"
      POWERTOOLS_LOG_LEVEL                      = "INFO"
      GITHUB_APP_ID                             = var.github_app_id
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
      GITHUB_API_URL                            = var.github_api_url
      RUNNER_SCOPE                              = var.runner_scope
      PREFIX                                    = var.prefix
      RUNNERS_TABLE                             = aws_dynamodb_table.runners_table.name
      JOBS_TABLE                                = aws_dynamodb_table.jobs_table.name
      ADDITIONAL_GITHUB_APPS                    = jsonencode([for key, val in toset(var.additional_github_apps) : { appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }])
      RUNNER_BOOT_TIMEOUT_SECONDS               = var.runner_boot_timeout_seconds
      RUNNER_IDLE_TIMEOUT_SECONDS               = (var.runner_idle_timeout_minutes * 60)
      DRAINING_PARAMETER                        = format("/%s/draining", var.prefix)
      POOLS                                     = jsonencode({ for key, val in local.pools_resolved : key => { queueUrl = aws_sqs_queue.job_queue[key].url, warmSize = val.warm_pool_size, warmOwner = val.warm_pool_owner, warmSchedule = val.warm_pool_schedule } })
      BUSY_CONFIRM_SECONDS                      = var.busy_confirm_seconds
      RELAUNCH_GRACE_SECONDS                    = var.relaunch_grace_seconds
      RERUN_INTERRUPTED_JOBS                    = tostring(var.rerun_interrupted_jobs)
    }
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.reconcile_logs.name
  }
  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }

  depends_on = [aws_cloudwatch_log_group.reconcile_logs]
}

resource "aws_iam_role_policy" "reconcile_policy_terminate_runners" {
  name   = "terminate-runners"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DescribeRunners", "Action" = ["ec2:DescribeInstances"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "TerminateOwnRunners", "Action" = ["ec2:TerminateInstances"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "ec2:ResourceTag/self-runners:prefix" = var.prefix } } }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_runners_table" {
  name   = "runners-table"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageRunnerItems", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.runners_table.arn }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_job_ledger" {
  name   = "job-ledger"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseJobLedger", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.jobs_table.arn }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_read_draining_switch" {
  name   = "read-draining-switch"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadDrainingSwitch", "Action" = ["ssm:GetParameter"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:parameter${format("/%s/draining", var.prefix)}" }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_send_jobs" {
  name   = "send-jobs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendJobs", "Action" = ["sqs:SendMessage"], "Resource" = values({ for key, val in aws_sqs_queue.job_queue : key => val.arn }) }] })
  role   = aws_iam_role.reconcile_role.id
}

resource "aws_iam_role_policy" "reconcile_policy_read_github_app_key" {
  name   = "read-github-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadGitHubAppKey", "Action" = ["ssm:GetParameter"], "Resource" = formatlist("%s%s", format("arn:%s:ssm:%s:%s:parameter", data.aws_partition.current_partition.partition, data.aws_region.current_region.name, data.aws_caller_identity.current_account.account_id), concat([coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))], [for key, val in toset(var.additional_github_apps) : val.private_key_ssm_parameter_name])) }] })
  role   = aws_iam_role.reconcile_role.id
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

resource "aws_lambda_permission" "reconcile_schedule_invoke" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.reconcile_function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.reconcile_schedule_rule.arn
  statement_id  = "AllowEventBridgeInvoke"
}

resource "aws_cloudwatch_log_group" "spot_interruption_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-spot-interruption"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role" "spot_interruption_role" {
  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-spot-interruption"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "spot_interruption_policy_logs" {
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.spot_interruption_logs.arn}:*" }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_vpc_access" {
  count = min(length(var.lambda_subnet_ids), 1)

  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.spot_interruption_role.id
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
      NODE_OPTIONS                              = "--enable-source-maps"
      POWERTOOLS_SERVICE_NAME                   = "spot-interruption"
      POWERTOOLS_METRICS_NAMESPACE              = "SelfRunners"
      POWERTOOLS_LOG_LEVEL                      = "INFO"
      GITHUB_APP_ID                             = var.github_app_id
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
      GITHUB_API_URL                            = var.github_api_url
      RUNNER_SCOPE                              = var.runner_scope
      PREFIX                                    = var.prefix
      RUNNERS_TABLE                             = aws_dynamodb_table.runners_table.name
      JOBS_TABLE                                = aws_dynamodb_table.jobs_table.name
      ADDITIONAL_GITHUB_APPS                    = jsonencode([for key, val in toset(var.additional_github_apps) : { appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }])
      POOLS                                     = jsonencode({ for key, val in local.pools_resolved : key => { queueUrl = aws_sqs_queue.job_queue[key].url } })
    }
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.spot_interruption_logs.name
  }
  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }

  depends_on = [aws_cloudwatch_log_group.spot_interruption_logs]
}

resource "aws_iam_role_policy" "spot_interruption_policy_describe_runners" {
  name   = "describe-runners"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DescribeRunners", "Action" = ["ec2:DescribeInstances"], "Resource" = "*" }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_runners_table" {
  name   = "runners-table"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageRunnerItems", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.runners_table.arn }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_job_ledger" {
  name   = "job-ledger"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UseJobLedger", "Action" = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Scan"], "Resource" = aws_dynamodb_table.jobs_table.arn }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_send_jobs" {
  name   = "send-jobs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendJobs", "Action" = ["sqs:SendMessage"], "Resource" = values({ for key, val in aws_sqs_queue.job_queue : key => val.arn }) }] })
  role   = aws_iam_role.spot_interruption_role.id
}

resource "aws_iam_role_policy" "spot_interruption_policy_read_github_app_key" {
  name   = "read-github-app-key"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadGitHubAppKey", "Action" = ["ssm:GetParameter"], "Resource" = formatlist("%s%s", format("arn:%s:ssm:%s:%s:parameter", data.aws_partition.current_partition.partition, data.aws_region.current_region.name, data.aws_caller_identity.current_account.account_id), concat([coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))], [for key, val in toset(var.additional_github_apps) : val.private_key_ssm_parameter_name])) }] })
  role   = aws_iam_role.spot_interruption_role.id
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

resource "aws_lambda_permission" "spot_interruption_rule_invoke" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.spot_interruption_function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.spot_interruption_rule_rule.arn
  statement_id  = "AllowEventBridgeInvoke"
}

resource "aws_api_gateway_rest_api" "webhook_api_rest_api" {
  description = "GitHub workflow_job webhooks for self-runners"
  name        = var.prefix
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "webhook_api_resource" {
  parent_id   = aws_api_gateway_rest_api.webhook_api_rest_api.root_resource_id
  path_part   = "webhook"
  rest_api_id = aws_api_gateway_rest_api.webhook_api_rest_api.id
}

resource "aws_api_gateway_method" "webhook_api_method" {
  authorization = "NONE"
  http_method   = "POST"
  resource_id   = aws_api_gateway_resource.webhook_api_resource.id
  rest_api_id   = aws_api_gateway_rest_api.webhook_api_rest_api.id
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

resource "aws_api_gateway_deployment" "webhook_api_deployment" {
  rest_api_id = aws_api_gateway_rest_api.webhook_api_rest_api.id
  triggers = {
    redeployment = sha1(jsonencode([aws_api_gateway_resource.webhook_api_resource.id, aws_api_gateway_method.webhook_api_method.id, aws_api_gateway_integration.webhook_api_integration.id, aws_api_gateway_integration.webhook_api_integration.uri]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "webhook_api_account_role" {
  count = var.manage_api_gateway_account ? 1 : 0

  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "apigateway.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-apigw-logs"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy_attachment" "webhook_api_account_role_logs" {
  count = var.manage_api_gateway_account ? 1 : 0

  policy_arn = "arn:${data.aws_partition.current_partition.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
  role       = aws_iam_role.webhook_api_account_role["0"].name
}

resource "aws_api_gateway_account" "webhook_api_account" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.webhook_api_account_role["0"].arn
}

resource "aws_cloudwatch_log_group" "webhook_api_access_logs" {
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/apigateway/${var.prefix}"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
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

resource "aws_lambda_permission" "webhook_api_invoke" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.webhook_function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.webhook_api_rest_api.execution_arn}/github/POST/webhook"
  statement_id  = "AllowApiGatewayInvoke"
}

resource "aws_wafv2_ip_set" "webhook_firewall_github_hooks_ipv4" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  addresses          = []
  description        = "GitHub webhook source ranges (hooks of GET /meta), written by the github-hooks-ipset function"
  ip_address_version = "IPV4"
  name               = "${var.prefix}-github-hooks-ipv4"
  scope              = "REGIONAL"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })

  lifecycle {
    ignore_changes = [addresses]
  }
}

resource "aws_wafv2_ip_set" "webhook_firewall_github_hooks_ipv6" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  addresses          = []
  description        = "GitHub webhook source ranges (hooks of GET /meta), written by the github-hooks-ipset function"
  ip_address_version = "IPV6"
  name               = "${var.prefix}-github-hooks-ipv6"
  scope              = "REGIONAL"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })

  lifecycle {
    ignore_changes = [addresses]
  }
}

resource "aws_wafv2_web_acl" "webhook_firewall_web_acl" {
  count = local.webhook_firewall_enabled ? 1 : 0

  description = "Protects the self-runners webhook stage"
  name        = "${var.prefix}-webhook"
  scope       = "REGIONAL"
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  default_action {
    allow {

    }
  }
  rule {
    name     = "rate-limit-per-ip"
    priority = 1
    action {
      block {

      }
    }
    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        evaluation_window_sec = var.waf_rate_limit_window_seconds
        aggregate_key_type    = "IP"
        dynamic "scope_down_statement" {
          for_each = local.webhook_firewall_allowlist ? ["enabled"] : []
          content {
            not_statement {
              statement {
                or_statement {
                  statement {
                    ip_set_reference_statement {
                      arn = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].arn
                    }
                  }
                  statement {
                    ip_set_reference_statement {
                      arn = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].arn
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "aws-ip-reputation"
    priority = 2
    override_action {
      none {

      }
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAmazonIpReputationList"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-ip-reputation"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "aws-known-bad-inputs"
    priority = 3
    override_action {
      none {

      }
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
        rule_action_override {
          name = "Log4JRCE_BODY"
          action_to_use {
            count {}
          }
        }
        rule_action_override {
          name = "JavaDeserializationRCE_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "aws-common-rule-set"
    priority = 4
    override_action {
      none {

      }
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
        rule_action_override {
          name = "CrossSiteScripting_BODY"
          action_to_use {
            count {}
          }
        }
        rule_action_override {
          name = "GenericLFI_BODY"
          action_to_use {
            count {}
          }
        }
        rule_action_override {
          name = "GenericRFI_BODY"
          action_to_use {
            count {}
          }
        }
        rule_action_override {
          name = "EC2MetaDataSSRF_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-common-rule-set"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "aws-sqli"
    priority = 5
    override_action {
      none {

      }
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesSQLiRuleSet"
        vendor_name = "AWS"
        rule_action_override {
          name = "SQLi_BODY"
          action_to_use {
            count {}
          }
        }
        rule_action_override {
          name = "SQLiExtendedPatterns_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-sqli"
      sampled_requests_enabled   = true
    }
  }
  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.prefix}-webhook"
    sampled_requests_enabled   = true
  }
  dynamic "rule" {
    for_each = local.webhook_firewall_allowlist ? ["enabled"] : []
    content {
      name     = "github-hooks-allowlist"
      priority = 0
      action {
        block {}
      }
      statement {
        not_statement {
          statement {
            or_statement {
              statement {
                ip_set_reference_statement {
                  arn = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].arn
                }
              }
              statement {
                ip_set_reference_statement {
                  arn = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].arn
                }
              }
            }
          }
        }
      }
      visibility_config {
        cloudwatch_metrics_enabled = true
        sampled_requests_enabled   = true
        metric_name                = "github-hooks-allowlist"
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "webhook_firewall_github_hooks_ipset_logs" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-github-hooks-ipset"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role" "webhook_firewall_github_hooks_ipset_role" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-github-hooks-ipset"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "webhook_firewall_github_hooks_ipset_policy_logs" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.webhook_firewall_github_hooks_ipset_logs["0"].arn}:*" }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_iam_role_policy" "webhook_firewall_github_hooks_ipset_vpc_access" {
  count = min(local.webhook_firewall_allowlist ? 1 : 0, min(length(var.lambda_subnet_ids), 1))

  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_lambda_function" "webhook_firewall_github_hooks_ipset_function" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  architectures                  = ["arm64"]
  description                    = "Writes GitHub's webhook source ranges (GET /meta hooks) to the WAF allowlist IP sets"
  filename                       = "${path.module}/lambdas/github-hooks-ipset.zip"
  function_name                  = "${var.prefix}-github-hooks-ipset"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 256
  reserved_concurrent_executions = 1
  role                           = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/github-hooks-ipset.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 60
  environment {
    variables = {
      NODE_OPTIONS                 = "--enable-source-maps"
      POWERTOOLS_SERVICE_NAME      = "github-hooks-ipset"
      POWERTOOLS_METRICS_NAMESPACE = "SelfRunners"
      POWERTOOLS_LOG_LEVEL         = "INFO"
      GITHUB_API_URL               = var.github_api_url
      IP_SET_SCOPE                 = "REGIONAL"
      IPV4_SET_NAME                = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].name
      IPV4_SET_ID                  = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].id
      IPV6_SET_NAME                = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].name
      IPV6_SET_ID                  = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].id
    }
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.webhook_firewall_github_hooks_ipset_logs["0"].name
  }
  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }

  depends_on = [aws_cloudwatch_log_group.webhook_firewall_github_hooks_ipset_logs]
}

resource "aws_iam_role_policy" "webhook_firewall_github_hooks_ipset_policy_update_ip_sets" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  name   = "update-ip-sets"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UpdateGitHubHooksIpSets", "Action" = ["wafv2:GetIPSet", "wafv2:UpdateIPSet"], "Resource" = [aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].arn, aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].arn] }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_cloudwatch_event_rule" "webhook_firewall_github_hooks_ipset_schedule" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  description         = "Refreshes the WAF allowlist from GitHub's GET /meta hooks"
  name                = "${var.prefix}-github-hooks-ipset"
  schedule_expression = var.waf_ip_set_refresh_schedule
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_target" "webhook_firewall_github_hooks_ipset_target" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  arn       = aws_lambda_function.webhook_firewall_github_hooks_ipset_function["0"].arn
  rule      = aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule["0"].name
  target_id = "github-hooks-ipset"
}

resource "aws_lambda_permission" "webhook_firewall_github_hooks_ipset_invoke" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.webhook_firewall_github_hooks_ipset_function["0"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule["0"].arn
  statement_id  = "AllowEventBridgeInvoke"
}

resource "aws_lambda_invocation" "webhook_firewall_github_hooks_ipset_fill" {
  count = local.webhook_firewall_allowlist ? 1 : 0

  function_name = aws_lambda_function.webhook_firewall_github_hooks_ipset_function["0"].function_name
  input         = jsonencode({ "source" = "terraform" })
  triggers = {
    ipv4_set_id = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].id
    ipv6_set_id = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].id
  }

  depends_on = [aws_iam_role_policy.webhook_firewall_github_hooks_ipset_policy_update_ip_sets]
}

resource "aws_wafv2_web_acl_association" "webhook_firewall_association" {
  count = local.webhook_firewall_enabled ? 1 : 0

  resource_arn = aws_api_gateway_stage.webhook_api_stage.arn
  web_acl_arn  = aws_wafv2_web_acl.webhook_firewall_web_acl["0"].arn

  depends_on = [aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill]
}

resource "aws_cloudwatch_log_group" "webhook_firewall_logs" {
  count = local.webhook_firewall_enabled ? 1 : 0

  kms_key_id        = local.encryption_key_arn
  name              = "aws-waf-logs-${var.prefix}"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_wafv2_web_acl_logging_configuration" "webhook_firewall_logging" {
  count = local.webhook_firewall_enabled ? 1 : 0

  log_destination_configs = [aws_cloudwatch_log_group.webhook_firewall_logs["0"].arn]
  resource_arn            = aws_wafv2_web_acl.webhook_firewall_web_acl["0"].arn
  redacted_fields {
    single_header {
      name = "x-hub-signature-256"
    }
  }
  redacted_fields {
    single_header {
      name = "x-hub-signature"
    }
  }
}

resource "aws_kms_key" "audit_key" {
  count = local.audit_enabled ? 1 : 0

  deletion_window_in_days = 30
  description             = "Encrypts the CloudTrail logs of ${var.prefix}-audit"
  enable_key_rotation     = true
  policy                  = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "AccountAdministersKey", "Principal" = { "AWS" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:root" }, "Action" = ["kms:*"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "CloudTrailEncryptsLogs", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = ["kms:GenerateDataKey*"], "Resource" = "*", "Condition" = { "StringEquals" = { "aws:SourceArn" = "arn:${data.aws_partition.current_partition.partition}:cloudtrail:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:trail/${var.prefix}-audit" }, "StringLike" = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:${data.aws_partition.current_partition.partition}:cloudtrail:*:${data.aws_caller_identity.current_account.account_id}:trail/*" } } }, { "Effect" = "Allow", "Sid" = "CloudTrailDescribesKey", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = ["kms:DescribeKey"], "Resource" = "*" }] })
  tags                    = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_bucket" "audit_bucket" {
  count = local.audit_enabled ? 1 : 0

  bucket = "${var.prefix}-audit-${data.aws_caller_identity.current_account.account_id}-${data.aws_region.current_region.name}"
  tags   = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_bucket_public_access_block" "audit_public_access_block" {
  count = local.audit_enabled ? 1 : 0

  block_public_acls       = true
  block_public_policy     = true
  bucket                  = aws_s3_bucket.audit_bucket["0"].id
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "audit_ownership" {
  count = local.audit_enabled ? 1 : 0

  bucket = aws_s3_bucket.audit_bucket["0"].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "audit_versioning" {
  count = local.audit_enabled ? 1 : 0

  bucket = aws_s3_bucket.audit_bucket["0"].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "audit_encryption" {
  count = local.audit_enabled ? 1 : 0

  bucket = aws_s3_bucket.audit_bucket["0"].id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      kms_master_key_id = aws_kms_key.audit_key["0"].arn
      sse_algorithm     = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "audit_lifecycle" {
  count = local.audit_enabled ? 1 : 0

  bucket = aws_s3_bucket.audit_bucket["0"].id
  rule {
    id     = "archive-then-expire"
    status = "Enabled"
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    expiration {
      days = var.cloudtrail_retention_days
    }
    filter {
      prefix = ""
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    transition {
      days          = var.cloudtrail_glacier_after_days
      storage_class = "GLACIER"
    }
  }

  depends_on = [aws_s3_bucket_versioning.audit_versioning]

  lifecycle {
    precondition {
      condition     = (var.cloudtrail_retention_days > var.cloudtrail_glacier_after_days)
      error_message = "cloudtrail_retention_days must be more than cloudtrail_glacier_after_days: S3 refuses to expire objects before they transition."
    }
  }
}

resource "aws_s3_bucket_policy" "audit_bucket_policy" {
  count = local.audit_enabled ? 1 : 0

  bucket = aws_s3_bucket.audit_bucket["0"].id
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "DenyInsecureTransport", "Principal" = "*", "Action" = ["s3:*"], "Resource" = [aws_s3_bucket.audit_bucket["0"].arn, "${aws_s3_bucket.audit_bucket["0"].arn}/*"], "Condition" = { "Bool" = { "aws:SecureTransport" = "false" } } }, { "Effect" = "Allow", "Sid" = "CloudTrailChecksAcl", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = ["s3:GetBucketAcl"], "Resource" = aws_s3_bucket.audit_bucket["0"].arn, "Condition" = { "StringEquals" = { "aws:SourceArn" = "arn:${data.aws_partition.current_partition.partition}:cloudtrail:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:trail/${var.prefix}-audit" } } }, { "Effect" = "Allow", "Sid" = "CloudTrailWritesLogs", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = ["s3:PutObject"], "Resource" = "${aws_s3_bucket.audit_bucket["0"].arn}/AWSLogs/${data.aws_caller_identity.current_account.account_id}/*", "Condition" = { "StringEquals" = { "s3:x-amz-acl" = "bucket-owner-full-control", "aws:SourceArn" = "arn:${data.aws_partition.current_partition.partition}:cloudtrail:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:trail/${var.prefix}-audit" } } }] })
}

resource "aws_cloudwatch_log_group" "audit_logs" {
  count = local.audit_cloudwatch_enabled ? 1 : 0

  kms_key_id        = local.encryption_key_arn
  name              = "/aws/cloudtrail/${var.prefix}-audit"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role" "audit_cloudwatch_role" {
  count = local.audit_cloudwatch_enabled ? 1 : 0

  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-audit-cloudwatch"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "audit_cloudwatch_delivery" {
  count = local.audit_cloudwatch_enabled ? 1 : 0

  name   = "cloudtrail-delivery"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DeliverTrailEvents", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.audit_logs["0"].arn}:log-stream:*" }] })
  role   = aws_iam_role.audit_cloudwatch_role["0"].id
}

resource "aws_cloudtrail" "audit_trail" {
  count = local.audit_enabled ? 1 : 0

  cloud_watch_logs_group_arn    = try(format("%s:*", aws_cloudwatch_log_group.audit_logs["0"].arn), "")
  cloud_watch_logs_role_arn     = try(aws_iam_role.audit_cloudwatch_role["0"].arn, "")
  enable_log_file_validation    = true
  include_global_service_events = true
  is_multi_region_trail         = var.cloudtrail_multi_region
  kms_key_id                    = aws_kms_key.audit_key["0"].arn
  name                          = "${var.prefix}-audit"
  s3_bucket_name                = aws_s3_bucket.audit_bucket["0"].id
  tags                          = merge(var.tags, { "self-runners:prefix" = var.prefix })
  event_selector {
    include_management_events = true
    read_write_type           = "All"
  }

  depends_on = [aws_s3_bucket_policy.audit_bucket_policy, aws_iam_role_policy.audit_cloudwatch_delivery]
}

data "aws_vpc" "vpc_endpoints_vpc" {
  count = var.create_vpc_endpoints ? 1 : 0

  id = var.vpc_id
}

resource "aws_security_group" "vpc_endpoints_security_group" {
  count = var.create_vpc_endpoints ? 1 : 0

  description = "self-runners VPC interface endpoints: HTTPS from the VPC only"
  ingress {
    cidr_blocks      = (length(var.vpc_endpoint_source_security_group_ids) >= 1) ? [] : [for key, val in toset(data.aws_vpc.vpc_endpoints_vpc["0"].cidr_block_associations) : val.cidr_block]
    description      = "HTTPS to the AWS APIs"
    from_port        = 443
    ipv6_cidr_blocks = null
    prefix_list_ids  = null
    protocol         = "tcp"
    security_groups  = var.vpc_endpoint_source_security_group_ids
    self             = null
    to_port          = 443
  }
  name   = "${var.prefix}-vpc-endpoints"
  tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-vpc-endpoints" })
  vpc_id = var.vpc_id

  lifecycle {
    precondition {
      condition     = (!(length(var.vpc_endpoint_services) >= 1) || (length(var.vpc_endpoint_subnet_ids) >= 1))
      error_message = "vpc_endpoint_subnet_ids must name at least one subnet when create_vpc_endpoints is true and vpc_endpoint_services is not empty."
    }
  }
}

resource "aws_vpc_endpoint" "vpc_endpoints_interface" {
  for_each = toset(var.create_vpc_endpoints ? var.vpc_endpoint_services : [])

  private_dns_enabled = true
  security_group_ids  = [aws_security_group.vpc_endpoints_security_group["0"].id]
  service_name        = "com.amazonaws.${data.aws_region.current_region.name}.${each.value}"
  subnet_ids          = var.vpc_endpoint_subnet_ids
  tags                = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-${each.value}" })
  vpc_endpoint_type   = "Interface"
  vpc_id              = var.vpc_id
}

resource "aws_vpc_endpoint" "vpc_endpoints_gateway" {
  for_each = toset((var.create_vpc_endpoints && (length(var.vpc_endpoint_route_table_ids) >= 1)) ? var.vpc_endpoint_gateway_services : [])

  route_table_ids   = var.vpc_endpoint_route_table_ids
  service_name      = "com.amazonaws.${data.aws_region.current_region.name}.${each.value}"
  tags              = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-${each.value}" })
  vpc_endpoint_type = "Gateway"
  vpc_id            = var.vpc_id
}

data "aws_vpc" "nat_vpc" {
  count = var.nat_instance_enabled ? 1 : 0

  id = var.vpc_id
}

resource "aws_security_group" "nat_security_group" {
  count = var.nat_instance_enabled ? 1 : 0

  description = "self-runners NAT instances: everything from the VPC in, everything out"
  egress {
    cidr_blocks      = ["0.0.0.0/0"]
    description      = "All outbound (the internet)"
    from_port        = 0
    ipv6_cidr_blocks = ["::/0"]
    prefix_list_ids  = null
    protocol         = "-1"
    security_groups  = null
    self             = null
    to_port          = 0
  }
  ingress {
    cidr_blocks      = [for key, val in toset(data.aws_vpc.nat_vpc["0"].cidr_block_associations) : val.cidr_block]
    description      = "All traffic from the VPC"
    from_port        = 0
    ipv6_cidr_blocks = null
    prefix_list_ids  = null
    protocol         = "-1"
    security_groups  = null
    self             = null
    to_port          = 0
  }
  name   = "${var.prefix}-nat"
  tags   = merge(merge(var.tags, { "self-runners:nat" = var.prefix }), { "Name" = "${var.prefix}-nat" })
  vpc_id = var.vpc_id

  lifecycle {
    precondition {
      condition     = (length(flatten(values(var.nat_private_route_table_ids))) >= 1)
      error_message = "nat_private_route_table_ids must name at least one route table when nat_instance_enabled is true."
    }
    precondition {
      condition     = (length(setsubtract(keys(var.nat_private_route_table_ids), keys(var.nat_instance_subnet_ids))) < 1)
      error_message = "Every AZ in nat_private_route_table_ids needs a NAT instance: add its public subnet to nat_instance_subnet_ids."
    }
  }
}

resource "aws_iam_role" "nat_role" {
  count = var.nat_instance_enabled ? 1 : 0

  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "ec2.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-nat"
  tags               = merge(var.tags, { "self-runners:nat" = var.prefix })
}

resource "aws_iam_role_policy" "nat_boot" {
  count = var.nat_instance_enabled ? 1 : 0

  name   = "nat-boot"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SwitchOffOwnSourceDestCheck", "Action" = ["ec2:ModifyInstanceAttribute"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "ec2:ResourceTag/self-runners:nat" = var.prefix } } }, { "Effect" = "Allow", "Sid" = "ReadRouteTables", "Action" = ["ec2:DescribeRouteTables"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "ClaimPrivateRoutes", "Action" = ["ec2:CreateRoute", "ec2:ReplaceRoute"], "Resource" = formatlist("arn:%s:ec2:%s:%s:route-table/%s", data.aws_partition.current_partition.partition, data.aws_region.current_region.name, data.aws_caller_identity.current_account.account_id, flatten(values(var.nat_private_route_table_ids))) }] })
  role   = aws_iam_role.nat_role["0"].name
}

resource "aws_iam_instance_profile" "nat_instance_profile" {
  count = var.nat_instance_enabled ? 1 : 0

  name = "${var.prefix}-nat"
  role = aws_iam_role.nat_role["0"].name
  tags = merge(var.tags, { "self-runners:nat" = var.prefix })
}

resource "aws_launch_template" "nat_launch_template" {
  for_each = var.nat_instance_enabled ? var.nat_instance_subnet_ids : {}

  description            = "self-runners NAT instance"
  image_id               = "resolve:ssm:${format("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s", can(regex("^[a-z]+[0-9]+[a-z]*g[a-z]*[.]", var.nat_instance_type)) ? "arm64" : "x86_64")}"
  instance_type          = var.nat_instance_type
  name                   = "${var.prefix}-nat-${each.key}"
  tags                   = merge(var.tags, { "self-runners:nat" = var.prefix })
  update_default_version = true
  user_data              = base64encode(join("", ["#!/bin/bash\n# self-runners NAT instance: forward and masquerade the VPC's traffic, switch off this instance's\n# source/destination check, claim this AZ's route tables when their default route is missing or dead.\nset -euo pipefail\nexec > >(tee -a /var/log/self-runners-nat.log | logger -t self-runners-nat) 2>&1\n\nROUTE_TABLES='", join(" ", lookup(var.nat_private_route_table_ids, each.key, [])), "'\nREGION='", data.aws_region.current_region.name, "'\nPER_BOOT=", "/var/lib/cloud/scripts/per-boot/self-runners-nat.sh", "\n\nif [ \"$0\" != \"$PER_BOOT\" ]; then\n  mkdir -p \"$(dirname \"$PER_BOOT\")\"\n  cp \"$0\" \"$PER_BOOT\"\n  chmod 755 \"$PER_BOOT\"\nfi\n\nTOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)\nimds() { curl -sf -H \"X-aws-ec2-metadata-token: $TOKEN\" \"http://169.254.169.254/latest/meta-data/$1\"; }\nINSTANCE_ID=$(imds instance-id)\nMAC=$(imds mac)\nENI_ID=$(imds \"network/interfaces/macs/$MAC/interface-id\")\nVPC_CIDRS=$(imds \"network/interfaces/macs/$MAC/vpc-ipv4-cidr-blocks\" | paste -sd, -)\nIFACE=$(ip -o route show default | awk '{print $5; exit}')\n\n# 1. Forwarding; sysctl.d is read again at every boot.\ncat > /etc/sysctl.d/90-self-runners-nat.conf <<'SYSCTL'\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.all.send_redirects = 0\nnet.ipv4.ip_local_port_range = 1024 65535\nSYSCTL\nsysctl -q -p /etc/sysctl.d/90-self-runners-nat.conf\n\n# 2. Masquerade what the VPC sends out through this interface.\ncommand -v nft >/dev/null || dnf install -y -q nftables || true\nif command -v nft >/dev/null; then\n  nft delete table ip self_runners_nat 2>/dev/null || true\n  nft add table ip self_runners_nat\n  nft add chain ip self_runners_nat postrouting '{ type nat hook postrouting priority srcnat ; policy accept ; }'\n  nft add rule ip self_runners_nat postrouting oifname \"$IFACE\" ip saddr \"{ $VPC_CIDRS }\" masquerade\nelse\n  for cidr in $(echo \"$VPC_CIDRS\" | tr , ' '); do\n    iptables -t nat -C POSTROUTING -o \"$IFACE\" -s \"$cidr\" -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -o \"$IFACE\" -s \"$cidr\" -j MASQUERADE\n  done\nfi\n\n# 3. Forward packets not addressed to this instance. Last: the failover function takes the check\n#    being off as the sign that this NAT is ready.\naws ec2 modify-instance-attribute --region \"$REGION\" --instance-id \"$INSTANCE_ID\" --no-source-dest-check\n\n# 4. Tables without a default route, or with one to a vanished target, get this ENI.\nfor rtb in $ROUTE_TABLES; do\n  state=$(aws ec2 describe-route-tables --region \"$REGION\" --route-table-ids \"$rtb\" --query \"RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].State | [0]\" --output text)\n  case \"$state\" in\n    active) echo \"$rtb: default route active, left to the failover function\" ;;\n    blackhole) aws ec2 replace-route --region \"$REGION\" --route-table-id \"$rtb\" --destination-cidr-block 0.0.0.0/0 --network-interface-id \"$ENI_ID\" ;;\n    *) aws ec2 create-route --region \"$REGION\" --route-table-id \"$rtb\" --destination-cidr-block 0.0.0.0/0 --network-interface-id \"$ENI_ID\" ;;\n  esac\ndone\necho \"NAT ready: $INSTANCE_ID ($ENI_ID) masquerades $VPC_CIDRS out of $IFACE\"\n"]))
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      delete_on_termination = "true"
      encrypted             = "true"
      volume_size           = 8
      volume_type           = "gp3"
    }
  }
  iam_instance_profile {
    arn = aws_iam_instance_profile.nat_instance_profile["0"].arn
  }
  metadata_options {
    http_endpoint               = "enabled"
    http_put_response_hop_limit = 1
    http_tokens                 = "required"
    instance_metadata_tags      = "disabled"
  }
  network_interfaces {
    associate_public_ip_address = "true"
    delete_on_termination       = "true"
    device_index                = 0
    security_groups             = [aws_security_group.nat_security_group["0"].id]
  }
  tag_specifications {
    resource_type = "instance"
    tags          = merge(merge(var.tags, { "self-runners:nat" = var.prefix }), { "Name" = "${var.prefix}-nat-${each.key}" })
  }
  tag_specifications {
    resource_type = "volume"
    tags          = merge(merge(var.tags, { "self-runners:nat" = var.prefix }), { "Name" = "${var.prefix}-nat-${each.key}" })
  }
  tag_specifications {
    resource_type = "network-interface"
    tags          = merge(merge(var.tags, { "self-runners:nat" = var.prefix }), { "Name" = "${var.prefix}-nat-${each.key}" })
  }
}

resource "aws_autoscaling_group" "nat_asg" {
  for_each = var.nat_instance_enabled ? var.nat_instance_subnet_ids : {}

  desired_capacity          = 1
  health_check_grace_period = 120
  health_check_type         = "EC2"
  max_size                  = 1
  min_size                  = 1
  name                      = "${var.prefix}-nat-${each.key}"
  vpc_zone_identifier       = [each.value]
  instance_refresh {
    strategy = "Rolling"
    preferences {
      max_healthy_percentage = 200
      min_healthy_percentage = 100
    }
  }
  launch_template {
    id      = aws_launch_template.nat_launch_template[each.key].id
    version = "$Latest"
  }
  tag {
    key                 = "Name"
    propagate_at_launch = false
    value               = "${var.prefix}-nat-${each.key}"
  }
}

resource "aws_security_group" "nat_failover_security_group" {
  count = var.nat_instance_enabled ? 1 : 0

  description = "self-runners NAT failover functions: probes and AWS APIs out, nothing in"
  egress {
    cidr_blocks      = ["0.0.0.0/0"]
    description      = "Probes (HTTPS/TCP) and AWS APIs"
    from_port        = 0
    ipv6_cidr_blocks = null
    prefix_list_ids  = null
    protocol         = "tcp"
    security_groups  = null
    self             = null
    to_port          = 65535
  }
  name   = "${var.prefix}-nat-failover"
  tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-nat-failover" })
  vpc_id = var.vpc_id

  lifecycle {
    precondition {
      condition     = (var.nat_failover_existing_ec2_endpoint || (var.create_vpc_endpoints && contains(var.vpc_endpoint_services, "ec2")))
      error_message = "The NAT failover must reach the EC2 API while a NAT is down: set create_vpc_endpoints = true with \"ec2\" in vpc_endpoint_services, or nat_failover_existing_ec2_endpoint = true if the VPC has an EC2 interface endpoint with private DNS."
    }
    precondition {
      condition     = (length(setsubtract(keys(var.nat_private_route_table_ids), keys(var.nat_probe_subnet_ids))) < 1)
      error_message = "nat_probe_subnet_ids needs a private subnet for every AZ in nat_private_route_table_ids (the AZ's failover function runs there)."
    }
    precondition {
      condition     = (length(setsubtract(keys(var.nat_standby_nat_gateway_ids), keys(var.nat_private_route_table_ids))) < 1)
      error_message = "nat_standby_nat_gateway_ids may only name AZs that are in nat_private_route_table_ids."
    }
  }
}

resource "aws_iam_role" "nat_failover_role" {
  count = var.nat_instance_enabled ? 1 : 0

  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-nat-failover"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "nat_failover_policy" {
  count = var.nat_instance_enabled ? 1 : 0

  name   = "nat-failover"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-nat-failover-*:*" }, { "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "ReadNetwork", "Action" = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:DescribeRouteTables", "ec2:DescribeNatGateways"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "ReplaceDefaultRoutes", "Action" = ["ec2:ReplaceRoute"], "Resource" = formatlist("arn:%s:ec2:%s:%s:route-table/%s", data.aws_partition.current_partition.partition, data.aws_region.current_region.name, data.aws_caller_identity.current_account.account_id, flatten(values(var.nat_private_route_table_ids))) }] })
  role   = aws_iam_role.nat_failover_role["0"].id
}

resource "aws_cloudwatch_log_group" "nat_failover_logs" {
  for_each = var.nat_instance_enabled ? var.nat_private_route_table_ids : {}

  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-nat-failover-${each.key}"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_lambda_function" "nat_failover_function" {
  for_each = var.nat_instance_enabled ? var.nat_private_route_table_ids : {}

  architectures                  = ["arm64"]
  description                    = "Moves this AZ's default routes off a failed NAT and back after a hold-down"
  filename                       = "${path.module}/lambdas/nat-failover.zip"
  function_name                  = "${var.prefix}-nat-failover-${each.key}"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 128
  reserved_concurrent_executions = 1
  role                           = aws_iam_role.nat_failover_role["0"].arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/nat-failover.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 70
  environment {
    variables = {
      NODE_OPTIONS                   = "--enable-source-maps"
      POWERTOOLS_SERVICE_NAME        = "nat-failover"
      POWERTOOLS_METRICS_NAMESPACE   = "SelfRunners"
      POWERTOOLS_LOG_LEVEL           = "INFO"
      PREFIX                         = var.prefix
      AZ                             = each.key
      ROUTE_TABLE_IDS                = jsonencode(each.value)
      STANDBY_NAT_GATEWAY_ID         = try(var.nat_standby_nat_gateway_ids[each.key], "")
      NAT_PROBE_URLS                 = jsonencode(var.nat_probe_urls)
      NAT_PROBE_INTERVAL_SECONDS     = var.nat_probe_interval_seconds
      NAT_FAILURE_THRESHOLD          = var.nat_failure_threshold
      NAT_FAILBACK_HOLD_DOWN_SECONDS = var.nat_failback_hold_down_seconds
    }
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.nat_failover_logs[each.key].name
  }
  vpc_config {
    security_group_ids = [aws_security_group.nat_failover_security_group["0"].id]
    subnet_ids         = [try(var.nat_probe_subnet_ids[each.key], "")]
  }

  depends_on = [aws_cloudwatch_log_group.nat_failover_logs]
}

resource "aws_cloudwatch_event_rule" "nat_failover_schedule" {
  for_each = var.nat_instance_enabled ? var.nat_private_route_table_ids : {}

  description         = "Runs the NAT failover probe loop of one AZ"
  name                = "${var.prefix}-nat-schedule-${each.key}"
  schedule_expression = "rate(1 minute)"
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_target" "nat_failover_schedule_target" {
  for_each = var.nat_instance_enabled ? var.nat_private_route_table_ids : {}

  arn       = aws_lambda_function.nat_failover_function[each.key].arn
  rule      = aws_cloudwatch_event_rule.nat_failover_schedule[each.key].name
  target_id = "nat-failover"
}

resource "aws_lambda_permission" "nat_failover_schedule_invoke" {
  for_each = var.nat_instance_enabled ? var.nat_private_route_table_ids : {}

  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.nat_failover_function[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.nat_failover_schedule[each.key].arn
  statement_id  = "AllowEventBridge-schedule"
}

resource "aws_cloudwatch_event_rule" "nat_failover_state_change" {
  for_each = var.nat_instance_enabled ? var.nat_private_route_table_ids : {}

  description   = "Runs the NAT failover of one AZ at once when an instance stops"
  event_pattern = jsonencode({ "source" = ["aws.ec2"], "detail-type" = ["EC2 Instance State-change Notification"], "detail" = { "state" = ["stopping", "stopped", "shutting-down", "terminated"] } })
  name          = "${var.prefix}-nat-state-change-${each.key}"
  tags          = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_target" "nat_failover_state_change_target" {
  for_each = var.nat_instance_enabled ? var.nat_private_route_table_ids : {}

  arn       = aws_lambda_function.nat_failover_function[each.key].arn
  rule      = aws_cloudwatch_event_rule.nat_failover_state_change[each.key].name
  target_id = "nat-failover"
}

resource "aws_lambda_permission" "nat_failover_state_change_invoke" {
  for_each = var.nat_instance_enabled ? var.nat_private_route_table_ids : {}

  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.nat_failover_function[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.nat_failover_state_change[each.key].arn
  statement_id  = "AllowEventBridge-state-change"
}
