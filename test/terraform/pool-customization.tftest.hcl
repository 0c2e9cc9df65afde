# Pool customization and right-sizing (issue 12, items 4 and 5): an attribute-based spot pool, a
# customized pool, the permissions boundary and role path on every role, and invalid values refused.
mock_provider "aws" {
  override_during = plan
  source = "./tests/mocks"
}

# The security group's id is unknown at plan even under mocks; overriding it at plan lets the policies
# that name it be checked without an apply (three times the CPU of a plan). Every run may see it.
override_resource {
  override_during = plan
  target          = aws_security_group.runner_security_group
  values          = { id = "sg-0a11ce5000000000a" }
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

run "fails_when_a_pool_has_both_instance_types_and_requirements" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = {
        labels                = ["linux"]
        instance_types        = ["m7i.large"]
        instance_requirements = { vcpu_min = 2, memory_mib_min = 4096 }
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_a_pool_has_neither_instance_types_nor_requirements" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"] }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_vcpu_max_is_below_vcpu_min" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_requirements = { vcpu_min = 8, vcpu_max = 4, memory_mib_min = 4096 } }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_burstable_performance_is_unknown" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_requirements = { vcpu_min = 2, memory_mib_min = 4096, burstable_performance = "sometimes" } }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_allowed_and_excluded_types_are_both_set" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_requirements = { vcpu_min = 2, memory_mib_min = 4096, allowed_instance_types = ["m7*"], excluded_instance_types = ["t*"] } }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_an_extra_package_has_shell_characters" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_types = ["m7i.large"], extra_packages = ["git; curl evil"] }
    }
  }
  expect_failures = [var.pools]
}

run "a_windows_pool_installs_chocolatey_packages_and_uses_the_instance_store" {
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template, aws_s3_object.runner_customization_document]
  }
  variables {
    pools = {
      windows = { labels = ["windows"], instance_types = ["m6id.xlarge"], os = "windows", extra_packages = ["git", "7zip.install"], use_instance_store = true }
    }
  }
  assert {
    condition     = jsondecode(aws_s3_object.runner_customization_document["windows"].content).extra_packages == ["git", "7zip.install"] && jsondecode(aws_s3_object.runner_customization_document["windows"].content).use_instance_store
    error_message = "A Windows pool's extra packages and instance store flag are accepted (no longer refused) and stored in its customization document."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["windows"].user_data), "install -y --no-progress @($Custom.extra_packages)") && strcontains(base64decode(aws_launch_template.runner_launch_template["windows"].user_data), "Initialize-Disk -Number $disk.Number -PartitionStyle GPT")
    error_message = "The Windows user data installs the packages with Chocolatey and sets the instance store up."
  }
}

run "fails_when_a_windows_extra_package_has_shell_characters" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      windows = { labels = ["windows"], instance_types = ["m7i.xlarge"], os = "windows", extra_packages = ["git; iex evil"] }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_a_job_environment_name_is_invalid" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_types = ["m7i.large"], job_environment = { "1BAD" = "x" } }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_the_hop_limit_is_out_of_range" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_types = ["m7i.large"], metadata_hop_limit = 0 }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_an_extra_volume_takes_the_root_device" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_types = ["m7i.large"], extra_volumes = [{ device_name = "/dev/xvda", size = 10 }] }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_the_root_volume_type_is_unknown" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_types = ["m7i.large"], root_volume_type = "st1" }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_five_extra_security_groups_are_given" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = { labels = ["linux"], instance_types = ["m7i.large"], extra_security_group_ids = ["sg-0123456789abcdef1", "sg-0123456789abcdef2", "sg-0123456789abcdef3", "sg-0123456789abcdef4", "sg-0123456789abcdef5"] }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_the_role_path_does_not_end_with_a_slash" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    iam_role_path = "/ci"
  }
  expect_failures = [var.iam_role_path]
}

run "fails_when_the_boundary_is_not_a_policy_arn" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:role/boundary"
  }
  expect_failures = [var.permissions_boundary_arn]
}

run "attribute_based_spot_pool" {
  command = plan
  plan_options {
    target = [aws_iam_role_policy.scale_up_policy_launch_runners, aws_lambda_function.scale_up_function]
  }
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
  command = plan
  plan_options {
    target = [aws_launch_template.runner_launch_template, aws_s3_object.runner_customization_document]
  }
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
  command = plan
  plan_options {
    target = [
      aws_iam_instance_profile.runner_instance_profile,
      aws_iam_role.audit_cloudwatch_role,
      aws_iam_role.build_cache_function_role,
      aws_iam_role.build_cache_sweep_role,
      aws_iam_role.nat_failover_role,
      aws_iam_role.nat_role,
      aws_iam_role.reconcile_role,
      aws_iam_role.runner_binaries_syncer_role,
      aws_iam_role.runner_role,
      aws_iam_role.scale_up_role,
      aws_iam_role.spot_interruption_role,
      aws_iam_role.webhook_api_account_role,
      aws_iam_role.webhook_firewall_github_hooks_ipset_role,
      aws_iam_role.webhook_role,
      aws_kms_key.encryption_key,
    ]
  }
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
  command = plan
  plan_options {
    target = [aws_iam_role.scale_up_role]
  }
  assert {
    condition     = aws_iam_role.scale_up_role.permissions_boundary == null && aws_iam_role.scale_up_role.path == "/"
    error_message = "No boundary and the path / unless asked."
  }
}
