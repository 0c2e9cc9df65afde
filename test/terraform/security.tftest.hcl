# Encryption (a key by default, no key, a created key, a given key, both -> the given one), table resource policies, least-privilege launch policy, and
# the previous-webhook-secret parameter used for secret rotation.
mock_provider "aws" {
  override_during = plan
  source = "./tests/mocks"
}

variables {
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  pools = {
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large"]
    }
  }
}

run "key_created_by_default_tables_closed_runner_denied_parameters" {
  command = plan
  plan_options {
    target = [
      aws_dynamodb_resource_policy.jobs_resource_policy,
      aws_dynamodb_resource_policy.runners_resource_policy,
      aws_dynamodb_table.jobs_table,
      aws_dynamodb_table.runners_table,
      aws_iam_role.runner_role,
      aws_iam_role_policy.github_app_deny_read,
      aws_kms_key.encryption_key,
    ]
  }

  assert {
    condition     = length(aws_kms_key.encryption_key) == 1 && output.kms_key_arn == aws_kms_key.encryption_key[0].arn
    error_message = "A customer managed key is created by default (issue 18)."
  }
  assert {
    condition = alltrue([
      for p in [aws_dynamodb_resource_policy.runners_resource_policy, aws_dynamodb_resource_policy.jobs_resource_policy] :
      jsondecode(p.policy).Statement[0].Effect == "Deny" && contains(jsondecode(p.policy).Statement[0].Action, "dynamodb:Scan")
    ])
    error_message = "Both tables deny item access to all but the module's roles."
  }
  assert {
    condition     = aws_dynamodb_resource_policy.runners_resource_policy.resource_arn == aws_dynamodb_table.runners_table.arn && aws_dynamodb_resource_policy.jobs_resource_policy.resource_arn == aws_dynamodb_table.jobs_table.arn
    error_message = "Each resource policy is attached to its table."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.github_app_deny_read.policy).Statement[0].Effect == "Deny" && aws_iam_role_policy.github_app_deny_read.role == aws_iam_role.runner_role.id
    error_message = "The runner role is denied the App's parameters."
  }
  assert {
    condition     = !contains(jsondecode(aws_kms_key.encryption_key[0].policy).Statement[0].Action, "kms:Decrypt") && !contains(jsondecode(aws_kms_key.encryption_key[0].policy).Statement[0].Action, "kms:*")
    error_message = "The account administers the key but cannot use it."
  }
}

run "no_key_keeps_aws_managed_encryption" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_log_group.reconcile_logs,
      aws_cloudwatch_log_group.scale_up_logs,
      aws_cloudwatch_log_group.webhook_api_access_logs,
      aws_cloudwatch_log_group.webhook_logs,
      aws_dynamodb_table.runners_table,
      aws_iam_role_policy.encryption_grant_reconcile,
      aws_iam_role_policy.encryption_grant_runner,
      aws_iam_role_policy.encryption_grant_scale_up,
      aws_iam_role_policy.encryption_grant_webhook,
      aws_kms_alias.encryption_alias,
      aws_kms_key.encryption_key,
      aws_sqs_queue.job_dlq,
      aws_sqs_queue.job_queue,
    ]
  }

  variables {
    create_kms_key = false
  }

  assert {
    condition     = length(aws_kms_key.encryption_key) == 0 && length(aws_kms_alias.encryption_alias) == 0 && output.kms_key_arn == ""
    error_message = "No key is created or reported by default."
  }
  assert {
    condition     = alltrue([for q in concat(values(aws_sqs_queue.job_queue), values(aws_sqs_queue.job_dlq)) : q.sqs_managed_sse_enabled && q.kms_master_key_id == null])
    error_message = "Without a key, every queue uses SSE-SQS."
  }
  assert {
    condition     = aws_dynamodb_table.runners_table.server_side_encryption[0].enabled
    error_message = "The runners table is encrypted with the AWS managed key."
  }
  assert {
    condition = alltrue([
      for g in [aws_cloudwatch_log_group.webhook_logs, aws_cloudwatch_log_group.scale_up_logs, aws_cloudwatch_log_group.reconcile_logs, aws_cloudwatch_log_group.webhook_api_access_logs] : g.kms_key_id == null
    ])
    error_message = "Without a key, log groups keep CloudWatch Logs' own encryption."
  }
  assert {
    condition = alltrue([
      length(aws_iam_role_policy.encryption_grant_webhook) == 0,
      length(aws_iam_role_policy.encryption_grant_scale_up) == 0,
      length(aws_iam_role_policy.encryption_grant_reconcile) == 0,
      length(aws_iam_role_policy.encryption_grant_runner) == 0,
    ])
    error_message = "Without a key, no role gets KMS permissions."
  }
}

run "key_created_encrypts_everything" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_log_group.audit_logs,
      aws_cloudwatch_log_group.reconcile_logs,
      aws_cloudwatch_log_group.scale_up_logs,
      aws_cloudwatch_log_group.webhook_api_access_logs,
      aws_cloudwatch_log_group.webhook_firewall_logs,
      aws_cloudwatch_log_group.webhook_logs,
      aws_dynamodb_table.jobs_table,
      aws_dynamodb_table.runners_table,
      aws_iam_role_policy.encryption_grant_reconcile,
      aws_iam_role_policy.encryption_grant_runner,
      aws_iam_role_policy.encryption_grant_scale_up,
      aws_iam_role_policy.encryption_grant_webhook,
      aws_kms_alias.encryption_alias,
      aws_kms_key.encryption_key,
      aws_lambda_function.reconcile_function,
      aws_lambda_function.scale_up_function,
      aws_lambda_function.webhook_function,
      aws_sqs_queue.job_dlq,
      aws_sqs_queue.job_queue,
      aws_ssm_parameter.github_app_private_key,
      aws_ssm_parameter.github_app_webhook_secret,
      aws_ssm_parameter.github_app_webhook_secret_previous,
    ]
  }

  variables {
    create_kms_key             = true
    cloudtrail_cloudwatch_logs = true
  }

  assert {
    condition     = length(aws_kms_key.encryption_key) == 1 && aws_kms_key.encryption_key[0].enable_key_rotation && aws_kms_alias.encryption_alias[0].name == "alias/self-runners"
    error_message = "One rotating key with alias/<prefix> is created."
  }
  assert {
    condition     = output.kms_key_arn == aws_kms_key.encryption_key[0].arn
    error_message = "kms_key_arn outputs the created key."
  }
  assert {
    condition = [
      for s in jsondecode(aws_kms_key.encryption_key[0].policy).Statement : s.Sid if contains(s.Action, "kms:*") || (contains(s.Action, "kms:Decrypt") && try(s.Principal.AWS, "") != "" && try(s.Condition.ArnEquals["aws:PrincipalArn"], null) == null)
    ] == []
    error_message = "No statement gives kms:*, nor decryption to the account without naming the principals."
  }
  assert {
    condition = [
      for s in jsondecode(aws_kms_key.encryption_key[0].policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "KitRolesAndAdministratorsUseKey"
      ] == [[
        "arn:aws:iam::123456789012:role/self-runners-runner",
        "arn:aws:iam::123456789012:role/self-runners-webhook",
        "arn:aws:iam::123456789012:role/self-runners-scale-up",
        "arn:aws:iam::123456789012:role/self-runners-reconcile",
        "arn:aws:iam::123456789012:role/self-runners-spot-interruption",
        "arn:aws:iam::123456789012:role/self-runners-github-hooks-ipset",
        "arn:aws:iam::123456789012:role/self-runners-nat-failover",
        "arn:aws:iam::123456789012:role/self-runners-runner-binaries-syncer",
        "arn:aws:iam::123456789012:role/self-runners-image-builder",
        "arn:aws:iam::123456789012:role/self-runners-build-cache",
        "arn:aws:iam::123456789012:role/self-runners-build-cache-sweep",
        "arn:aws:iam::123456789012:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder",
        "arn:aws:iam::123456789012:role/deployer",
    ]]
    error_message = "Only the module's roles and the deployer (no kms_key_administrator_arns given) may use the key."
  }
  assert {
    condition = [
      for s in jsondecode(aws_kms_key.encryption_key[0].policy).Statement : s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]
      if s.Sid == "CloudWatchLogsEncryptsOwnLogGroups" && try(s.Principal.Service, "") == "logs.eu-west-1.amazonaws.com"
      ] == [[
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-webhook",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-scale-up",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-reconcile",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-spot-interruption",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-github-hooks-ipset",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-runner-binaries-syncer",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-build-cache",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-build-cache-sweep",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/self-runners",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/self-runners-nat-failover-*",
        "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-self-runners",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/cloudtrail/self-runners-audit",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/self-runners/self-runners/runners",
    ]]
    error_message = "CloudWatch Logs of this region may use the key only under the encryption context of the kit's log groups."
  }
  assert {
    condition = alltrue([
      for q in concat(values(aws_sqs_queue.job_queue), values(aws_sqs_queue.job_dlq)) :
      q.kms_master_key_id == aws_kms_key.encryption_key[0].arn && q.kms_data_key_reuse_period_seconds == 3600
    ])
    error_message = "Every queue and DLQ uses the key, reusing data keys for an hour."
  }
  assert {
    condition     = aws_dynamodb_table.runners_table.server_side_encryption[0].kms_key_arn == aws_kms_key.encryption_key[0].arn
    error_message = "The runners table uses the key."
  }
  assert {
    condition     = aws_dynamodb_table.jobs_table.server_side_encryption[0].kms_key_arn == aws_kms_key.encryption_key[0].arn
    error_message = "The job ledger uses the key."
  }
  assert {
    condition = alltrue([
      for p in concat(aws_ssm_parameter.github_app_private_key, aws_ssm_parameter.github_app_webhook_secret, aws_ssm_parameter.github_app_webhook_secret_previous) :
      p.key_id == aws_kms_key.encryption_key[0].arn
    ])
    error_message = "Every parameter the module creates uses the key."
  }
  assert {
    condition = alltrue([
      for g in [aws_cloudwatch_log_group.webhook_logs, aws_cloudwatch_log_group.scale_up_logs, aws_cloudwatch_log_group.reconcile_logs, aws_cloudwatch_log_group.webhook_api_access_logs, aws_cloudwatch_log_group.audit_logs[0], aws_cloudwatch_log_group.webhook_firewall_logs[0]] :
      g.kms_key_id == aws_kms_key.encryption_key[0].arn
    ])
    error_message = "Every log group uses the key."
  }
  assert {
    condition = alltrue([
      for f in [aws_lambda_function.webhook_function, aws_lambda_function.scale_up_function, aws_lambda_function.reconcile_function] :
      f.kms_key_arn == aws_kms_key.encryption_key[0].arn
    ])
    error_message = "Every function's environment is encrypted with the key."
  }
  assert {
    condition = alltrue([
      for p in [aws_iam_role_policy.encryption_grant_webhook[0], aws_iam_role_policy.encryption_grant_scale_up[0], aws_iam_role_policy.encryption_grant_reconcile[0], aws_iam_role_policy.encryption_grant_runner[0]] :
      alltrue([
        for s in jsondecode(p.policy).Statement :
        s.Action == ["kms:Decrypt", "kms:GenerateDataKey"] && s.Resource == aws_kms_key.encryption_key[0].arn && length(s.Condition.StringEquals["kms:ViaService"]) > 0
      ])
    ])
    error_message = "Roles may only decrypt and generate data keys with this key, through named services."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.encryption_grant_runner[0].policy).Statement[0].Condition.StringEquals["kms:ViaService"] == ["dynamodb.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"]
    error_message = "Runner instances may use the key only through DynamoDB (its table item) and S3 (the runner binaries)."
  }
}

run "key_given_is_used_without_creating_one" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_log_group.webhook_logs,
      aws_dynamodb_table.runners_table,
      aws_iam_role_policy.encryption_grant_webhook,
      aws_kms_key.encryption_key,
      aws_lambda_function.webhook_function,
      aws_sqs_queue.job_queue,
      aws_ssm_parameter.github_app_webhook_secret,
    ]
  }

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = length(aws_kms_key.encryption_key) == 0 && output.kms_key_arn == var.kms_key_arn
    error_message = "A given key is used and reported, and none is created."
  }
  assert {
    condition = alltrue(concat(
      [for q in values(aws_sqs_queue.job_queue) : q.kms_master_key_id == var.kms_key_arn],
      [aws_dynamodb_table.runners_table.server_side_encryption[0].kms_key_arn == var.kms_key_arn],
      [aws_lambda_function.webhook_function.kms_key_arn == var.kms_key_arn],
      [aws_cloudwatch_log_group.webhook_logs.kms_key_id == var.kms_key_arn],
      [aws_ssm_parameter.github_app_webhook_secret[0].key_id == var.kms_key_arn],
    ))
    error_message = "Queues, table, functions, log groups and parameters use the given key."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.encryption_grant_webhook[0].policy).Statement[0].Resource == var.kms_key_arn
    error_message = "Grants name the given key."
  }
}

run "given_key_wins_over_create_kms_key" {
  command = plan
  plan_options {
    target = [aws_kms_key.encryption_key]
  }

  variables {
    create_kms_key = true
    kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = length(aws_kms_key.encryption_key) == 0 && output.kms_key_arn == var.kms_key_arn
    error_message = "A named key is used instead of creating one."
  }
}

run "fails_when_kms_key_arn_is_an_alias" {
  command = plan
  plan_options {
    mode = refresh-only
  }

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:alias/runners"
  }

  expect_failures = [var.kms_key_arn]
}

run "rotation_parameter_present" {
  command = plan

  assert {
    condition = (
      aws_ssm_parameter.github_app_webhook_secret_previous[0].name == "/self-runners/github-app/webhook-secret-previous" &&
      aws_ssm_parameter.github_app_webhook_secret_previous[0].type == "SecureString" &&
      aws_ssm_parameter.github_app_webhook_secret_previous[0].value == "replace-me"
    )
    error_message = "A placeholder previous-secret SecureString is created, which accepts nothing."
  }
  assert {
    condition     = aws_lambda_function.webhook_function.environment[0].variables.WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME == output.webhook_previous_secret_ssm_parameter_name
    error_message = "The webhook is told the previous-secret parameter, which is also an output."
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.webhook_policy_read_webhook_secret.policy).Statement[0].Resource == [
      "arn:aws:ssm:eu-west-1:123456789012:parameter/self-runners/github-app/webhook-secret",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/self-runners/github-app/webhook-secret-previous",
    ]
    error_message = "The webhook may read exactly the current and the previous secret."
  }
}

run "rotation_parameter_given_by_name" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function, aws_ssm_parameter.github_app_webhook_secret_previous]
  }

  variables {
    webhook_previous_secret_ssm_parameter_name = "/ci/webhook-secret-old"
  }

  assert {
    condition     = length(aws_ssm_parameter.github_app_webhook_secret_previous) == 0 && aws_lambda_function.webhook_function.environment[0].variables.WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME == "/ci/webhook-secret-old"
    error_message = "A named previous-secret parameter is used, not created."
  }
}

run "launch_policy_is_scoped" {
  command = plan
  plan_options {
    target = [aws_iam_role_policy.scale_up_policy_launch_runners, aws_launch_template.runner_launch_template, aws_security_group.runner_security_group]
  }
  # The security group's id is unknown at plan even under mocks; overriding it at plan lets the
  # policies that name it be checked without an apply (three times the CPU of a plan).
  override_resource {
    override_during = plan
    target          = aws_security_group.runner_security_group
    values          = { id = "sg-0a11ce5000000000a" }
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement :
      s.Resource != "*" if contains(s.Action, "ec2:RunInstances") || contains(s.Action, "ec2:CreateTags") || contains(s.Action, "iam:PassRole")
    ])
    error_message = "Launching, tagging and passing the role are never allowed on every resource."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Resource if s.Sid == "LaunchIntoRunnerNetwork"
      ] == [[
        "arn:aws:ec2:eu-west-1:123456789012:security-group/${aws_security_group.runner_security_group.id}",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0123456789abcdef0",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0123456789abcdef1",
    ]]
    error_message = "Runners are launched only into the pools' subnets with the runner security group."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Resource if s.Sid == "LaunchFromOwnTemplates"
    ] == [[aws_launch_template.runner_launch_template["linux"].arn]]
    error_message = "Runners are launched only from this deployment's launch templates."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Condition.StringEquals["aws:RequestTag/self-runners:prefix"] if s.Sid == "LaunchTaggedRunners"
    ] == ["self-runners"]
    error_message = "Instances, volumes and interfaces must be requested with the kit's tag."
  }
  assert {
    condition = [
      # One role (no pool has its own here), passed to EC2 only. Under an apply with mocks the ARN in the
      # policy is the mock's generated one; which roles are named is asserted at plan in pool-role.tftest.hcl.
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : [length(s.Resource), s.Condition.StringEquals["iam:PassedToService"]] if s.Sid == "PassRunnerRole"
    ] == [[1, ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]]]
    error_message = "Only the runner role may be passed, and only to EC2."
  }
}
