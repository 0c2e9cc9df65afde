# The module with only the required inputs: one pool, repository runners, Lambdas outside any VPC.
mock_provider "aws" {
  override_during = plan
  source = "./tests/mocks"
}

# Distinct ARNs for the dead-letter queues, so the redrive assertion can tell them from the job queues.
override_resource {
  override_during = plan
  target = aws_sqs_queue.job_dlq
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:mock-dlq.fifo" }
}

variables {
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  pools = {
    linux = {
      labels         = ["linux", "x64"]
      instance_types = ["m7i.large", "m6i.large"]
    }
  }
}

run "defaults" {
  command = plan

  assert {
    condition     = output.webhook_url == "https://abc123.execute-api.eu-west-1.amazonaws.com/github/webhook"
    error_message = "webhook_url must be the stage URL plus /webhook."
  }
  assert {
    condition     = keys(aws_sqs_queue.job_queue) == ["linux"] && keys(aws_sqs_queue.job_dlq) == ["linux"]
    error_message = "One job queue and one dead-letter queue per pool."
  }
  assert {
    condition     = aws_sqs_queue.job_queue["linux"].fifo_queue && aws_sqs_queue.job_queue["linux"].name == "self-runners-linux.fifo"
    error_message = "Job queues are FIFO and named <prefix>-<pool>.fifo."
  }
  assert {
    condition     = aws_sqs_queue.job_queue["linux"].kms_master_key_id == aws_kms_key.encryption_key[0].arn && aws_sqs_queue.job_dlq["linux"].kms_master_key_id == aws_kms_key.encryption_key[0].arn
    error_message = "Queues are encrypted at rest with the module's key (created by default)."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue.job_queue["linux"].redrive_policy).deadLetterTargetArn == aws_sqs_queue.job_dlq["linux"].arn
    error_message = "Each queue redrives into its own dead-letter queue."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["linux"].metadata_options[0].http_tokens == "required"
    error_message = "IMDSv2 must be required."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["linux"].block_device_mappings[0].ebs[0].encrypted == "true"
    error_message = "Root volumes must be encrypted."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["linux"].network_interfaces[0].associate_public_ip_address == "false"
    error_message = "No public IP unless asked."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["linux"].instance_initiated_shutdown_behavior == "terminate"
    error_message = "A runner that shuts down must terminate."
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["linux"].image_id == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    error_message = "x64 pools default to the latest Amazon Linux 2023 x86_64 AMI."
  }
  assert {
    condition     = alltrue([for f in [aws_lambda_function.webhook_function, aws_lambda_function.scale_up_function, aws_lambda_function.reconcile_function] : f.runtime == "nodejs22.x"])
    error_message = "Every function runs on nodejs22.x."
  }
  assert {
    condition     = length(aws_iam_role_policy.webhook_vpc_access) == 0 && length(aws_iam_role_policy.scale_up_vpc_access) == 0
    error_message = "No ENI permissions when the Lambdas are not in a VPC."
  }
  assert {
    condition     = length(aws_ssm_parameter.github_app_private_key) == 1 && aws_ssm_parameter.github_app_private_key[0].type == "SecureString"
    error_message = "The private key parameter is created as a SecureString when none is given."
  }
  assert {
    condition     = output.github_app_private_key_ssm_parameter_name == "/self-runners/github-app/private-key"
    error_message = "The created private key parameter's name is an output."
  }
  assert {
    condition     = aws_lambda_function.webhook_function.environment[0].variables.WEBHOOK_SECRET_SSM_PARAMETER_NAME == "/self-runners/github-app/webhook-secret"
    error_message = "The webhook function gets the secret's parameter name, never the secret."
  }
  assert {
    condition     = alltrue([for f in [aws_lambda_function.webhook_function, aws_lambda_function.scale_up_function, aws_lambda_function.reconcile_function] : !strcontains(jsonencode(f.environment), "replace-me")])
    error_message = "No secret value in any environment."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).linux.maxRunners == 10
    error_message = "max_runners defaults to 10."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).linux.spot == true
    error_message = "Pools default to spot."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).linux.launchTemplateName == "self-runners-linux"
    error_message = "scale-up is told each pool's launch template."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.webhook_function.environment[0].variables.POOLS).linux.queueUrl == aws_sqs_queue.job_queue["linux"].url
    error_message = "The webhook routes each pool to its queue."
  }
  assert {
    condition     = aws_lambda_function.scale_up_function.environment[0].variables.RUNNER_SCOPE == "repo"
    error_message = "Runners register per repository by default."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.scale_up_trigger["linux"].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "scale-up reports partial batch failures."
  }
  assert {
    condition     = aws_api_gateway_rest_api.webhook_api_rest_api.endpoint_configuration[0].types == tolist(["REGIONAL"])
    error_message = "The webhook API is a regional REST API (WAF-ready)."
  }
  assert {
    condition     = aws_api_gateway_method_settings.webhook_api_throttling.settings[0].throttling_rate_limit == 300
    error_message = "The stage is throttled."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.reconcile_schedule_rule.schedule_expression == "rate(5 minutes)"
    error_message = "The reconciler runs every five minutes by default."
  }
  assert {
    condition     = aws_lambda_function.reconcile_function.reserved_concurrent_executions == 1
    error_message = "Reconcile runs never overlap."
  }
  assert {
    condition     = aws_dynamodb_table.runners_table.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.runners_table.ttl[0].enabled
    error_message = "The runners table is on-demand with TTL."
  }
  assert {
    condition     = strcontains(aws_iam_role_policy.runners_runner_own_item.policy, "$${ec2:SourceInstanceARN}")
    error_message = "Runners may read only their own configuration item."
  }
  assert {
    condition     = length(aws_api_gateway_account.webhook_api_account) == 0
    error_message = "The account-wide API Gateway setting is left alone by default."
  }
}
