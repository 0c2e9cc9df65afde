resource "aws_wafv2_web_acl_association" "webhook_firewall_association" {
  count        = local.webhook_firewall_enabled ? 1 : 0
  resource_arn = aws_api_gateway_stage.webhook_api_stage.arn
  web_acl_arn  = aws_wafv2_web_acl.webhook_firewall_web_acl["0"].arn
  depends_on   = [aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill]
}

resource "aws_lambda_invocation" "webhook_firewall_github_hooks_ipset_fill" {
  count         = local.webhook_firewall_allowlist ? 1 : 0
  function_name = aws_lambda_function.webhook_firewall_github_hooks_ipset_function["0"].function_name
  input         = jsonencode({ "source" = "terraform" })
  triggers = {
    ipv4_set_id = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].id
    ipv6_set_id = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].id
  }
  depends_on = [aws_iam_role_policy.webhook_firewall_github_hooks_ipset_policy_update_ip_sets]
}

resource "aws_lambda_permission" "webhook_firewall_github_hooks_ipset_invoke" {
  count         = local.webhook_firewall_allowlist ? 1 : 0
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.webhook_firewall_github_hooks_ipset_function["0"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule["0"].arn
  statement_id  = "AllowEventBridgeInvoke"
}

resource "aws_cloudwatch_event_rule" "webhook_firewall_github_hooks_ipset_schedule" {
  count               = local.webhook_firewall_allowlist ? 1 : 0
  description         = "Refreshes the WAF allowlist from GitHub's GET /meta hooks"
  name                = "${var.prefix}-github-hooks-ipset"
  schedule_expression = var.waf_ip_set_refresh_schedule
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_target" "webhook_firewall_github_hooks_ipset_target" {
  count     = local.webhook_firewall_allowlist ? 1 : 0
  arn       = aws_lambda_function.webhook_firewall_github_hooks_ipset_function["0"].arn
  rule      = aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule["0"].name
  target_id = "github-hooks-ipset"
}

resource "aws_lambda_function" "webhook_firewall_github_hooks_ipset_function" {
  count                          = local.webhook_firewall_allowlist ? 1 : 0
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
      GITHUB_API_URL               = var.github_api_url
      IPV4_SET_ID                  = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].id
      IPV4_SET_NAME                = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].name
      IPV6_SET_ID                  = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].id
      IPV6_SET_NAME                = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].name
      IP_SET_SCOPE                 = "REGIONAL"
      NODE_OPTIONS                 = "--enable-source-maps"
      POWERTOOLS_LOG_LEVEL         = "INFO"
      POWERTOOLS_METRICS_NAMESPACE = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME      = "github-hooks-ipset"
      POWERTOOLS_TRACE_ENABLED     = tostring(var.enable_tracing)
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.webhook_firewall_github_hooks_ipset_logs["0"].name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = var.lambda_security_group_ids
    subnet_ids         = var.lambda_subnet_ids
  }
  depends_on = [aws_cloudwatch_log_group.webhook_firewall_github_hooks_ipset_logs]
}

resource "aws_cloudwatch_log_group" "webhook_firewall_github_hooks_ipset_logs" {
  count             = local.webhook_firewall_allowlist ? 1 : 0
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-github-hooks-ipset"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "webhook_firewall_github_hooks_ipset_policy_logs" {
  count  = local.webhook_firewall_allowlist ? 1 : 0
  name   = "logs"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.webhook_firewall_github_hooks_ipset_logs["0"].arn}:*" }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_iam_role_policy" "webhook_firewall_github_hooks_ipset_policy_update_ip_sets" {
  count  = local.webhook_firewall_allowlist ? 1 : 0
  name   = "update-ip-sets"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "UpdateGitHubHooksIpSets", "Action" = ["wafv2:GetIPSet", "wafv2:UpdateIPSet"], "Resource" = [aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4["0"].arn, aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6["0"].arn] }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_iam_role" "webhook_firewall_github_hooks_ipset_role" {
  count                = local.webhook_firewall_allowlist ? 1 : 0
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-github-hooks-ipset"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "webhook_firewall_github_hooks_ipset_tracing" {
  count  = min(local.webhook_firewall_allowlist ? 1 : 0, var.enable_tracing ? 1 : 0)
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_iam_role_policy" "webhook_firewall_github_hooks_ipset_vpc_access" {
  count  = min(local.webhook_firewall_allowlist ? 1 : 0, min(length(var.lambda_subnet_ids), 1))
  name   = "vpc-access"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }] })
  role   = aws_iam_role.webhook_firewall_github_hooks_ipset_role["0"].id
}

resource "aws_wafv2_ip_set" "webhook_firewall_github_hooks_ipv4" {
  count              = local.webhook_firewall_allowlist ? 1 : 0
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
  count              = local.webhook_firewall_allowlist ? 1 : 0
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

resource "aws_wafv2_web_acl_logging_configuration" "webhook_firewall_logging" {
  count                   = local.webhook_firewall_enabled ? 1 : 0
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

resource "aws_cloudwatch_log_group" "webhook_firewall_logs" {
  count             = local.webhook_firewall_enabled ? 1 : 0
  kms_key_id        = local.encryption_key_arn
  name              = "aws-waf-logs-${var.prefix}"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_wafv2_web_acl" "webhook_firewall_web_acl" {
  count       = local.webhook_firewall_enabled ? 1 : 0
  description = "Protects the self-runners webhook stage"
  name        = "${var.prefix}-webhook"
  scope       = "REGIONAL"
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = local.webhook_firewall_allowlist ? ["enabled"] : []

    content {
      name     = "github-hooks-allowlist"
      priority = 1

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
        metric_name                = "github-hooks-allowlist"
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "signed-requests-only"
    priority = 0

    action {
      block {}
    }

    statement {
      or_statement {
        statement {
          not_statement {
            statement {
              regex_match_statement {
                regex_string = "^sha256=[0-9a-f]{64}$"

                field_to_match {
                  single_header {
                    name = "x-hub-signature-256"
                  }
                }

                text_transformation {
                  priority = 0
                  type     = "NONE"
                }
              }
            }
          }
        }

        statement {
          size_constraint_statement {
            comparison_operator = "GT"
            size                = length(tostring(var.webhook_max_body_bytes))

            field_to_match {
              single_header {
                name = "content-length"
              }
            }

            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "signed-requests-only"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 2

    action {
      block {}
    }

    statement {
      rate_based_statement {
        aggregate_key_type    = "IP"
        evaluation_window_sec = var.waf_rate_limit_window_seconds
        limit                 = var.waf_rate_limit
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
    priority = 3

    override_action {
      none {}
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
    priority = 4

    override_action {
      none {}
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
    priority = 5

    override_action {
      none {}
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
    priority = 6

    override_action {
      none {}
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
}
