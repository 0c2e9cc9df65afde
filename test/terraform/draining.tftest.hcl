# The draining switch: the variable sets the SSM parameter when it is created; afterwards the value is
# the operators' (aws ssm put-parameter), and an apply never resets it (ignore_changes = [value]).
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

run "creates_the_switch_with_the_initial_value" {
  # apply: the next run needs this state.
  command = apply
  plan_options {
    target = [aws_ssm_parameter.draining_parameter]
  }
  variables {
    draining = true
  }
  assert {
    condition     = aws_ssm_parameter.draining_parameter.value == "true"
    error_message = "draining = true creates the switch on."
  }
}

run "a_later_apply_leaves_the_switch_alone" {
  # apply: ignore_changes shows only against the state the previous run applied.
  command = apply
  plan_options {
    target = [aws_ssm_parameter.draining_parameter]
  }
  variables {
    draining = false
  }
  assert {
    condition     = aws_ssm_parameter.draining_parameter.value == "true"
    error_message = "Terraform must not change the switch after creating it: the run-time value wins."
  }
}
