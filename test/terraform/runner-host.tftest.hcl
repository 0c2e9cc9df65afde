# Runner host: user tags on instances, runner logs on/off, tracing on/off, a bad value refused.
mock_provider "aws" {
  override_during = plan
  source = "./tests/mocks"
}


variables {
  prefix            = "sr"
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0"]
  tags              = { CostCenter = "cc-42", team = "platform" }
  pools = {
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large"]
    }
  }
}

run "user_tags_reach_instances_volumes_and_interfaces" {
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template]
  }
  assert {
    condition = alltrue([for spec in aws_launch_template.runner_launch_template["linux"].tag_specifications : spec.tags == tomap({
      CostCenter = "cc-42", team = "platform", "self-runners:prefix" = "sr", "self-runners:pool" = "linux"
    })])
    error_message = "Every tag specification carries var.tags, self-runners:prefix and self-runners:pool."
  }
  assert {
    condition     = toset([for spec in aws_launch_template.runner_launch_template["linux"].tag_specifications : spec.resource_type]) == toset(["instance", "volume", "network-interface"])
    error_message = "Instances, volumes and network interfaces are tagged at launch."
  }
}

run "runner_logs_on_by_default" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_log_group.runner_logs_group,
      aws_cloudwatch_log_metric_filter.runner_logs_boot_to_registration,
      aws_cloudwatch_log_metric_filter.runner_logs_registration_failures,
      aws_iam_role_policy.runner_logs_write,
      aws_launch_template.runner_launch_template,
    ]
  }
  variables {
    log_retention_days = 90
  }
  assert {
    condition     = aws_cloudwatch_log_group.runner_logs_group[0].name == "/self-runners/sr/runners" && aws_cloudwatch_log_group.runner_logs_group[0].retention_in_days == 90
    error_message = "One runner log group per deployment, with log_retention_days."
  }
  assert {
    condition     = aws_cloudwatch_log_metric_filter.runner_logs_boot_to_registration[0].metric_transformation[0].namespace == "SelfRunners/sr" && aws_cloudwatch_log_metric_filter.runner_logs_boot_to_registration[0].metric_transformation[0].unit == "Seconds"
    error_message = "BootToRegistration is published in the deployment's namespace, in seconds."
  }
  assert {
    condition     = aws_cloudwatch_log_metric_filter.runner_logs_registration_failures[0].metric_transformation[0].dimensions == tomap({ service = "$.service", Pool = "$.pool" })
    error_message = "RegistrationFailures has the service and Pool dimensions from the marks."
  }
  assert {
    condition     = length(aws_iam_role_policy.runner_logs_write) == 1 && strcontains(aws_iam_role_policy.runner_logs_write[0].policy, "log-group:/self-runners/sr/runners:*")
    error_message = "The runner role may write to the runner log group only."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "LOG_GROUP='/self-runners/sr/runners'")
    error_message = "The bootstrap ships to the runner log group."
  }
}

run "runner_logs_with_the_kits_key" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_log_group.runner_logs_group, aws_kms_key.encryption_key]
  }
  variables {
    create_kms_key = true
  }
  assert {
    condition     = aws_cloudwatch_log_group.runner_logs_group[0].kms_key_id == aws_kms_key.encryption_key[0].arn
    error_message = "The runner log group is encrypted with the kit's key."
  }
  assert {
    condition     = strcontains(aws_kms_key.encryption_key[0].policy, "/self-runners/sr/runners")
    error_message = "The key policy lets CloudWatch Logs use the key for the runner log group."
  }
}

run "runner_logs_off" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_log_group.runner_logs_group,
      aws_cloudwatch_log_metric_filter.runner_logs_boot_to_registration,
      aws_iam_role_policy.runner_logs_write,
      aws_launch_template.runner_launch_template,
    ]
  }
  variables {
    enable_runner_logs = false
  }
  assert {
    condition     = length(aws_cloudwatch_log_group.runner_logs_group) == 0 && length(aws_cloudwatch_log_metric_filter.runner_logs_boot_to_registration) == 0 && length(aws_iam_role_policy.runner_logs_write) == 0
    error_message = "No runner log group, metric filter or write permission when runner logs are off."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "LOG_GROUP=''")
    error_message = "The bootstrap starts no agent when runner logs are off."
  }
}

run "tracing_off_by_default" {
  command = plan
  plan_options {
    target = [
      aws_iam_role_policy.reconcile_tracing,
      aws_iam_role_policy.webhook_tracing,
      aws_lambda_function.reconcile_function,
      aws_lambda_function.scale_up_function,
      aws_lambda_function.spot_interruption_function,
      aws_lambda_function.webhook_function,
    ]
  }
  assert {
    condition     = alltrue([for f in [aws_lambda_function.webhook_function, aws_lambda_function.scale_up_function, aws_lambda_function.reconcile_function, aws_lambda_function.spot_interruption_function] : f.tracing_config[0].mode == "PassThrough" && f.environment[0].variables.POWERTOOLS_TRACE_ENABLED == "false"])
    error_message = "Without enable_tracing, no function traces actively and the tracer is off."
  }
  assert {
    condition     = length(aws_iam_role_policy.webhook_tracing) == 0 && length(aws_iam_role_policy.reconcile_tracing) == 0
    error_message = "No X-Ray permissions without enable_tracing."
  }
}

run "tracing_on" {
  command = plan
  plan_options {
    target = [
      aws_iam_role_policy.reconcile_tracing,
      aws_iam_role_policy.scale_up_tracing,
      aws_iam_role_policy.spot_interruption_tracing,
      aws_iam_role_policy.webhook_tracing,
      aws_lambda_function.reconcile_function,
      aws_lambda_function.scale_up_function,
      aws_lambda_function.spot_interruption_function,
      aws_lambda_function.webhook_function,
    ]
  }
  variables {
    enable_tracing = true
  }
  assert {
    condition     = alltrue([for f in [aws_lambda_function.webhook_function, aws_lambda_function.scale_up_function, aws_lambda_function.reconcile_function, aws_lambda_function.spot_interruption_function] : f.tracing_config[0].mode == "Active" && f.environment[0].variables.POWERTOOLS_TRACE_ENABLED == "true"])
    error_message = "enable_tracing turns on active tracing and the tracer in every function."
  }
  assert {
    condition     = alltrue([for p in [aws_iam_role_policy.webhook_tracing, aws_iam_role_policy.scale_up_tracing, aws_iam_role_policy.reconcile_tracing, aws_iam_role_policy.spot_interruption_tracing] : length(p) == 1 && strcontains(p[0].policy, "xray:PutTraceSegments") && strcontains(p[0].policy, "xray:PutTelemetryRecords")])
    error_message = "enable_tracing grants the X-Ray write permissions."
  }
}

run "reconcile_reads_status_checks" {
  command = plan
  plan_options {
    target = [aws_iam_role_policy.reconcile_policy_read_instance_status]
  }
  assert {
    condition     = strcontains(aws_iam_role_policy.reconcile_policy_read_instance_status.policy, "ec2:DescribeInstanceStatus")
    error_message = "The reconciler may read EC2 status checks."
  }
}

run "fails_when_the_runner_log_retention_is_not_a_cloudwatch_value" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    log_retention_days = 4
  }
  expect_failures = [var.log_retention_days]
}
