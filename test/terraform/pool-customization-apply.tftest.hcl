# The runs of pool-customization.tftest.hcl that must apply: these runs read policies naming the runner security group's id, unknown at plan even under mocks.
# Mock values come at apply here (no override_during = plan): a file that applies with values mocked
# at plan gets "Provider produced inconsistent final plan".
# Pool customization and right-sizing (issue 12, items 4 and 5): an attribute-based spot pool, a
# customized pool, the permissions boundary and role path on every role, and invalid values refused.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  prefix            = "sr"
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

run "attribute_based_spot_pool" {
  # apply: these runs read policies naming the runner security group's id, unknown at plan even under mocks.
  command = apply
  variables {
    pools = {
      flex = {
        labels = ["linux", "flex"]
        instance_requirements = {
          vcpu_min               = 2
          vcpu_max               = 8
          memory_mib_min         = 4096
          allowed_instance_types = ["m7*.*", "c7*.*"]
        }
      }
    }
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).flex.instanceRequirements.vcpu_min == 2 && jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).flex.instanceTypes == []
    error_message = "Scale-up receives the pool's requirements and an empty type list."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).flex.instanceRequirements.burstable_performance == "excluded" && jsondecode(aws_lambda_function.scale_up_function.environment[0].variables.POOLS).flex.instanceRequirements.instance_generations == ["current"]
    error_message = "Requirements default to current generations without burstable types."
  }
  assert {
    condition     = strcontains(aws_iam_role_policy.scale_up_policy_launch_runners.policy, "\"StringLike\":{\"ec2:InstanceType\":[\"m7*.*\",\"c7*.*\"]}")
    error_message = "Scale-up may launch only the types the pool's allowed_instance_types match."
  }
}

run "customized_pool" {
  # apply: these runs read policies naming the runner security group's id, unknown at plan even under mocks.
  command = apply
  variables {
    pools = {
      linux = {
        labels                   = ["linux"]
        instance_types           = ["m7gd.large"]
        architecture             = "arm64"
        pre_install_script       = "echo pre"
        job_started_hook         = "echo started"
        extra_packages           = ["git-lfs"]
        job_environment          = { TZ = "UTC" }
        extra_security_group_ids = ["sg-0123456789abcdef0"]
        root_volume_type         = "gp3"
        root_volume_iops         = 6000
        root_volume_throughput   = 250
        extra_volumes            = [{ device_name = "/dev/sdb", size = 200 }]
        metadata_hop_limit       = 1
        use_instance_store       = true
      }
    }
  }
  assert {
    condition     = aws_launch_template.runner_launch_template["linux"].metadata_options[0].http_put_response_hop_limit == 1
    error_message = "The pool's metadata hop limit reaches its launch template."
  }
  assert {
    condition     = length(aws_launch_template.runner_launch_template["linux"].network_interfaces[0].security_groups) == 2 && contains(aws_launch_template.runner_launch_template["linux"].network_interfaces[0].security_groups, "sg-0123456789abcdef0")
    error_message = "Extra security groups come with the kit's runner group."
  }
  assert {
    condition     = toset([for b in aws_launch_template.runner_launch_template["linux"].block_device_mappings : "${b.device_name}:${b.ebs[0].volume_size}:${b.ebs[0].volume_type}:${b.ebs[0].encrypted}"]) == toset(["/dev/xvda:40:gp3:true", "/dev/sdb:200:gp3:true"])
    error_message = "The root volume and the extra volume, both encrypted."
  }
  assert {
    condition     = one([for b in aws_launch_template.runner_launch_template["linux"].block_device_mappings : b.ebs[0].iops if b.device_name == "/dev/xvda"]) == 6000 && one([for b in aws_launch_template.runner_launch_template["linux"].block_device_mappings : b.ebs[0].throughput if b.device_name == "/dev/xvda"]) == 250
    error_message = "Root IOPS and throughput from the pool."
  }
  assert {
    condition     = aws_s3_object.runner_customization_document["linux"].key == "pools/linux/customization.json" && jsondecode(aws_s3_object.runner_customization_document["linux"].content).pre_install_script == "echo pre"
    error_message = "The pool's scripts are stored in its document in the binaries bucket, not in the user data."
  }
  assert {
    condition     = jsondecode(aws_s3_object.runner_customization_document["linux"].content).job_environment == { TZ = "UTC" } && jsondecode(aws_s3_object.runner_customization_document["linux"].content).use_instance_store == true
    error_message = "The document carries the job environment and the instance store flag."
  }
  assert {
    condition     = !strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "echo pre") && strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "CUSTOMIZATION_KEY='pools/linux/customization.json'")
    error_message = "The user data names the document and does not carry the script."
  }
}

run "boundary_and_path_on_every_role" {
  # apply: these runs read policies naming the runner security group's id, unknown at plan even under mocks.
  command = apply
  variables {
    permissions_boundary_arn   = "arn:aws:iam::123456789012:policy/ci-boundary"
    iam_role_path              = "/ci/runners/"
    enable_runner_logs         = true
    cloudtrail_cloudwatch_logs = true
    manage_api_gateway_account = true
    enable_build_cache         = true
  }
  assert {
    condition = alltrue([for r in concat(
      [aws_iam_role.runner_role, aws_iam_role.webhook_role, aws_iam_role.scale_up_role, aws_iam_role.reconcile_role, aws_iam_role.spot_interruption_role, aws_iam_role.runner_binaries_syncer_role],
      aws_iam_role.audit_cloudwatch_role, aws_iam_role.webhook_api_account_role, aws_iam_role.webhook_firewall_github_hooks_ipset_role,
      aws_iam_role.nat_role, aws_iam_role.nat_failover_role, aws_iam_role.build_cache_function_role, aws_iam_role.build_cache_sweep_role,
    ) : r.permissions_boundary == "arn:aws:iam::123456789012:policy/ci-boundary" && r.path == "/ci/runners/"])
    error_message = "Every role the kit creates has the boundary and the path."
  }
  assert {
    condition     = aws_iam_instance_profile.runner_instance_profile.path == "/ci/runners/"
    error_message = "The runner instance profile has the path."
  }
  assert {
    condition     = strcontains(aws_kms_key.encryption_key[0].policy, ":role/ci/runners/sr-scale-up")
    error_message = "The key policy names the kit's roles with their path."
  }
}

run "no_boundary_and_root_path_by_default" {
  # apply: these runs read policies naming the runner security group's id, unknown at plan even under mocks.
  command = apply
  assert {
    condition     = aws_iam_role.scale_up_role.permissions_boundary == null && aws_iam_role.scale_up_role.path == "/"
    error_message = "No boundary and the path / unless asked."
  }
}
