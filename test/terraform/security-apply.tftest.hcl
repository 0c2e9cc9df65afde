# The runs of security.tftest.hcl that must apply: the launch policy names the runner security group's id, unknown at plan even under mocks.
# Mock values come at apply here (no override_during = plan): a file that applies with values mocked
# at plan gets "Provider produced inconsistent final plan".
# Encryption (a key by default, no key, a created key, a given key, both -> the given one), table resource policies, least-privilege launch policy, and
# the previous-webhook-secret parameter used for secret rotation.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  pools = {
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large"]
    }
  }
}

run "launch_policy_is_scoped" {
  # apply: the launch policy names the runner security group's id, unknown at plan even under mocks.
  command = apply

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement :
      s.Resource != "*" if contains(s.Action, "ec2:RunInstances") || contains(s.Action, "ec2:CreateTags") || contains(s.Action, "iam:PassRole")
    ])
    error_message = "Launching, tagging and passing the role are never allowed on every resource."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Resource if s.Sid == "LaunchIntoRunnerNetwork"
      ] == [[
        "arn:aws:ec2:eu-west-1:123456789012:security-group/${aws_security_group.runner_security_group.id}",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0123456789abcdef0",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0123456789abcdef1",
    ]]
    error_message = "Runners are launched only into the pools' subnets with the runner security group."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Resource if s.Sid == "LaunchFromOwnTemplates"
    ] == [[aws_launch_template.runner_launch_template["linux"].arn]]
    error_message = "Runners are launched only from this deployment's launch templates."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : s.Condition.StringEquals["aws:RequestTag/self-runners:prefix"] if s.Sid == "LaunchTaggedRunners"
    ] == ["self-runners"]
    error_message = "Instances, volumes and interfaces must be requested with the kit's tag."
  }
  assert {
    condition = [
      # One role (no pool has its own here), passed to EC2 only. Under an apply with mocks the ARN in the
      # policy is the mock's generated one; which roles are named is asserted at plan in pool-role.tftest.hcl.
      for s in jsondecode(aws_iam_role_policy.scale_up_policy_launch_runners.policy).Statement : [length(s.Resource), s.Condition.StringEquals["iam:PassedToService"]] if s.Sid == "PassRunnerRole"
    ] == [[1, ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]]]
    error_message = "Only the runner role may be passed, and only to EC2."
  }
}
