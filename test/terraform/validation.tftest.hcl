# Invalid inputs are refused at plan time with a message that names the accepted values.
mock_provider "aws" {
  # The provider validates ARNs even under mocks, so computed ARNs get well-formed values.
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_iam_instance_profile" {
    defaults = { arn = "arn:aws:iam::123456789012:instance-profile/mock" }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:mock:1" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mock"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock/invocations"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:mock.fifo"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/mock.fifo"
    }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/mock" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123" }
  }
  mock_resource "aws_api_gateway_stage" {
    defaults = { invoke_url = "https://abc123.execute-api.eu-west-1.amazonaws.com/github" }
  }
}

# Distinct ARNs for the dead-letter queues, so the redrive assertion can tell them from the job queues.
override_resource {
  target = aws_sqs_queue.job_dlq
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:mock-dlq.fifo" }
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
