# Control plane (docs/reliability.md): job ledger, draining switch, limits, additional Apps, spot
# interruptions, warm pools, and the values that reach the handlers.
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

run "control_plane_defaults" {
  # apply: the next run checks that a later apply leaves the draining switch as this one created it.
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
  # apply: draining = true must not change the switch the previous run created (ignore_changes).
  command = apply
  variables {
    draining                      = true
    max_runners_total             = 200
    max_runners_per_owner         = 50
    job_max_age_seconds           = 3600
    github_min_remaining_requests = 500
    github_writes_per_minute      = 120
    github_write_burst            = 5
    busy_confirm_seconds          = 120
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

run "webhook_healer_budget" {
  command = plan
  variables {
    webhook_healer_max_github_calls = 12
  }
  assert {
    condition     = aws_lambda_function.reconcile_function.environment[0].variables.HEALER_MAX_GITHUB_CALLS == "12" && jsondecode(aws_lambda_function.reconcile_function.environment[0].variables.POOLS).linux.labels == ["linux"]
    error_message = "The healer's call budget and the pools' labels (to match recovered jobs) reach the reconciler."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.reconcile_schedule_rule.schedule_expression == "rate(5 minutes)"
    error_message = "The healer runs on the reconciler's schedule: with 12 calls a round, at most 144 GitHub calls an hour (docs/healer.md)."
  }
}

run "webhook_healer_off" {
  command = plan
  variables {
    webhook_healer_max_github_calls = 0
  }
  assert {
    condition     = aws_lambda_function.reconcile_function.environment[0].variables.HEALER_MAX_GITHUB_CALLS == "0"
    error_message = "0 reaches the reconciler and turns the healer off."
  }
}

run "fails_when_webhook_healer_budget_is_negative" {
  command = plan
  variables {
    webhook_healer_max_github_calls = -1
  }
  expect_failures = [var.webhook_healer_max_github_calls]
}

run "fails_when_max_runners_total_is_zero" {
  command = plan
  variables {
    max_runners_total = 0
  }
  expect_failures = [var.max_runners_total]
}

run "fails_when_busy_confirm_seconds_is_shorter_than_the_busy_lag" {
  command = plan
  variables {
    busy_confirm_seconds = 30
  }
  expect_failures = [var.busy_confirm_seconds]
}

run "fails_when_an_additional_app_id_is_not_numeric" {
  command = plan
  variables {
    additional_github_apps = [{ app_id = "second-app", private_key_ssm_parameter_name = "/gh/app2/key" }]
  }
  expect_failures = [var.additional_github_apps]
}

run "fails_when_a_warm_pool_has_no_owner" {
  command = plan
  variables {
    pools = {
      linux = {
        labels         = ["linux"]
        instance_types = ["m7i.large"]
        warm_pool_size = 2
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_a_warm_schedule_is_malformed" {
  command = plan
  variables {
    pools = {
      linux = {
        labels             = ["linux"]
        instance_types     = ["m7i.large"]
        warm_pool_size     = 1
        warm_pool_owner    = "octo-org"
        warm_pool_schedule = "weekdays 9 to 5"
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_github_writes_per_minute_exceeds_what_github_allows" {
  command = plan
  variables {
    github_writes_per_minute = 200
  }
  expect_failures = [var.github_writes_per_minute]
}

run "fails_when_github_write_burst_is_out_of_range" {
  command = plan
  variables {
    github_write_burst = 0
  }
  expect_failures = [var.github_write_burst]
}
