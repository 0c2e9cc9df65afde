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

run "webhook_healer_budget" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_event_rule.reconcile_schedule_rule, aws_lambda_function.reconcile_function]
  }
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
  plan_options {
    target = [aws_lambda_function.reconcile_function]
  }
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
  plan_options {
    mode = refresh-only
  }
  variables {
    webhook_healer_max_github_calls = -1
  }
  expect_failures = [var.webhook_healer_max_github_calls]
}

run "fails_when_max_runners_total_is_zero" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    max_runners_total = 0
  }
  expect_failures = [var.max_runners_total]
}

run "fails_when_busy_confirm_seconds_is_shorter_than_the_busy_lag" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    busy_confirm_seconds = 30
  }
  expect_failures = [var.busy_confirm_seconds]
}

run "fails_when_an_additional_app_id_is_not_numeric" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    additional_github_apps = [{ app_id = "second-app", private_key_ssm_parameter_name = "/gh/app2/key" }]
  }
  expect_failures = [var.additional_github_apps]
}

run "fails_when_a_warm_pool_has_no_owner" {
  command = plan
  plan_options {
    mode = refresh-only
  }
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
  plan_options {
    mode = refresh-only
  }
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
  plan_options {
    mode = refresh-only
  }
  variables {
    github_writes_per_minute = 200
  }
  expect_failures = [var.github_writes_per_minute]
}

run "fails_when_github_write_burst_is_out_of_range" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    github_write_burst = 0
  }
  expect_failures = [var.github_write_burst]
}
