# A runner role per pool (extra_iam_policy_arns, issue 12 item 4): the pool's own role and instance
# profile with its managed policies and every inline policy of the shared runner role, its launch template
# on its profile, the other pools on the shared one, scale-up allowed to pass both, the reconciler counting
# both profiles as the kit's, the key and the runners table open to the pool role; and invalid lists refused.
mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

# Distinct ARNs for the pool role and profile (the mocks give every role the same one), and the values the
# launch policy reads, known at plan.
override_resource {
  target          = aws_iam_role.runner_pool_role
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:role/sr-runner-pool-gpu" }
}
override_resource {
  target          = aws_iam_instance_profile.runner_pool_instance_profile
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:instance-profile/sr-runner-pool-gpu" }
}
override_resource {
  target          = aws_iam_instance_profile.runner_instance_profile
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:instance-profile/sr-runner" }
}
override_resource {
  target          = aws_launch_template.runner_launch_template
  override_during = plan
  values          = { arn = "arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0123456789abcdef0" }
}
override_resource {
  target          = aws_security_group.runner_security_group
  override_during = plan
  values          = { id = "sg-0123456789abcdef0" }
}

variables {
  prefix            = "sr"
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0"]
  pools = {
    gpu = {
      labels                = ["gpu"]
      instance_types        = ["g5.xlarge"]
      extra_iam_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::123456789012:policy/ci-artifacts"]
    }
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large"]
    }
  }
}

run "a_pool_with_extra_policies_gets_its_own_role_and_profile" {
  command = plan
  plan_options {
    target = [
      aws_dynamodb_resource_policy.runners_resource_policy,
      aws_iam_instance_profile.runner_pool_instance_profile,
      aws_iam_role.runner_pool_role,
      aws_iam_role.runner_role,
      aws_iam_role_policy.encryption_grant_runner,
      aws_iam_role_policy.encryption_jit_open,
      aws_iam_role_policy.github_app_deny_read,
      aws_iam_role_policy.reconcile_policy_terminate_runners,
      aws_iam_role_policy.runner_binaries_runner_read,
      aws_iam_role_policy.runner_logs_write,
      aws_iam_role_policy.runner_pool_shared_deny_github_app_secrets,
      aws_iam_role_policy.runner_pool_shared_open_own_runner_config,
      aws_iam_role_policy.runner_pool_shared_runner_binaries,
      aws_iam_role_policy.runner_pool_shared_runner_logs,
      aws_iam_role_policy.runner_pool_shared_runner_own_item,
      aws_iam_role_policy.runner_pool_shared_ssm_sessions,
      aws_iam_role_policy.runner_pool_shared_use_kms_key,
      aws_iam_role_policy.runner_ssm_sessions,
      aws_iam_role_policy.runners_runner_own_item,
      aws_iam_role_policy.scale_up_policy_launch_runners,
      aws_iam_role_policy_attachment.runner_pool_extra_policy,
      aws_kms_key.encryption_key,
      aws_lambda_function.reconcile_function,
      aws_launch_template.runner_launch_template,
    ]
  }
  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/ci-boundary"
    iam_role_path            = "/ci/"
    enable_ssm_sessions      = true
  }

  assert {
    condition     = keys(aws_iam_role.runner_pool_role) == ["gpu"] && aws_iam_role.runner_pool_role["gpu"].name == "sr-runner-pool-gpu" && aws_iam_instance_profile.runner_pool_instance_profile["gpu"].name == "sr-runner-pool-gpu"
    error_message = "Only the pool with extra_iam_policy_arns gets a role and an instance profile, named <prefix>-runner-pool-<pool>."
  }
  assert {
    condition = toset([for a in aws_iam_role_policy_attachment.runner_pool_extra_policy : "${a.role} ${a.policy_arn}"]) == toset([
      "sr-runner-pool-gpu arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
      "sr-runner-pool-gpu arn:aws:iam::123456789012:policy/ci-artifacts",
    ])
    error_message = "The pool's managed policies are attached to its role, and to no other."
  }
  assert {
    condition     = aws_iam_role.runner_pool_role["gpu"].permissions_boundary == "arn:aws:iam::123456789012:policy/ci-boundary" && aws_iam_role.runner_pool_role["gpu"].path == "/ci/" && aws_iam_instance_profile.runner_pool_instance_profile["gpu"].path == "/ci/"
    error_message = "The pool role has the permissions boundary and the path, its profile the path."
  }
  assert {
    condition = alltrue([
      for pair in [
        [aws_iam_role_policy.runner_pool_shared_runner_own_item["gpu"], aws_iam_role_policy.runners_runner_own_item],
        [aws_iam_role_policy.runner_pool_shared_deny_github_app_secrets["gpu"], aws_iam_role_policy.github_app_deny_read],
        [aws_iam_role_policy.runner_pool_shared_runner_binaries["gpu"], aws_iam_role_policy.runner_binaries_runner_read],
        [aws_iam_role_policy.runner_pool_shared_runner_logs["gpu"], aws_iam_role_policy.runner_logs_write[0]],
        [aws_iam_role_policy.runner_pool_shared_use_kms_key["gpu"], aws_iam_role_policy.encryption_grant_runner[0]],
        [aws_iam_role_policy.runner_pool_shared_open_own_runner_config["gpu"], aws_iam_role_policy.encryption_jit_open[0]],
        [aws_iam_role_policy.runner_pool_shared_ssm_sessions["gpu"], aws_iam_role_policy.runner_ssm_sessions[0]],
      ] : pair[0].name == pair[1].name && pair[0].policy == pair[1].policy
    ])
    error_message = "The pool role has every inline policy of the shared runner role, the same name and document."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["gpu"].iam_instance_profile[0].arn == "arn:aws:iam::123456789012:instance-profile/sr-runner-pool-gpu" && aws_launch_template.runner_launch_template["linux"].iam_instance_profile[0].arn == "arn:aws:iam::123456789012:instance-profile/sr-runner"
    error_message = "The pool's launch template uses its own profile; the other pools keep the shared one."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Resource if s.Sid == "PassRunnerRole"]) == [aws_iam_role.runner_role.arn, "arn:aws:iam::123456789012:role/sr-runner-pool-gpu"]
    error_message = "Scale-up may pass the shared runner role and the pool's role."
  }
  assert {
    condition = alltrue([
      for s in concat(jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement, jsondecode(aws_iam_role_policy.reconcile_policy_terminate_runners.policy).Statement) :
      s.Condition.ArnEquals["ec2:InstanceProfile"] == ["arn:aws:iam::123456789012:instance-profile/sr-runner", "arn:aws:iam::123456789012:instance-profile/sr-runner-pool-gpu"] if can(s.Condition.ArnEquals["ec2:InstanceProfile"])
    ])
    error_message = "Launching, naming and terminating runners accept both runner profiles."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.reconcile_function.environment[0].variables.RUNNER_INSTANCE_PROFILE_ARNS) == ["arn:aws:iam::123456789012:instance-profile/sr-runner", "arn:aws:iam::123456789012:instance-profile/sr-runner-pool-gpu"]
    error_message = "The reconciler counts instances with either profile as the kit's runners."
  }
  assert {
    condition     = contains(one([for s in jsondecode(aws_kms_key.encryption_key[0].policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "KitRolesAndAdministratorsUseKey"]), "arn:aws:iam::123456789012:role/ci/sr-runner-pool-gpu")
    error_message = "The key policy lets the pool role use the key (path included)."
  }
  assert {
    condition     = contains(jsondecode(aws_dynamodb_resource_policy.runners_resource_policy.policy).Statement[0].Condition.ArnNotEquals["aws:PrincipalArn"], "arn:aws:iam::123456789012:role/ci/sr-runner-pool-gpu")
    error_message = "The runners table does not deny the pool role its own item."
  }
  assert {
    condition     = output.runner_pool_role_arns == { gpu = "arn:aws:iam::123456789012:role/sr-runner-pool-gpu" }
    error_message = "runner_pool_role_arns names the pool role."
  }
}

run "pools_without_extra_policies_share_the_runner_role" {
  command = plan
  plan_options {
    target = [
      aws_iam_instance_profile.runner_pool_instance_profile,
      aws_iam_role.runner_pool_role,
      aws_iam_role_policy.runner_pool_shared_runner_own_item,
      aws_lambda_function.reconcile_function,
    ]
  }
  variables {
    pools = {
      linux = {
        labels         = ["linux"]
        instance_types = ["m7i.large"]
      }
    }
  }

  assert {
    condition     = length(aws_iam_role.runner_pool_role) == 0 && length(aws_iam_instance_profile.runner_pool_instance_profile) == 0 && length(aws_iam_role_policy.runner_pool_shared_runner_own_item) == 0
    error_message = "No pool role without extra_iam_policy_arns."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.reconcile_function.environment[0].variables.RUNNER_INSTANCE_PROFILE_ARNS) == ["arn:aws:iam::123456789012:instance-profile/sr-runner"]
    error_message = "The reconciler knows the shared profile only."
  }
}

run "fails_when_a_pool_names_eleven_policies" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      gpu = {
        labels                = ["gpu"]
        instance_types        = ["g5.xlarge"]
        extra_iam_policy_arns = ["arn:aws:iam::123456789012:policy/p0", "arn:aws:iam::123456789012:policy/p1", "arn:aws:iam::123456789012:policy/p2", "arn:aws:iam::123456789012:policy/p3", "arn:aws:iam::123456789012:policy/p4", "arn:aws:iam::123456789012:policy/p5", "arn:aws:iam::123456789012:policy/p6", "arn:aws:iam::123456789012:policy/p7", "arn:aws:iam::123456789012:policy/p8", "arn:aws:iam::123456789012:policy/p9", "arn:aws:iam::123456789012:policy/p10"]
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_an_extra_policy_is_a_role_arn" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      gpu = {
        labels                = ["gpu"]
        instance_types        = ["g5.xlarge"]
        extra_iam_policy_arns = ["arn:aws:iam::123456789012:role/admin"]
      }
    }
  }
  expect_failures = [var.pools]
}
