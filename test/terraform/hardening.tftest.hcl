# Plan-time assertions over the hardened defaults of issue 18 (docs/security.md): the kit key created by
# default with a key policy naming only the module's roles and the named administrators, the runner's
# per-instance decrypt of its JIT configuration, DynamoDB resource policies, queue policies, the
# Session-Manager-only policy, IMDSv2 and the launch conditions. Each asserts a planned attribute, so a
# regression of a default fails here.
mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# Computed values the launch policy reads, known at plan.
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
  github_app_id              = "123456"
  prefix                     = "hr"
  vpc_id                     = "vpc-0123456789abcdef0"
  runner_subnet_ids          = ["subnet-0123456789abcdef0"]
  kms_key_administrator_arns = ["arn:aws:iam::123456789012:role/platform-admin"]
  pools = {
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large", "m6i.large"]
    }
  }
}

run "kit_key_and_its_users" {
  command = plan
  plan_options {
    target = [aws_dynamodb_resource_policy.runners_resource_policy, aws_kms_key.encryption_key]
  }
  variables {
    pools = {
      linux = {
        labels         = ["linux"]
        instance_types = ["m7i.large", "m6i.large"]
      }
      gpu = {
        labels                = ["gpu"]
        instance_types        = ["g5.xlarge"]
        extra_iam_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
      }
    }
  }

  assert {
    condition     = length(aws_kms_key.encryption_key) == 1 && aws_kms_key.encryption_key[0].enable_key_rotation
    error_message = "A rotating customer managed key is created by default."
  }
  assert {
    condition = toset(one([for s in jsondecode(aws_kms_key.encryption_key[0].policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "KitRolesAndAdministratorsUseKey"])) == toset(concat(
      [for role in ["runner", "webhook", "scale-up", "reconcile", "spot-interruption", "github-hooks-ipset", "nat-failover", "runner-binaries-syncer", "image-builder", "build-cache", "build-cache-sweep", "runner-pool-gpu"] : "arn:aws:iam::123456789012:role/hr-${role}"],
      ["arn:aws:iam::123456789012:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"],
      ["arn:aws:iam::123456789012:role/platform-admin"],
    ))
    error_message = "Only the module's roles (a pool's own runner role included) and the named administrators may use the key."
  }
  assert {
    condition     = toset(jsondecode(aws_dynamodb_resource_policy.runners_resource_policy.policy).Statement[0].Condition.ArnNotEquals["aws:PrincipalArn"]) == toset([for role in ["scale-up", "reconcile", "spot-interruption", "runner", "build-cache", "runner-pool-gpu"] : "arn:aws:iam::123456789012:role/hr-${role}"])
    error_message = "The runners table lets only the functions that manage it and the runner roles (shared and per pool) touch items."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.encryption_key[0].policy).Statement :
      s.Sid != "AccountAdministersKey" || length(setintersection(toset(s.Action), toset(["kms:Decrypt", "kms:Encrypt", "kms:*", "kms:CreateGrant"]))) == 0
    ])
    error_message = "The account administers the key but cannot use it."
  }
}

run "runner_opens_only_its_own_jit_configuration" {
  command = plan
  plan_options {
    target = [aws_iam_role_policy.encryption_jit_open, aws_iam_role_policy.encryption_jit_seal, aws_lambda_function.scale_up_function]
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.encryption_jit_open[0].policy).Statement[0].Condition.StringEquals["kms:EncryptionContext:instance-arn"] == "$${ec2:SourceInstanceARN}"
    error_message = "The runner role decrypts only under its own instance ARN as encryption context."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.encryption_jit_open[0].policy).Statement[0].Action == ["kms:Decrypt"] && aws_iam_role_policy.encryption_jit_open[0].name == "open-own-runner-config"
    error_message = "The runner's direct KMS use is kms:Decrypt alone."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.encryption_jit_seal[0].policy).Statement[0].Condition.StringLike["kms:EncryptionContext:instance-arn"] == "arn:aws:ec2:eu-west-1:123456789012:instance/*"
    error_message = "Scale-up encrypts only under an instance ARN of its account and region."
  }
  assert {
    condition     = startswith(aws_lambda_function.scale_up_function.environment[0].variables.JIT_KMS_KEY_ARN, "arn:aws:kms:")
    error_message = "Scale-up is given the kit key to seal JIT configurations."
  }
}

run "no_kit_key_stores_jit_configurations_unsealed" {
  command = plan
  plan_options {
    target = [aws_iam_role_policy.encryption_jit_open, aws_iam_role_policy.encryption_jit_seal, aws_lambda_function.scale_up_function]
  }

  variables {
    create_kms_key = false
  }

  assert {
    condition     = length(aws_iam_role_policy.encryption_jit_open) == 0 && length(aws_iam_role_policy.encryption_jit_seal) == 0 && aws_lambda_function.scale_up_function.environment[0].variables.JIT_KMS_KEY_ARN == ""
    error_message = "Without a kit key there is no seal (docs/security.md warns)."
  }
}

run "tables_and_queues_closed_to_other_principals" {
  command = plan
  plan_options {
    target = [
      aws_dynamodb_resource_policy.jobs_resource_policy,
      aws_dynamodb_resource_policy.runners_resource_policy,
      aws_sqs_queue_policy.job_dlq_policy,
      aws_sqs_queue_policy.job_queue_policy,
    ]
  }

  assert {
    condition = alltrue([
      for p in [aws_dynamodb_resource_policy.runners_resource_policy.policy, aws_dynamodb_resource_policy.jobs_resource_policy.policy] :
      jsondecode(p).Statement[0].Effect == "Deny" && jsondecode(p).Statement[0].Principal == "*" && contains(jsondecode(p).Statement[0].Action, "dynamodb:Scan")
    ])
    error_message = "Both tables deny item access to every principal but the module's roles."
  }
  assert {
    condition = alltrue([
      for p in concat(values(aws_sqs_queue_policy.job_queue_policy), values(aws_sqs_queue_policy.job_dlq_policy)) :
      anytrue([for s in jsondecode(p.policy).Statement : s.Effect == "Deny" && s.Principal == "*" && contains(s.Action, "sqs:SendMessage") && contains(s.Action, "sqs:ReceiveMessage")])
    ])
    error_message = "Every job queue and dead-letter queue denies moving messages to all but the kit."
  }
}

run "runner_hosts_hardened" {
  command = plan
  plan_options {
    target = [aws_iam_role_policy.runner_ssm_sessions, aws_iam_role_policy.scale_up_policy_launch_runners, aws_launch_template.runner_launch_template]
  }

  variables {
    enable_ssm_sessions = true
  }

  assert {
    condition     = alltrue([for t in values(aws_launch_template.runner_launch_template) : t.metadata_options[0].http_tokens == "required"])
    error_message = "Runner launch templates require IMDSv2."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.runner_ssm_sessions[0].policy).Statement :
      alltrue([for a in s.Action : startswith(a, "ssmmessages:") || a == "ssm:UpdateInstanceInformation"])
    ])
    error_message = "Session Manager gets only its channel actions, never ssm:GetParameter."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Condition.StringEquals["ec2:MetadataHttpTokens"] if s.Sid == "LaunchRunnerInstances"
    ]) == "required"
    error_message = "Scale-up may launch runners only with IMDSv2 required."
  }
  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Condition.StringLike["ec2:InstanceType"] if s.Sid == "LaunchRunnerInstances"
    ])) == toset(["m7i.large", "m6i.large"])
    error_message = "Scale-up may launch only the pools' instance types."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement :
      !contains(s.Action, "ec2:RunInstances") || contains(["LaunchFromOwnTemplates", "FleetRequests"], s.Sid) || can(s.Condition.ArnLike["ec2:LaunchTemplate"])
    ])
    error_message = "Every launch statement on instances, volumes, images and the network is bound to the kit's launch templates (the templates and the fleet request themselves aside)."
  }
}
