# Option combinations: VPC Lambdas, spot off, org runners, several pools, existing parameters.
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

run "vpc_lambdas" {
  command = plan
  plan_options {
    target = [
      aws_iam_role_policy.reconcile_vpc_access,
      aws_iam_role_policy.scale_up_vpc_access,
      aws_iam_role_policy.webhook_vpc_access,
      aws_lambda_function.reconcile_function,
      aws_lambda_function.scale_up_function,
      aws_lambda_function.webhook_function,
    ]
  }
  variables {
    lambda_subnet_ids         = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
    lambda_security_group_ids = ["sg-0123456789abcdef0"]
  }
  assert {
    condition     = alltrue([for f in [aws_lambda_function.webhook_function, aws_lambda_function.scale_up_function, aws_lambda_function.reconcile_function] : f.vpc_config[0].subnet_ids == toset(["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"])])
    error_message = "Every function is placed in the given subnets."
  }
  assert {
    condition     = length(aws_iam_role_policy.webhook_vpc_access) == 1 && length(aws_iam_role_policy.scale_up_vpc_access) == 1 && length(aws_iam_role_policy.reconcile_vpc_access) == 1
    error_message = "ENI permissions exist only when the functions are in a VPC."
  }
}

run "spot_off_with_arm64" {
  command = plan
  plan_options {
    target = [aws_lambda_function.scale_up_function, aws_launch_template.runner_launch_template]
  }
  variables {
    pools = {
      arm = {
        labels           = ["linux", "arm64"]
        instance_types   = ["c7g.large"]
        architecture     = "arm64"
        spot             = false
        root_volume_size = 100
        max_runners      = 3
      }
    }
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).arm.spot == false
    error_message = "spot = false reaches scale-up."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).arm.maxRunners == 3
    error_message = "max_runners reaches scale-up."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["arm"].image_id == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    error_message = "arm64 pools get the arm64 AMI."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["arm"].block_device_mappings[0].ebs[0].volume_size == 100
    error_message = "root_volume_size is applied."
  }
}

run "org_scope" {
  command = plan
  plan_options {
    target = [aws_lambda_function.reconcile_function, aws_lambda_function.scale_up_function, aws_sqs_queue.job_queue]
  }
  variables {
    runner_scope = "org"
    prefix       = "ci"
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.environment[0].variables.RUNNER_SCOPE == "org" && aws_lambda_function.reconcile_function.environment[0].variables.RUNNER_SCOPE == "org"
    error_message = "org scope reaches scale-up and reconcile."
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.function_name == "ci-scale-up" && aws_sqs_queue.job_queue["linux"].name == "ci-linux.fifo"
    error_message = "prefix names every resource."
  }
}

run "several_pools" {
  command = plan
  plan_options {
    target = [
      aws_lambda_event_source_mapping.scale_up_trigger,
      aws_lambda_function.scale_up_function,
      aws_launch_template.runner_launch_template,
      aws_sqs_queue.job_queue,
    ]
  }
  variables {
    pools = {
      small = {
        labels         = ["linux", "small"]
        instance_types = ["m7i.large"]
      }
      large = {
        labels         = ["linux", "large"]
        instance_types = ["m7i.4xlarge"]
        subnet_ids     = ["subnet-0cccccccccccccccc"]
      }
    }
  }
  assert {
    condition     = length(aws_sqs_queue.job_queue) == 2 && length(aws_launch_template.runner_launch_template) == 2 && length(aws_lambda_event_source_mapping.scale_up_trigger) == 2
    error_message = "Each pool gets a queue, a launch template and a trigger."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).large.subnetIds == ["subnet-0cccccccccccccccc"]
    error_message = "A pool's own subnets win over runner_subnet_ids."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).small.subnetIds == ["subnet-0123456789abcdef0"]
    error_message = "Pools without subnets use runner_subnet_ids."
  }
  assert {
    condition     = keys(output.queue_arns) == ["large", "small"]
    error_message = "queue_arns has one entry per pool."
  }
}

run "existing_parameters" {
  command = plan
  plan_options {
    target = [
      aws_iam_role_policy.webhook_policy_read_webhook_secret,
      aws_lambda_function.scale_up_function,
      aws_ssm_parameter.github_app_private_key,
      aws_ssm_parameter.github_app_webhook_secret,
    ]
  }
  variables {
    github_app_private_key_ssm_parameter_name = "/platform/github/key"
    webhook_secret_ssm_parameter_name         = "/platform/github/webhook"
  }
  assert {
    condition     = length(aws_ssm_parameter.github_app_private_key) == 0 && length(aws_ssm_parameter.github_app_webhook_secret) == 0
    error_message = "No parameter is created when existing ones are named."
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.environment[0].variables.GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME == "/platform/github/key"
    error_message = "scale-up reads the named key parameter."
  }
  assert {
    condition     = strcontains(aws_iam_role_policy.webhook_policy_read_webhook_secret.policy, "parameter/platform/github/webhook")
    error_message = "The webhook may read exactly the named secret parameter."
  }
}

run "api_gateway_account_managed" {
  command = plan
  plan_options {
    target = [aws_api_gateway_account.webhook_api_account, aws_iam_role.webhook_api_account_role, aws_iam_role_policy.runner_ssm_sessions]
  }
  variables {
    manage_api_gateway_account = true
    enable_ssm_sessions        = true
  }
  assert {
    condition     = length(aws_api_gateway_account.webhook_api_account) == 1 && length(aws_iam_role.webhook_api_account_role) == 1
    error_message = "manage_api_gateway_account creates the account setting and its role."
  }
  assert {
    condition     = length(aws_iam_role_policy.runner_ssm_sessions) == 1 && !strcontains(aws_iam_role_policy.runner_ssm_sessions[0].policy, "GetParameter")
    error_message = "enable_ssm_sessions gives runners Session Manager access only (no parameter reads)."
  }
}
