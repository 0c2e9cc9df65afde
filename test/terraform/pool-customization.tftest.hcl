# Pool customization and right-sizing (issue 12, items 4 and 5): an attribute-based spot pool, a
# customized pool, the permissions boundary and role path on every role, and invalid values refused.
mock_provider "aws" {
  override_during = plan
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
