# Invalid inputs are refused at plan time with a message that names the accepted values.
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

run "fails_when_prefix_is_invalid" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    prefix = "Bad_Prefix"
  }
  expect_failures = [var.prefix]
}

run "fails_when_github_app_id_is_not_numeric" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    github_app_id = "my-app"
  }
  expect_failures = [var.github_app_id]
}

run "fails_when_runner_scope_is_unknown" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_scope = "galaxy"
  }
  expect_failures = [var.runner_scope]
}

run "fails_when_subnet_id_is_malformed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_subnet_ids = ["subnet-xyz"]
  }
  expect_failures = [var.runner_subnet_ids]
}

run "fails_when_no_pools" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {}
  }
  expect_failures = [var.pools]
}

run "fails_when_instance_type_is_malformed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = {
        labels         = ["linux"]
        instance_types = ["large"]
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_pool_has_no_labels" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = {
        labels         = []
        instance_types = ["m7i.large"]
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_architecture_is_unknown" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = {
        labels         = ["linux"]
        instance_types = ["m7i.large"]
        architecture   = "riscv"
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_runner_version_is_too_old" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_version = "2.300.0"
  }
  expect_failures = [var.runner_version]
}

run "fails_when_log_retention_is_not_allowed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    log_retention_days = 42
  }
  expect_failures = [var.log_retention_days]
}

run "fails_when_vpc_id_is_malformed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    vpc_id = "my-vpc"
  }
  expect_failures = [var.vpc_id]
}

run "fails_when_existing_cloudtrail_arn_is_not_a_trail_arn" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    existing_cloudtrail_arn = "arn:aws:s3:::my-trail-bucket"
  }
  expect_failures = [var.existing_cloudtrail_arn]
}

run "fails_when_cloudtrail_glacier_after_days_is_zero" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    cloudtrail_glacier_after_days = 0
  }
  expect_failures = [var.cloudtrail_glacier_after_days]
}

run "fails_when_cloudtrail_retention_days_is_fractional" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    cloudtrail_retention_days = 400.5
  }
  expect_failures = [var.cloudtrail_retention_days]
}

run "fails_when_cloudtrail_retention_is_not_after_the_glacier_transition" {
  command = plan
  plan_options {
    target = [aws_s3_bucket_lifecycle_configuration.audit_lifecycle]
  }
  variables {
    cloudtrail_glacier_after_days = 180
    cloudtrail_retention_days     = 180
  }
  expect_failures = [aws_s3_bucket_lifecycle_configuration.audit_lifecycle]
}

# Inputs that used to pass the plan and failed later (or never worked): each is refused with what is allowed.

run "fails_when_a_warm_schedule_hour_is_out_of_range" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = {
        labels             = ["linux"]
        instance_types     = ["m7i.large"]
        warm_pool_schedule = "Mon-Fri 25:00-29:59"
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_a_warm_schedule_day_is_unknown" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = {
        labels             = ["linux"]
        instance_types     = ["m7i.large"]
        warm_pool_schedule = "Xyz-Qqq 07:00-19:00"
      }
    }
  }
  expect_failures = [var.pools]
}

run "accepts_a_warm_schedule_ending_at_midnight" {
  command = plan
  variables {
    pools = {
      linux = {
        labels             = ["linux"]
        instance_types     = ["m7i.large"]
        warm_pool_size     = 1
        warm_pool_owner    = "octo-org"
        warm_pool_schedule = "Sat,Sun 10:00-14:00; mon-FRI 18:00-24:00"
      }
    }
  }
}

run "fails_when_a_pool_subnet_id_is_malformed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = {
        labels         = ["linux"]
        instance_types = ["m7i.large"]
        subnet_ids     = ["subnet-xyz"]
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_arm64_gets_an_x86_instance_type" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      arm = {
        labels         = ["linux", "arm64"]
        instance_types = ["c7g.large", "m7i.large"]
        architecture   = "arm64"
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_x64_gets_a_graviton_instance_type" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      linux = {
        labels         = ["linux"]
        instance_types = ["c6gn.large"]
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_two_pools_have_the_same_labels" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      first = {
        labels         = ["linux", "x64"]
        instance_types = ["m7i.large"]
      }
      second = {
        labels         = ["X64", "linux"]
        instance_types = ["m7i.xlarge"]
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_a_pool_offers_only_labels_of_an_earlier_pool" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    pools = {
      a-large = {
        labels         = ["linux", "large"]
        instance_types = ["m7i.4xlarge"]
      }
      b-small = {
        labels         = ["linux"]
        instance_types = ["m7i.large"]
      }
    }
  }
  expect_failures = [var.pools]
}

run "fails_when_the_webhook_reserved_concurrency_is_zero" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    webhook_reserved_concurrency = 0
  }
  expect_failures = [var.webhook_reserved_concurrency]
}

run "fails_when_the_scale_up_reserved_concurrency_is_zero" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    scale_up_reserved_concurrency = 0
  }
  expect_failures = [var.scale_up_reserved_concurrency]
}

run "fails_when_the_reconcile_reserved_concurrency_is_zero" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    reconcile_reserved_concurrency = 0
  }
  expect_failures = [var.reconcile_reserved_concurrency]
}

run "fails_when_lambda_subnets_have_no_security_group" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function]
  }
  variables {
    lambda_subnet_ids = ["subnet-0aaaaaaaaaaaaaaaa"]
  }
  expect_failures = [aws_lambda_function.webhook_function]
}

run "fails_when_lambda_security_groups_have_no_subnet" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function]
  }
  variables {
    lambda_security_group_ids = ["sg-0123456789abcdef0"]
  }
  expect_failures = [aws_lambda_function.webhook_function]
}

run "fails_when_the_pools_overflow_the_webhook_environment" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function]
  }
  variables {
    pools = { for i in range(30) : format("pool-%02d", i) => {
      labels         = ["linux", "x64", format("team-%02d", i)]
      instance_types = ["m7i.large"]
    } }
  }
  expect_failures = [aws_lambda_function.webhook_function]
}
