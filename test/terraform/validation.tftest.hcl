# Invalid inputs are refused at plan time with a message that names the accepted values.
mock_provider "aws" {
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
  variables {
    prefix = "Bad_Prefix"
  }
  expect_failures = [var.prefix]
}

run "fails_when_github_app_id_is_not_numeric" {
  command = plan
  variables {
    github_app_id = "my-app"
  }
  expect_failures = [var.github_app_id]
}

run "fails_when_runner_scope_is_unknown" {
  command = plan
  variables {
    runner_scope = "enterprise"
  }
  expect_failures = [var.runner_scope]
}

run "fails_when_subnet_id_is_malformed" {
  command = plan
  variables {
    runner_subnet_ids = ["subnet-xyz"]
  }
  expect_failures = [var.runner_subnet_ids]
}

run "fails_when_no_pools" {
  command = plan
  variables {
    pools = {}
  }
  expect_failures = [var.pools]
}

run "fails_when_instance_type_is_malformed" {
  command = plan
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
  variables {
    runner_version = "2.300.0"
  }
  expect_failures = [var.runner_version]
}

run "fails_when_log_retention_is_not_allowed" {
  command = plan
  variables {
    log_retention_days = 42
  }
  expect_failures = [var.log_retention_days]
}

run "fails_when_vpc_id_is_malformed" {
  command = plan
  variables {
    vpc_id = "my-vpc"
  }
  expect_failures = [var.vpc_id]
}

run "fails_when_existing_cloudtrail_arn_is_not_a_trail_arn" {
  command = plan
  variables {
    existing_cloudtrail_arn = "arn:aws:s3:::my-trail-bucket"
  }
  expect_failures = [var.existing_cloudtrail_arn]
}

run "fails_when_cloudtrail_glacier_after_days_is_zero" {
  command = plan
  variables {
    cloudtrail_glacier_after_days = 0
  }
  expect_failures = [var.cloudtrail_glacier_after_days]
}

run "fails_when_cloudtrail_retention_days_is_fractional" {
  command = plan
  variables {
    cloudtrail_retention_days = 400.5
  }
  expect_failures = [var.cloudtrail_retention_days]
}

run "fails_when_cloudtrail_retention_is_not_after_the_glacier_transition" {
  command = plan
  variables {
    cloudtrail_glacier_after_days = 180
    cloudtrail_retention_days     = 180
  }
  expect_failures = [aws_s3_bucket_lifecycle_configuration.audit_lifecycle]
}
