# Enterprise runners (runner_scope = "enterprise"): the slug and the enterprise token reach the
# runner-managing functions, only they may read the token, and the plan refuses a half set-up.
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
      labels          = ["linux"]
      instance_types  = ["m7i.large"]
      runner_group_id = 4
    }
  }
}

run "enterprise_scope" {
  command = plan
  plan_options {
    target = [
      aws_iam_role_policy.reconcile_policy_read_enterprise_token,
      aws_iam_role_policy.runner_binaries_syncer_policy_read_github_app_key,
      aws_iam_role_policy.scale_up_policy_read_enterprise_token,
      aws_iam_role_policy.spot_interruption_policy_read_enterprise_token,
      aws_iam_role_policy.webhook_policy_read_webhook_secret,
      aws_lambda_function.reconcile_function,
      aws_lambda_function.scale_up_function,
      aws_lambda_function.spot_interruption_function,
    ]
  }
  variables {
    runner_scope                        = "enterprise"
    enterprise_slug                     = "octo-enterprise"
    enterprise_token_ssm_parameter_name = "/ci/enterprise-runners-token"
  }
  assert {
    condition = alltrue([for f in [aws_lambda_function.scale_up_function, aws_lambda_function.reconcile_function, aws_lambda_function.spot_interruption_function] :
      f.environment[0].variables.RUNNER_SCOPE == "enterprise" && f.environment[0].variables.ENTERPRISE_SLUG == "octo-enterprise" && f.environment[0].variables.ENTERPRISE_TOKEN_SSM_PARAMETER_NAME == "/ci/enterprise-runners-token"
    ])
    error_message = "The scope, slug and token parameter reach scale-up, reconcile and spot-interruption."
  }
  assert {
    condition = alltrue([for p in [aws_iam_role_policy.scale_up_policy_read_enterprise_token, aws_iam_role_policy.reconcile_policy_read_enterprise_token, aws_iam_role_policy.spot_interruption_policy_read_enterprise_token] :
      length(p) == 1 && strcontains(p[0].policy, "parameter/ci/enterprise-runners-token")
    ])
    error_message = "The three runner-managing functions may read the enterprise token."
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.webhook_policy_read_webhook_secret.policy, "enterprise") && !strcontains(aws_iam_role_policy.runner_binaries_syncer_policy_read_github_app_key.policy, "enterprise")
    error_message = "The webhook and the syncer never read the enterprise token."
  }
}

run "org_scope_reads_no_enterprise_token" {
  command = plan
  plan_options {
    target = [aws_iam_role_policy.reconcile_policy_read_enterprise_token, aws_iam_role_policy.scale_up_policy_read_enterprise_token, aws_iam_role_policy.spot_interruption_policy_read_enterprise_token]
  }
  variables {
    runner_scope = "org"
  }
  assert {
    condition     = length(aws_iam_role_policy.scale_up_policy_read_enterprise_token) == 0 && length(aws_iam_role_policy.reconcile_policy_read_enterprise_token) == 0 && length(aws_iam_role_policy.spot_interruption_policy_read_enterprise_token) == 0
    error_message = "Without enterprise scope no function may read an enterprise token."
  }
}

run "fails_when_enterprise_scope_has_no_slug" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function]
  }
  variables {
    runner_scope                        = "enterprise"
    enterprise_token_ssm_parameter_name = "/ci/enterprise-runners-token"
  }
  expect_failures = [aws_lambda_function.webhook_function]
}

run "fails_when_enterprise_scope_has_no_token" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function]
  }
  variables {
    runner_scope    = "enterprise"
    enterprise_slug = "octo-enterprise"
  }
  expect_failures = [aws_lambda_function.webhook_function]
}

run "fails_when_a_slug_is_set_outside_enterprise_scope" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function]
  }
  variables {
    runner_scope    = "org"
    enterprise_slug = "octo-enterprise"
  }
  expect_failures = [aws_lambda_function.webhook_function]
}

run "fails_when_the_slug_is_malformed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_scope                        = "enterprise"
    enterprise_slug                     = "octo enterprise/"
    enterprise_token_ssm_parameter_name = "/ci/enterprise-runners-token"
  }
  expect_failures = [var.enterprise_slug]
}

run "fails_when_the_token_parameter_is_not_a_name" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_scope                        = "enterprise"
    enterprise_slug                     = "octo-enterprise"
    enterprise_token_ssm_parameter_name = "enterprise-token"
  }
  expect_failures = [var.enterprise_token_ssm_parameter_name]
}
