# The web application firewall in front of the webhook stage: on by default, switched off, with the
# GitHub hooks allowlist, with a custom rate limit, and refused variable values.
mock_provider "aws" {
  override_during = plan
  source = "./tests/mocks"
}

variables {
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0"]
  pools = {
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large"]
    }
  }
}

run "waf_defaults" {
  command = plan
  plan_options {
    target = [
      aws_api_gateway_stage.webhook_api_stage,
      aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule,
      aws_cloudwatch_log_group.webhook_firewall_logs,
      aws_lambda_function.webhook_firewall_github_hooks_ipset_function,
      aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill,
      aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4,
      aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6,
      aws_wafv2_web_acl.webhook_firewall_web_acl,
      aws_wafv2_web_acl_association.webhook_firewall_association,
      aws_wafv2_web_acl_logging_configuration.webhook_firewall_logging,
    ]
  }

  assert {
    condition     = length(aws_wafv2_web_acl.webhook_firewall_web_acl) == 1 && aws_wafv2_web_acl.webhook_firewall_web_acl[0].name == "self-runners-webhook" && aws_wafv2_web_acl.webhook_firewall_web_acl[0].scope == "REGIONAL"
    error_message = "One regional web ACL named <prefix>-webhook is created by default."
  }
  assert {
    condition     = length(aws_wafv2_web_acl.webhook_firewall_web_acl[0].default_action[0].allow) == 1
    error_message = "Requests no rule blocks are allowed."
  }
  assert {
    condition = { for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule : r.name => r.priority } == {
      "signed-requests-only" = 0
      "rate-limit-per-ip"    = 2
      "aws-ip-reputation"    = 3
      "aws-known-bad-inputs" = 4
      "aws-common-rule-set"  = 5
      "aws-sqli"             = 6
    }
    error_message = "The signature rule comes first, then the rate limit, IP reputation, known bad inputs, the core rule set and SQL injection; no allowlist rule by default."
  }
  assert {
    condition = [
      for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule :
      "${length(r.action[0].block)} ${r.statement[0].or_statement[0].statement[0].not_statement[0].statement[0].regex_match_statement[0].regex_string} ${r.statement[0].or_statement[0].statement[0].not_statement[0].statement[0].regex_match_statement[0].field_to_match[0].single_header[0].name} ${r.statement[0].or_statement[0].statement[1].size_constraint_statement[0].size}"
      if r.name == "signed-requests-only"
    ] == ["1 ^sha256=[0-9a-f]{64}$ x-hub-signature-256 6"]
    error_message = "The first rule blocks requests without a well-formed X-Hub-Signature-256 or with a Content-Length longer than 6 digits (webhook_max_body_bytes 262144)."
  }
  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule :
      r.statement[0].rate_based_statement[0].limit == 10000 && r.statement[0].rate_based_statement[0].evaluation_window_sec == 300 && r.statement[0].rate_based_statement[0].aggregate_key_type == "IP" && length(r.statement[0].rate_based_statement[0].scope_down_statement) == 0 && length(r.action[0].block) == 1
      if r.name == "rate-limit-per-ip"
    ])
    error_message = "The rate rule blocks over 10000 requests per source IP in 300 s and applies to every address."
  }
  assert {
    condition = {
      for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule : r.statement[0].managed_rule_group_statement[0].name => join(",", sort(r.statement[0].managed_rule_group_statement[0].rule_action_override[*].name))
      if !contains(["rate-limit-per-ip", "signed-requests-only"], r.name)
      } == {
      AWSManagedRulesAmazonIpReputationList = ""
      AWSManagedRulesKnownBadInputsRuleSet  = "JavaDeserializationRCE_BODY,Log4JRCE_BODY"
      AWSManagedRulesCommonRuleSet          = "CrossSiteScripting_BODY,EC2MetaDataSSRF_BODY,GenericLFI_BODY,GenericRFI_BODY,SizeRestrictions_BODY"
      AWSManagedRulesSQLiRuleSet            = "SQLiExtendedPatterns_BODY,SQLi_BODY"
    }
    error_message = "The managed groups are used as published except for their body rules, which are overridden."
  }
  assert {
    condition = alltrue(flatten([
      for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule : [
        for o in r.statement[0].managed_rule_group_statement[0].rule_action_override : length(o.action_to_use[0].count) == 1 && length(o.action_to_use[0].block) == 0
      ] if !contains(["rate-limit-per-ip", "signed-requests-only"], r.name)
    ]))
    error_message = "Every overridden body rule only counts."
  }
  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule : length(r.override_action[0].none) == 1 if !contains(["rate-limit-per-ip", "signed-requests-only"], r.name)
    ])
    error_message = "The managed groups keep their own actions (override_action none)."
  }
  assert {
    condition = alltrue(concat(
      [for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule : r.visibility_config[0].cloudwatch_metrics_enabled && r.visibility_config[0].sampled_requests_enabled && r.visibility_config[0].metric_name == r.name],
      [aws_wafv2_web_acl.webhook_firewall_web_acl[0].visibility_config[0].cloudwatch_metrics_enabled, aws_wafv2_web_acl.webhook_firewall_web_acl[0].visibility_config[0].sampled_requests_enabled, aws_wafv2_web_acl.webhook_firewall_web_acl[0].visibility_config[0].metric_name == "self-runners-webhook"],
    ))
    error_message = "The ACL and every rule publish CloudWatch metrics and sampled requests under stable metric names."
  }
  assert {
    condition     = aws_wafv2_web_acl_association.webhook_firewall_association[0].resource_arn == aws_api_gateway_stage.webhook_api_stage.arn && aws_wafv2_web_acl_association.webhook_firewall_association[0].web_acl_arn == aws_wafv2_web_acl.webhook_firewall_web_acl[0].arn
    error_message = "The ACL is associated with the webhook stage."
  }
  assert {
    condition     = aws_cloudwatch_log_group.webhook_firewall_logs[0].name == "aws-waf-logs-self-runners" && aws_cloudwatch_log_group.webhook_firewall_logs[0].retention_in_days == 30
    error_message = "WAF logs go to aws-waf-logs-<prefix>, kept for log_retention_days."
  }
  assert {
    condition     = aws_wafv2_web_acl_logging_configuration.webhook_firewall_logging[0].resource_arn == aws_wafv2_web_acl.webhook_firewall_web_acl[0].arn && one(aws_wafv2_web_acl_logging_configuration.webhook_firewall_logging[0].log_destination_configs) == aws_cloudwatch_log_group.webhook_firewall_logs[0].arn
    error_message = "The ACL logs to its log group."
  }
  assert {
    condition     = join(",", sort([for f in aws_wafv2_web_acl_logging_configuration.webhook_firewall_logging[0].redacted_fields : f.single_header[0].name])) == "x-hub-signature,x-hub-signature-256"
    error_message = "GitHub's signature headers are redacted from the logs."
  }
  assert {
    condition = alltrue([
      length(aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4) == 0,
      length(aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6) == 0,
      length(aws_lambda_function.webhook_firewall_github_hooks_ipset_function) == 0,
      length(aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule) == 0,
      length(aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill) == 0,
    ])
    error_message = "Without waf_github_hooks_allowlist there are no IP sets and no updater."
  }
  assert {
    condition     = output.web_acl_arn == aws_wafv2_web_acl.webhook_firewall_web_acl[0].arn && output.waf_log_group_name == "aws-waf-logs-self-runners"
    error_message = "The outputs name the ACL and its log group."
  }
}

run "waf_disabled" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_log_group.webhook_firewall_logs,
      aws_lambda_function.webhook_firewall_github_hooks_ipset_function,
      aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill,
      aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4,
      aws_wafv2_web_acl.webhook_firewall_web_acl,
      aws_wafv2_web_acl_association.webhook_firewall_association,
      aws_wafv2_web_acl_logging_configuration.webhook_firewall_logging,
    ]
  }
  variables {
    enable_waf = false
  }
  assert {
    condition = alltrue([
      length(aws_wafv2_web_acl.webhook_firewall_web_acl) == 0,
      length(aws_wafv2_web_acl_association.webhook_firewall_association) == 0,
      length(aws_wafv2_web_acl_logging_configuration.webhook_firewall_logging) == 0,
      length(aws_cloudwatch_log_group.webhook_firewall_logs) == 0,
      length(aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4) == 0,
      length(aws_lambda_function.webhook_firewall_github_hooks_ipset_function) == 0,
      length(aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill) == 0,
    ])
    error_message = "enable_waf = false creates nothing for the firewall."
  }
  assert {
    condition     = output.web_acl_arn == "" && output.waf_log_group_name == ""
    error_message = "Both outputs are empty without a firewall."
  }
}

run "waf_github_hooks_allowlist" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule,
      aws_cloudwatch_event_target.webhook_firewall_github_hooks_ipset_target,
      aws_cloudwatch_log_group.webhook_firewall_github_hooks_ipset_logs,
      aws_cloudwatch_log_group.webhook_firewall_logs,
      aws_iam_role_policy.webhook_firewall_github_hooks_ipset_policy_update_ip_sets,
      aws_lambda_function.webhook_firewall_github_hooks_ipset_function,
      aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill,
      aws_lambda_permission.webhook_firewall_github_hooks_ipset_invoke,
      aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4,
      aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6,
      aws_wafv2_web_acl.webhook_firewall_web_acl,
    ]
  }
  variables {
    waf_github_hooks_allowlist = true
    github_api_url             = "https://ghes.example.com/api/v3"
    log_retention_days         = 90
  }
  override_resource {
    override_during = plan
    target = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4
    values = { arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/self-runners-github-hooks-ipv4/44444444-4444-4444-4444-444444444444", id = "44444444-4444-4444-4444-444444444444" }
  }
  override_resource {
    override_during = plan
    target = aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6
    values = { arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/self-runners-github-hooks-ipv6/66666666-6666-6666-6666-666666666666", id = "66666666-6666-6666-6666-666666666666" }
  }
  assert {
    condition = alltrue([
      aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4[0].name == "self-runners-github-hooks-ipv4" && aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4[0].ip_address_version == "IPV4",
      aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6[0].name == "self-runners-github-hooks-ipv6" && aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6[0].ip_address_version == "IPV6",
      aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4[0].scope == "REGIONAL",
      length(aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4[0].addresses) == 0 && length(aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv6[0].addresses) == 0,
    ])
    error_message = "Two regional IP sets, IPv4 and IPv6, are created empty: the updater fills them."
  }
  assert {
    condition = [
      for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule :
      "${r.priority} block=${length(r.action[0].block)} not-in=${join(",", sort(r.statement[0].not_statement[0].statement[0].or_statement[0].statement[*].ip_set_reference_statement[0].arn))}"
      if r.name == "github-hooks-allowlist"
    ] == ["1 block=1 not-in=arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/self-runners-github-hooks-ipv4/44444444-4444-4444-4444-444444444444,arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/self-runners-github-hooks-ipv6/66666666-6666-6666-6666-666666666666"]
    error_message = "The rule after the signature rule blocks every request whose source is in neither GitHub set."
  }
  assert {
    condition = [
      for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule :
      length(r.statement[0].rate_based_statement[0].scope_down_statement) if r.name == "rate-limit-per-ip"
    ] == [0]
    error_message = "The rate limit applies to GitHub's sets too: anyone can send from them."
  }
  assert {
    condition     = length(aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule) == 7
    error_message = "The allowlist adds one rule to the six default ones."
  }
  assert {
    condition = alltrue([
      aws_lambda_function.webhook_firewall_github_hooks_ipset_function[0].function_name == "self-runners-github-hooks-ipset",
      endswith(aws_lambda_function.webhook_firewall_github_hooks_ipset_function[0].filename, "lambdas/github-hooks-ipset.zip"),
      aws_lambda_function.webhook_firewall_github_hooks_ipset_function[0].environment[0].variables.GITHUB_API_URL == "https://ghes.example.com/api/v3",
      aws_lambda_function.webhook_firewall_github_hooks_ipset_function[0].environment[0].variables.IPV4_SET_ID == "44444444-4444-4444-4444-444444444444",
      aws_lambda_function.webhook_firewall_github_hooks_ipset_function[0].environment[0].variables.IPV6_SET_NAME == "self-runners-github-hooks-ipv6",
      aws_lambda_function.webhook_firewall_github_hooks_ipset_function[0].environment[0].variables.IP_SET_SCOPE == "REGIONAL",
    ])
    error_message = "The updater function gets the GitHub API URL and both sets."
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.webhook_firewall_github_hooks_ipset_policy_update_ip_sets[0].policy).Statement == [{
      Effect = "Allow"
      Sid    = "UpdateGitHubHooksIpSets"
      Action = ["wafv2:GetIPSet", "wafv2:UpdateIPSet"]
      Resource = [
        "arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/self-runners-github-hooks-ipv4/44444444-4444-4444-4444-444444444444",
        "arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/self-runners-github-hooks-ipv6/66666666-6666-6666-6666-666666666666",
      ]
    }]
    error_message = "The updater may only read and update the two sets."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule[0].schedule_expression == "rate(1 hour)" && aws_cloudwatch_event_target.webhook_firewall_github_hooks_ipset_target[0].arn == aws_lambda_function.webhook_firewall_github_hooks_ipset_function[0].arn
    error_message = "EventBridge runs the updater every hour."
  }
  assert {
    condition     = aws_lambda_permission.webhook_firewall_github_hooks_ipset_invoke[0].principal == "events.amazonaws.com" && aws_lambda_permission.webhook_firewall_github_hooks_ipset_invoke[0].source_arn == aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule[0].arn
    error_message = "Only the schedule's rule may invoke the updater through EventBridge."
  }
  assert {
    condition     = aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill[0].function_name == aws_lambda_function.webhook_firewall_github_hooks_ipset_function[0].function_name && jsondecode(aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill[0].input).source == "terraform"
    error_message = "The updater runs once during apply to fill the sets."
  }
  assert {
    condition     = aws_lambda_invocation.webhook_firewall_github_hooks_ipset_fill[0].triggers == tomap({ ipv4_set_id = "44444444-4444-4444-4444-444444444444", ipv6_set_id = "66666666-6666-6666-6666-666666666666" })
    error_message = "A replaced set is filled again during apply."
  }
  assert {
    condition     = aws_cloudwatch_log_group.webhook_firewall_logs[0].retention_in_days == 90 && aws_cloudwatch_log_group.webhook_firewall_github_hooks_ipset_logs[0].retention_in_days == 90
    error_message = "The WAF and updater log groups follow log_retention_days."
  }
}

run "waf_custom_rate_limit_and_schedule" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule, aws_wafv2_web_acl.webhook_firewall_web_acl]
  }
  variables {
    waf_rate_limit                = 2000
    waf_rate_limit_window_seconds = 60
    waf_github_hooks_allowlist    = true
    waf_ip_set_refresh_schedule   = "cron(15 * * * ? *)"
  }
  assert {
    condition = [
      for r in aws_wafv2_web_acl.webhook_firewall_web_acl[0].rule :
      [r.statement[0].rate_based_statement[0].limit, r.statement[0].rate_based_statement[0].evaluation_window_sec] if r.name == "rate-limit-per-ip"
    ] == [[2000, 60]]
    error_message = "waf_rate_limit and waf_rate_limit_window_seconds set the rate rule."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.webhook_firewall_github_hooks_ipset_schedule[0].schedule_expression == "cron(15 * * * ? *)"
    error_message = "waf_ip_set_refresh_schedule sets the updater's schedule."
  }
}

run "fails_when_waf_rate_limit_is_below_the_minimum" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    waf_rate_limit = 50
  }
  expect_failures = [var.waf_rate_limit]
}

run "fails_when_waf_rate_limit_is_fractional" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    waf_rate_limit = 1000.5
  }
  expect_failures = [var.waf_rate_limit]
}

run "fails_when_waf_rate_limit_window_is_not_a_waf_window" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    waf_rate_limit_window_seconds = 90
  }
  expect_failures = [var.waf_rate_limit_window_seconds]
}

run "fails_when_waf_ip_set_refresh_schedule_is_malformed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    waf_ip_set_refresh_schedule = "every hour"
  }
  expect_failures = [var.waf_ip_set_refresh_schedule]
}

run "fails_when_the_allowlist_is_asked_for_without_the_waf" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function]
  }
  variables {
    enable_waf                 = false
    waf_github_hooks_allowlist = true
  }
  expect_failures = [aws_lambda_function.webhook_function]
}
