# The runs of control-plane.tftest.hcl that must apply: the second run checks that a later apply leaves the draining switch as the first one created it (ignore_changes).
# Mock values come at apply here (no override_during = plan): a file that applies with values mocked
# at plan gets "Provider produced inconsistent final plan".
# Control plane (docs/reliability.md): job ledger, draining switch, limits, additional Apps, spot
# interruptions, warm pools, and the values that reach the handlers.
mock_provider "aws" {
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

run "control_plane_defaults" {
  # apply: the second run checks that a later apply leaves the draining switch as the first one created it (ignore_changes).
  command = apply
  assert {
    condition     = aws_dynamodb_table.jobs_table.name == "self-runners-jobs" && aws_dynamodb_table.jobs_table.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.jobs_table.ttl[0].attribute_name == "expiration"
    error_message = "The job ledger is an on-demand table with TTL on expiration."
  }
  assert {
    condition     = aws_ssm_parameter.draining_parameter.name == "/self-runners/draining" && aws_ssm_parameter.draining_parameter.value == "false"
    error_message = "The draining switch exists and is off."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.spot_interruption_rule_rule.event_pattern)["detail-type"] == ["EC2 Spot Instance Interruption Warning"]
    error_message = "Spot interruption warnings reach the handler."
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.environment[0].variables.MAX_RUNNERS_TOTAL == "1000" && aws_lambda_function.scale_up_function.environment[0].variables.JOB_MAX_AGE_SECONDS == "21600" && aws_lambda_function.scale_up_function.environment[0].variables.ADDITIONAL_GITHUB_APPS == "[]"
    error_message = "Scale-up gets the default limits, maximum age and no additional Apps."
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.environment[0].variables.RUNNER_BOOT_TIMEOUT_SECONDS == "600" && aws_lambda_function.reconcile_function.environment[0].variables.RUNNER_BOOT_TIMEOUT_SECONDS == "600"
    error_message = "Scale-up (which kept instances it may reuse) and the reconciler (orphans) get the same default boot timeout."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.reconcile_function.environment[0].variables.POOLS).linux.warmSize == 0
    error_message = "No warm pool unless asked for."
  }
  assert {
    condition     = aws_lambda_function.reconcile_function.environment[0].variables.HEALER_MAX_GITHUB_CALLS == "30"
    error_message = "The webhook healer is on by default with 30 GitHub calls a round."
  }
  assert {
    condition     = output.jobs_table_name == "self-runners-jobs" && output.draining_ssm_parameter_name == "/self-runners/draining"
    error_message = "The ledger and the switch are outputs."
  }
}

run "draining_limits_apps_and_warm_pool" {
  # apply: the second run checks that a later apply leaves the draining switch as the first one created it (ignore_changes).
  command = apply
  plan_options {
    target = [
      aws_iam_role_policy.scale_up_policy_read_github_app_key,
      aws_lambda_function.reconcile_function,
      aws_lambda_function.scale_up_function,
      aws_ssm_parameter.draining_parameter,
    ]
  }
  variables {
    draining                      = true
    max_runners_total             = 200
    max_runners_per_owner         = 50
    job_max_age_seconds           = 3600
    github_min_remaining_requests = 500
    github_writes_per_minute      = 120
    github_write_burst            = 5
    busy_confirm_seconds          = 120
    runner_boot_timeout_seconds   = 900
    rerun_interrupted_jobs        = false
    additional_github_apps        = [{ app_id = "222222", private_key_ssm_parameter_name = "/gh/app2/key" }]
    pools = {
      linux = {
        labels             = ["linux"]
        instance_types     = ["m7i.large"]
        warm_pool_size     = 2
        warm_pool_owner    = "octo-org"
        warm_pool_schedule = "Mon-Fri 07:00-19:00"
      }
    }
  }
  assert {
    condition     = aws_ssm_parameter.draining_parameter.value == "false"
    error_message = "draining is only the initial value: once the switch exists, applies leave it to operators."
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.environment[0].variables.MAX_RUNNERS_TOTAL == "200" && aws_lambda_function.scale_up_function.environment[0].variables.MAX_RUNNERS_PER_OWNER == "50" && aws_lambda_function.scale_up_function.environment[0].variables.GITHUB_MIN_REMAINING_REQUESTS == "500"
    error_message = "Limits and budget reserve reach scale-up."
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.environment[0].variables.GITHUB_WRITES_PER_MINUTE == "120" && aws_lambda_function.scale_up_function.environment[0].variables.GITHUB_WRITE_BURST == "5"
    error_message = "The GitHub write governor's rate and burst reach scale-up."
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.environment[0].variables.RUNNER_BOOT_TIMEOUT_SECONDS == "900" && aws_lambda_function.reconcile_function.environment[0].variables.RUNNER_BOOT_TIMEOUT_SECONDS == "900"
    error_message = "runner_boot_timeout_seconds reaches scale-up and the reconciler alike."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.ADDITIONAL_GITHUB_APPS)[0].appId == 222222
    error_message = "Additional Apps reach scale-up by parameter name."
  }
  assert {
    condition     = strcontains(aws_iam_role_policy.scale_up_policy_read_github_app_key.policy, "parameter/gh/app2/key")
    error_message = "Scale-up may read the additional App's key."
  }
  assert {
    condition     = aws_lambda_function.reconcile_function.environment[0].variables.BUSY_CONFIRM_SECONDS == "120" && aws_lambda_function.reconcile_function.environment[0].variables.RERUN_INTERRUPTED_JOBS == "false"
    error_message = "The reconciler gets its confirmation window and the re-run switch."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.reconcile_function.environment[0].variables.POOLS).linux.warmSize == 2 && jsondecode(aws_lambda_function.reconcile_function.environment[0].variables.POOLS).linux.warmSchedule == "Mon-Fri 07:00-19:00"
    error_message = "The warm pool reaches the reconciler."
  }
}
